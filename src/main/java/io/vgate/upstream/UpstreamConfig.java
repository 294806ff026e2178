package io.vgate.upstream;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

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
     * Most pooled HTTP/1.1 connections to vLLM per event loop (each loop has its own pool). Each request in
     * flight, streaming or not, holds one, so this must be at least the in-flight cap. Defaults to
     * {@code 1024}.
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

    /** Circuit breaker on the relayed traffic. */
    Breaker breaker();

    /** Retries and circuit breakers of vgate's own calls for the model list and token counts. */
    Control control();

    /** Retries of relayed requests that failed before vLLM answered anything. */
    Retry retry();

    /**
     * Circuit breaker on the requests vgate relays to vLLM. It counts refused or failed connections and 5xx
     * answers (not pooled connections found closed, which vgate's own resets cause and which are retried);
     * once {@link #failureRatio()} of the last {@link #requestVolumeThreshold()} requests failed it opens,
     * and requests get {@code 503 circuit_open} with {@code Retry-After} at once, without touching vLLM,
     * for {@link #delay()}. Then a few trial requests go through; {@link #successThreshold()} successes
     * close it again.
     */
    interface Breaker {

        /** Number of recent requests the failure ratio is taken over. Defaults to {@code 20}. */
        @WithDefault("20")
        int requestVolumeThreshold();

        /** Share of failed requests that opens the breaker. Defaults to {@code 0.5}. */
        @WithDefault("0.5")
        double failureRatio();

        /** How long the breaker stays open before trial requests. Defaults to {@code 5s}. */
        @WithDefault("5s")
        Duration delay();

        /** Successful trial requests that close it again. Defaults to {@code 2}. */
        @WithDefault("2")
        int successThreshold();
    }

    /**
     * Retries of a relayed request whose connection was refused or reset before vLLM sent a single byte of
     * an answer. Nothing has reached the client then, and vLLM aborted the attempt when its connection
     * closed, so sending it again is safe. Nothing is retried once an answer began (a status line, a stream
     * event), nor after vLLM answered with an error. Delays grow exponentially from {@link #delay()} with
     * random {@link #jitter()}.
     */
    interface Retry {

        /** Retries after the first attempt. Defaults to {@code 2}. */
        @WithDefault("2")
        int maxRetries();

        /** Delay before the first retry. Defaults to {@code 50ms}. */
        @WithDefault("50ms")
        Duration delay();

        /** Random jitter added to or taken from each delay. Defaults to {@code 25ms}. */
        @WithDefault("25ms")
        Duration jitter();

        /** Longest delay between two attempts. Defaults to {@code 1s}. */
        @WithDefault("1s")
        Duration maxDelay();
    }

    /**
     * Fault tolerance of vgate's own calls to vLLM for the model list ({@code /v1/models}) and token counts
     * ({@code /tokenize}); each attempt is bounded by {@link UpstreamConfig#controlTimeout()}. Each call has its
     * own circuit breaker with these settings, so that a failing vLLM is not asked again and again; callers
     * treat a failure as "unknown" and carry on. A request vLLM refuses as invalid (4xx) is neither retried
     * nor counted against vLLM. The health check is not guarded: readiness shows vLLM's state as it is.
     */
    interface Control {

        /** Retries after the first attempt. Defaults to {@code 2}. */
        @WithDefault("2")
        int maxRetries();

        /** Delay before the first retry; later ones double. Defaults to {@code 50ms}. */
        @WithDefault("50ms")
        Duration retryDelay();

        /** Random jitter added to or taken from each delay. Defaults to {@code 25ms}. */
        @WithDefault("25ms")
        Duration retryJitter();

        /** Longest delay between two attempts. Defaults to {@code 1s}. */
        @WithDefault("1s")
        Duration maxRetryDelay();

        /** Number of recent calls the breaker's failure ratio is taken over. Defaults to {@code 10}. */
        @WithDefault("10")
        int breakerRequestVolumeThreshold();

        /** Share of failed calls that opens a breaker. Defaults to {@code 0.5}. */
        @WithDefault("0.5")
        double breakerFailureRatio();

        /** How long an open breaker refuses calls before a trial one. Defaults to {@code 5s}. */
        @WithDefault("5s")
        Duration breakerDelay();
    }
}
