package io.vgate.metrics;

/**
 * Groups vgate's error codes ({@link io.vgate.api.ApiError#code()}) into the bounded {@code reason}
 * label: what an operator acts on. The code itself stays available in the {@code code} label.
 */
final class Reasons {

    /** Missing or wrong credentials. */
    static final String AUTH = "auth";
    /** Per-client request or token limits. */
    static final String RATE_LIMIT = "rate_limit";
    /** The gateway or vLLM is full, shutting down, or its circuit breaker is open. */
    static final String CAPACITY = "capacity";
    /** vLLM was too slow: first token, idle stream, or whole answer. */
    static final String TIMEOUT = "timeout";
    /** The prompt does not fit the model's context. */
    static final String CONTEXT = "context";
    /** vLLM was unreachable or broke the connection. */
    static final String UPSTREAM = "upstream";
    /** The request itself is wrong. */
    static final String BAD_REQUEST = "bad_request";
    /** A bug in vgate. */
    static final String INTERNAL = "internal";
    /** A code this table does not know yet. */
    static final String OTHER = "other";

    private Reasons() {}

    /**
     * True for rejections a client can repeat at will (bad credentials, limits, bad requests, a full
     * queue): the ones whose log lines are throttled per client. vLLM's failures and timeouts are not.
     */
    static boolean clientCaused(String code) {
        return switch (of(code)) {
            case AUTH, RATE_LIMIT, BAD_REQUEST, CAPACITY, CONTEXT -> true;
            default -> false;
        };
    }

    /** The reason class of an error code; {@link #OTHER} for codes not listed here. */
    static String of(String code) {
        if (code == null) {
            return OTHER;
        }
        return switch (code) {
            case "invalid_api_key",
                    "missing_api_key",
                    "invalid_token",
                    "expired_token",
                    "permission_denied",
                    "insufficient_permissions" -> AUTH;
            case "rate_limit_exceeded",
                    "tokens_per_minute_exceeded",
                    "requests_per_minute_exceeded",
                    "quota_exceeded",
                    "too_many_connections",
                    "concurrency_limit_exceeded" -> RATE_LIMIT;
            case "queue_full",
                    "queue_timeout",
                    "queue_shed",
                    "shutting_down",
                    "circuit_open",
                    "overloaded",
                    "request_bodies_full" -> CAPACITY;
            case "first_token_timeout", "stream_idle_timeout", "upstream_timeout", "request_timeout" -> TIMEOUT;
            case "context_length_exceeded" -> CONTEXT;
            case "upstream_unavailable", "upstream_error", "upstream_reset" -> UPSTREAM;
            case "invalid_json",
                    "invalid_type",
                    "invalid_value",
                    "missing_required_parameter",
                    "unsupported_media_type",
                    "request_too_large",
                    "unknown_url",
                    "method_not_allowed",
                    "model_not_found" -> BAD_REQUEST;
            case "internal_error" -> INTERNAL;
            default -> OTHER;
        };
    }
}
