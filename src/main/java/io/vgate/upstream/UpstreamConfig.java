package io.vgate.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How vgate reaches vLLM ({@code vgate.upstream.*}).
 */
@ConfigMapping(prefix = "vgate.upstream")
public interface UpstreamConfig {

    /**
     * Base URL of vLLM's OpenAI server, e.g. {@code http://localhost:8000} for the sidecar
     * (env {@code VGATE_UPSTREAM_URL}). When unset, the embedded simulator is used if it is enabled;
     * otherwise start-up fails.
     */
    Optional<URI> url();

    /**
     * The key vLLM was started with ({@code --api-key}), sent upstream as a bearer token. Clients' own
     * {@code Authorization} headers are never forwarded. Unset by default.
     */
    Optional<String> apiKey();

    /** Time allowed to open a TCP connection to vLLM. Defaults to {@code 2s}. */
    @WithDefault("2s")
    Duration connectTimeout();

    /**
     * Most pooled HTTP/1.1 connections to vLLM. Each request in flight, streaming or not, holds one, so
     * this must be at least the in-flight cap. Defaults to {@code 1024}.
     */
    @WithDefault("1024")
    int maxConnections();

    /** An idle pooled connection is closed after this long. Defaults to {@code 60s}. */
    @WithDefault("60s")
    Duration keepAliveTimeout();

    /**
     * Timeout of vgate's own small calls to vLLM ({@code /health}, {@code /v1/models}, {@code /tokenize}).
     * Defaults to {@code 5s}.
     */
    @WithDefault("5s")
    Duration controlTimeout();
}
