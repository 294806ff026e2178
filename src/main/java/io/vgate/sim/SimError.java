package io.vgate.sim;

/**
 * An error answered in vLLM's nested shape, {@code {"error":{"message","type","param","code"}}}, with {@code code}
 * equal to the HTTP status.
 */
final class SimError extends RuntimeException {

    final int status;
    final String type;
    final String param;
    /** A body that is not the nested shape (vLLM's 401 is {@code {"error":"Unauthorized"}}); null for the usual one. */
    private final String rawBody;

    SimError(int status, String type, String message, String param) {
        this(status, type, message, param, null);
    }

    private SimError(int status, String type, String message, String param, String rawBody) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.rawBody = rawBody;
    }

    /** An error answered with exactly {@code body}. */
    static SimError raw(int status, String body) {
        return new SimError(status, null, body, null, body);
    }

    /**
     * A {@code VLLMValidationError}: 400 {@code BadRequestError}. Newer vLLM appends {@code (parameter=…, value=…)}
     * to the message when it knows them.
     */
    static SimError validation(String message, String param, Object value) {
        StringBuilder sb = new StringBuilder(message);
        if (param != null || value != null) {
            sb.append(" (");
            if (param != null) {
                sb.append("parameter=").append(param);
            }
            if (value != null) {
                if (param != null) {
                    sb.append(", ");
                }
                sb.append("value=").append(pyStrOf(value));
            }
            sb.append(')');
        }
        return new SimError(400, "BadRequestError", sb.toString(), param);
    }

    /** A plain {@code ValueError}: 400 {@code BadRequestError} without a parameter. */
    static SimError badRequest(String message) {
        return new SimError(400, "BadRequestError", message, null);
    }

    /** vLLM's answer to a model name it does not serve. */
    static SimError modelNotFound(String model) {
        return new SimError(404, "NotFoundError", "The model `" + model + "` does not exist.", "model");
    }

    /** An injected failure with the given status, typed the way vLLM and the OpenAI SDKs name it. */
    static SimError injected(int status) {
        String type = switch (status) {
            case 400 -> "BadRequestError";
            case 401 -> "AuthenticationError";
            case 403 -> "PermissionDeniedError";
            case 404 -> "NotFoundError";
            case 422 -> "UnprocessableEntityError";
            case 429 -> "RateLimitError";
            case 501 -> "NotImplementedError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
        return new SimError(status, type, "Injected failure (vLLM simulator fault: error-rate).", null);
    }

    /** FastAPI's request-validation answer: type {@code "Bad Request"}, message listing pydantic-style errors. */
    static SimError requestValidation(String message, String param) {
        return new SimError(400, "Bad Request", message, param);
    }

    /** The error body, {@code {"error":{"message":…,"type":…,"param":…,"code":…}}}. */
    String body() {
        if (rawBody != null) {
            return rawBody;
        }
        StringBuilder sb = new StringBuilder(128 + getMessage().length());
        sb.append("{\"error\":{\"message\":");
        Json.str(sb, getMessage());
        sb.append(",\"type\":");
        Json.str(sb, type);
        sb.append(",\"param\":");
        Json.strOrNull(sb, param);
        return sb.append(",\"code\":").append(status).append("}}").toString();
    }

    /** Python's {@code str()} of a value, as f-strings print it. */
    static String pyStrOf(Object value) {
        if (value instanceof Double d) {
            return Json.pyFloat(d);
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return String.valueOf(value);
    }
}
