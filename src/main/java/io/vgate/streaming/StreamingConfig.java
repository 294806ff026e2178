package io.vgate.streaming;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * SSE relay settings ({@code vgate.streaming.*}).
 */
@ConfigMapping(prefix = "vgate.streaming")
public interface StreamingConfig {

    /**
     * Ask vLLM for the usage chunk on every stream ({@code stream_options.include_usage}), so streamed
     * tokens can be counted and limited; the chunk is removed from the stream when the client did not ask
     * for it. Defaults to {@code true}.
     */
    @WithDefault("true")
    boolean includeUsage();
}
