package io.vgate.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The client-facing API ({@code vgate.api.*}).
 */
@ConfigMapping(prefix = "vgate.api")
public interface ApiConfig {

    /**
     * Largest request body accepted; larger ones get 413 before vLLM sees them. Defaults to {@code 8M},
     * room for a 128k-token prompt.
     */
    @WithDefault("8M")
    MemorySize maxBodySize();
}
