package io.vgate.ui;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The chat page ({@code vgate.ui.*}).
 */
@ConfigMapping(prefix = "vgate.ui")
public interface UiConfig {

    /**
     * Serve the chat page at {@code /}. When false, the page and its assets answer 404; the API is unaffected.
     * Defaults to {@code true}.
     */
    @WithDefault("true")
    boolean enabled();
}
