package io.vgate.shaping;

import io.vgate.api.ApiError;
import java.time.Duration;

/**
 * The errors request shaping answers with. Each {@code code} is a distinct, documented reason that
 * clients, dashboards and the rejection counters key on.
 */
public final class ShapingErrors {

    /** 503: the admission queue is full. */
    public static final String QUEUE_FULL = "queue_full";
    /** 503: the request waited {@code max-queue-wait} without getting a slot. */
    public static final String QUEUE_TIMEOUT = "queue_timeout";
    /** 503: the request was waiting and was shed to make room for a higher-priority or fairer one. */
    public static final String QUEUE_SHED = "queue_shed";
    /** 429: the tenant already has its maximum of requests in flight or queued. */
    public static final String CONCURRENCY_LIMIT_EXCEEDED = "concurrency_limit_exceeded";
    /** 503: vgate is draining for shutdown. */
    public static final String SHUTTING_DOWN = "shutting_down";
    /** 504 (or an SSE error event): no first token within {@code time-to-first-token}. */
    public static final String FIRST_TOKEN_TIMEOUT = "first_token_timeout";
    /** SSE error event: the stream went silent for {@code idle-between-events}. */
    public static final String STREAM_IDLE_TIMEOUT = "stream_idle_timeout";
    /** 504: a non-streaming answer did not arrive within {@code non-streaming-response}. */
    public static final String UPSTREAM_TIMEOUT = "upstream_timeout";
    /** 504 (or an SSE error event): the optional {@code total} cap was reached. */
    public static final String REQUEST_TIMEOUT = "request_timeout";
    /** 400: the prompt cannot be made to fit the model's context window. */
    public static final String CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded";
    /** 400: a trusted caller named a priority class that does not exist. */
    public static final String INVALID_PRIORITY = "invalid_priority";

    private ShapingErrors() {}

    static ApiError queueFull(Duration retryAfter) {
        return new ApiError(
                503,
                ApiError.SERVER,
                QUEUE_FULL,
                "The model is at capacity and its waiting queue is full. Retry after the time in Retry-After.",
                null,
                retryAfter);
    }

    static ApiError queueTimeout(Duration waited, Duration retryAfter) {
        return new ApiError(
                503,
                ApiError.SERVER,
                QUEUE_TIMEOUT,
                "The model is at capacity: the request waited " + waited.toMillis()
                        + " ms for a slot without getting one. Retry after the time in Retry-After.",
                null,
                retryAfter);
    }

    static ApiError queueShed(Duration retryAfter) {
        return new ApiError(
                503,
                ApiError.SERVER,
                QUEUE_SHED,
                "The model is at capacity and this waiting request made room for higher-priority traffic."
                        + " Retry after the time in Retry-After.",
                null,
                retryAfter);
    }

    static ApiError concurrencyLimitExceeded(int cap, Duration retryAfter) {
        return new ApiError(
                429,
                ApiError.RATE_LIMIT,
                CONCURRENCY_LIMIT_EXCEEDED,
                "Too many concurrent requests: this tenant already has " + cap
                        + " requests running or waiting. Retry after the time in Retry-After.",
                null,
                retryAfter);
    }

    static ApiError shuttingDown(Duration retryAfter) {
        return new ApiError(
                503,
                ApiError.SERVER,
                SHUTTING_DOWN,
                "This vgate instance is shutting down. Retry after the time in Retry-After; another instance will answer.",
                null,
                retryAfter);
    }

    static ApiError firstTokenTimeout(Duration limit) {
        return new ApiError(
                504,
                ApiError.SERVER,
                FIRST_TOKEN_TIMEOUT,
                "The model did not produce a first token within " + limit.toMillis() + " ms.",
                null,
                null);
    }

    static ApiError streamIdleTimeout(Duration limit) {
        return new ApiError(
                504,
                ApiError.SERVER,
                STREAM_IDLE_TIMEOUT,
                "The model's stream produced nothing for " + limit.toMillis() + " ms.",
                null,
                null);
    }

    static ApiError upstreamTimeout(Duration limit) {
        return new ApiError(
                504,
                ApiError.SERVER,
                UPSTREAM_TIMEOUT,
                "The model did not answer within " + limit.toMillis() + " ms. Use \"stream\": true for long answers.",
                null,
                null);
    }

    static ApiError requestTimeout(Duration limit) {
        return new ApiError(
                504,
                ApiError.SERVER,
                REQUEST_TIMEOUT,
                "The request took longer than vgate's limit of " + limit.toMillis() + " ms.",
                null,
                null);
    }

    static ApiError contextLengthExceeded(String message, String param) {
        return new ApiError(400, ApiError.INVALID_REQUEST, CONTEXT_LENGTH_EXCEEDED, message, param, null);
    }

    static ApiError invalidPriority(String value) {
        return new ApiError(
                400,
                ApiError.INVALID_REQUEST,
                INVALID_PRIORITY,
                "Unknown priority class in X-Vgate-Priority: '" + value + "'.",
                null,
                null);
    }
}
