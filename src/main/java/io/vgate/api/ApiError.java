package io.vgate.api;

import java.time.Duration;

/**
 * An error that vgate itself answers with, in OpenAI's shape:
 * {@code {"error":{"message":…,"type":…,"param":…,"code":…}}}.
 * <p>
 * {@code code} is a machine-readable reason (a string, as in OpenAI's {@code ErrorResponse} schema);
 * clients and dashboards key on it, so its values are part of the API. Errors produced by vLLM are
 * never wrapped in this type: they reach the client unchanged.
 *
 * @param status HTTP status
 * @param type OpenAI error type, e.g. {@code invalid_request_error}
 * @param code machine-readable reason, e.g. {@code rate_limit_exceeded}
 * @param message human-readable explanation; never contains keys, prompts or stack traces
 * @param param the offending request parameter, or {@code null}
 * @param retryAfter when set, sent as {@code Retry-After} (whole seconds, rounded up)
 */
public record ApiError(int status, String type, String code, String message, String param, Duration retryAfter) {

    /** Error type for problems with the request itself. */
    public static final String INVALID_REQUEST = "invalid_request_error";
    /** Error type for missing or wrong credentials. */
    public static final String AUTHENTICATION = "authentication_error";
    /** Error type for per-client limits. */
    public static final String RATE_LIMIT = "rate_limit_error";
    /** Error type for failures on vgate's or vLLM's side. */
    public static final String SERVER = "server_error";

    public ApiError {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
    }

    /** 400: the body is not a JSON object. */
    public static ApiError invalidJson(String message) {
        return new ApiError(400, INVALID_REQUEST, "invalid_json", message, null, null);
    }

    /** 400: a required parameter is missing. */
    public static ApiError missingParameter(String param) {
        return new ApiError(
                400,
                INVALID_REQUEST,
                "missing_required_parameter",
                "Missing required parameter: '" + param + "'.",
                param,
                null);
    }

    /** 400: a parameter has the wrong JSON type. */
    public static ApiError invalidType(String param, String expected) {
        return new ApiError(
                400,
                INVALID_REQUEST,
                "invalid_type",
                "Invalid type for '" + param + "': expected " + expected + ".",
                param,
                null);
    }

    /** 400: a parameter has a value vgate does not accept. */
    public static ApiError invalidValue(String param, String message) {
        return new ApiError(400, INVALID_REQUEST, "invalid_value", message, param, null);
    }

    /** 404: no such route. */
    public static ApiError unknownRoute(String method, String path) {
        return new ApiError(
                404, INVALID_REQUEST, "unknown_url", "Invalid URL (" + method + " " + path + ").", null, null);
    }

    /** 405: the route exists but not for this method. */
    public static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(
                405,
                INVALID_REQUEST,
                "method_not_allowed",
                "Method " + method + " is not allowed for " + path + ".",
                null,
                null);
    }

    /**
     * 503 {@code request_bodies_full}: vgate holds as many request bodies as {@code vgate.api.max-held-bodies}
     * allows; this one was not read.
     */
    public static ApiError requestBodiesFull(Duration retryAfter) {
        return new ApiError(
                503,
                SERVER,
                "request_bodies_full",
                "vgate is holding as many large request bodies as it can; this one was not read. Retry after the time"
                        + " in Retry-After.",
                null,
                retryAfter);
    }

    /** 413: the body is larger than {@code vgate.api.max-body-size}. */
    public static ApiError bodyTooLarge(long limitBytes) {
        return new ApiError(
                413,
                INVALID_REQUEST,
                "request_too_large",
                "Request body is larger than the limit of " + limitBytes + " bytes.",
                null,
                null);
    }

    /** 415: the body is not declared as JSON. */
    public static ApiError unsupportedMediaType() {
        return new ApiError(
                415, INVALID_REQUEST, "unsupported_media_type", "Content-Type must be application/json.", null, null);
    }

    /** 503: vLLM cannot be reached (not started, still loading the model, or gone). */
    public static ApiError upstreamUnavailable(Duration retryAfter) {
        return new ApiError(
                503,
                SERVER,
                "upstream_unavailable",
                "The model server is not reachable right now. Please retry later.",
                null,
                retryAfter);
    }

    /** 502: vLLM broke the connection before answering. */
    public static ApiError upstreamFailed() {
        return new ApiError(
                502, SERVER, "upstream_error", "The model server closed the connection before answering.", null, null);
    }

    /** Sent as an SSE event when vLLM breaks the connection after the stream began. */
    public static ApiError upstreamResetMidStream() {
        return new ApiError(
                502,
                SERVER,
                "upstream_reset",
                "The model server closed the connection in the middle of the stream.",
                null,
                null);
    }

    /**
     * Sent as the dialect's error event when vLLM ended a named-event stream (Responses, Messages) cleanly but
     * without its end event: the answer is incomplete.
     */
    public static ApiError upstreamEndedEarly() {
        return new ApiError(
                502,
                SERVER,
                "upstream_reset",
                "The model server ended the stream before its final event; the answer is incomplete.",
                null,
                null);
    }

    /** 500: a bug in vgate; the message never carries the exception. */
    public static ApiError internal() {
        return new ApiError(500, SERVER, "internal_error", "vgate failed to handle the request.", null, null);
    }

    /** Returns this error with a {@code Retry-After}. */
    public ApiError withRetryAfter(Duration value) {
        return new ApiError(status, type, code, message, param, value);
    }

    /** {@code Retry-After} in whole seconds, rounded up and at least 1, or -1 when not set. */
    public long retryAfterSeconds() {
        if (retryAfter == null) {
            return -1;
        }
        long millis = retryAfter.toMillis();
        return Math.max(1, (millis + 999) / 1000);
    }
}
