package io.vgate.sim;

import java.util.Locale;

/**
 * The kinds of error the simulator injects by type (the names llm-d's vLLM simulator uses), each answered with the
 * status and body vLLM itself sends for it, so that a demo or a test shows how the gateway reports each one.
 */
enum FaultType {
    /** 429 {@code RateLimitError}: vLLM's admission control or a rate-limiting proxy in front of it. */
    RATE_LIMIT("rate_limit"),
    /** 401 with vLLM's {@code --api-key} body, the plain {@code {"error":"Unauthorized"}} (not the OpenAI shape). */
    INVALID_API_KEY("invalid_api_key"),
    /** 400 {@code BadRequestError}: the prompt does not fit the context, in vLLM's 2026 wording. */
    CONTEXT_LENGTH("context_length"),
    /** 500 {@code InternalServerError}: the engine core failed, as vLLM reports an {@code EngineDeadError}. */
    SERVER_ERROR("server_error"),
    /** 400 {@code BadRequestError}: a request the engine refused. */
    INVALID_REQUEST("invalid_request"),
    /** 404 {@code NotFoundError}: the model name is not served. */
    MODEL_NOT_FOUND("model_not_found");

    final String json;

    FaultType(String json) {
        this.json = json;
    }

    /** @throws IllegalArgumentException for a name not in the list */
    static FaultType parse(String name) {
        String v = name.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        for (FaultType t : values()) {
            if (t.json.equals(v)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown error type " + name + "; use rate_limit, invalid_api_key, "
                + "context_length, server_error, invalid_request or model_not_found");
    }

    /** The HTTP status vLLM answers with. */
    int status() {
        return switch (this) {
            case RATE_LIMIT -> 429;
            case INVALID_API_KEY -> 401;
            case CONTEXT_LENGTH, INVALID_REQUEST -> 400;
            case SERVER_ERROR -> 500;
            case MODEL_NOT_FOUND -> 404;
        };
    }

    /**
     * The response body.
     *
     * @param model the model name the request asked for (or the served one)
     * @param maxModelLen the simulated context length
     * @param promptTokens the request's prompt tokens
     */
    String body(String model, int maxModelLen, int promptTokens) {
        return switch (this) {
            case RATE_LIMIT ->
                new SimError(
                                429,
                                "RateLimitError",
                                "Too many requests: the server's waiting queue is full. Please try again later.",
                                null)
                        .body();
            case INVALID_API_KEY -> "{\"error\":\"Unauthorized\"}";
            case CONTEXT_LENGTH -> {
                int reported = Math.max(promptTokens, maxModelLen + 1);
                yield SimError.validation(
                                "This model's maximum context length is " + maxModelLen
                                        + " tokens. However, you requested 0 output tokens and your prompt contains at"
                                        + " least " + reported + " input tokens, for a total of at least " + reported
                                        + " tokens. Please reduce the length of the input prompt or the number of"
                                        + " requested output tokens.",
                                "input_tokens",
                                reported)
                        .body();
            }
            case SERVER_ERROR ->
                new SimError(
                                500,
                                "InternalServerError",
                                "EngineCore encountered an issue. See stack trace (above) for the root cause.",
                                null)
                        .body();
            case INVALID_REQUEST ->
                SimError.badRequest("The request was rejected by the engine (vLLM simulator fault: invalid_request).")
                        .body();
            case MODEL_NOT_FOUND -> SimError.modelNotFound(model).body();
        };
    }
}
