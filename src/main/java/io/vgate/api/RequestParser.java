package io.vgate.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Locale;

/**
 * Reads a client's JSON body just far enough to route it: valid JSON object, and the right types for the
 * fields vgate itself reads ({@code model}, {@code stream}, {@code stream_options}, and the route's
 * input: {@code messages}, {@code prompt} or {@code input}). It also turns away absurd requests before
 * they cost anything: more {@code messages} than {@code vgate.api.max-messages}, {@code n} outside
 * 1..{@code vgate.api.max-n}, and {@code max_tokens} that is not a count of tokens at all. Everything
 * else is vLLM's to validate, and vLLM's 400s reach the client unchanged.
 */
@Singleton
public class RequestParser {

    /** vgate's own bounds on request fields. */
    record Limits(int maxMessages, int maxN, long maxTokensCeiling) {
        static final Limits DEFAULTS = new Limits(2048, 16, 1_048_576);
    }

    private final ObjectMapper mapper;
    private final Limits limits;

    @Inject
    public RequestParser(ObjectMapper mapper, ApiConfig config) {
        this(mapper, new Limits(config.maxMessages(), config.maxN(), config.maxTokensCeiling()));
    }

    /** A parser with the documented default limits. */
    public RequestParser(ObjectMapper mapper) {
        this(mapper, Limits.DEFAULTS);
    }

    RequestParser(ObjectMapper mapper, Limits limits) {
        this.mapper = mapper;
        this.limits = limits;
    }

    /**
     * Parses the body of a POST to {@code route}.
     *
     * @throws ApiException (400/415) when the request cannot be routed
     */
    public InferenceRequest parse(ApiRoute route, String contentType, Buffer bytes) {
        if (contentType != null && !isJson(contentType)) {
            throw new ApiException(ApiError.unsupportedMediaType());
        }
        if (bytes == null || bytes.length() == 0) {
            throw new ApiException(ApiError.invalidJson("The request body is empty; expected a JSON object."));
        }
        byte[] raw = bytes.getBytes();
        int invalid = Utf8.firstInvalid(raw, raw.length);
        if (invalid >= 0) {
            throw new ApiException(
                    ApiError.invalidJson("The request body is not valid UTF-8 (at byte " + invalid + ")."));
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new ApiException(
                    ApiError.invalidJson("The request body is not valid JSON: " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ApiException(ApiError.invalidJson("The request body could not be read as JSON."));
        }
        if (!(tree instanceof ObjectNode body)) {
            throw new ApiException(ApiError.invalidJson("The request body must be a JSON object."));
        }

        String model = optionalText(body, "model");
        boolean stream = optionalBoolean(body, "stream");
        boolean usage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw new ApiException(ApiError.invalidType("stream_options", "an object"));
            }
            // vLLM's default once stream_options is present: include_usage=true.
            JsonNode include = options.get("include_usage");
            usage = include == null || include.isNull() || include.asBoolean(false);
        }

        switch (route) {
            case CHAT_COMPLETIONS -> {
                requireArray(body, "messages");
                if (body.get("messages").size() > limits.maxMessages()) {
                    throw new ApiException(ApiError.invalidValue(
                            "messages", "Too many messages: at most " + limits.maxMessages() + " are accepted."));
                }
            }
            case COMPLETIONS -> requirePresent(body, "prompt");
            case EMBEDDINGS -> requirePresent(body, "input");
            default -> {}
        }
        boolean normalised = false;
        if (route.generates()) {
            normalised = checkTokenCount(body, "max_tokens");
            normalised |= checkTokenCount(body, "max_completion_tokens");
            if (route == ApiRoute.RESPONSES) {
                normalised |= checkTokenCount(body, "max_output_tokens");
            }
            checkChoices(body);
        }
        var request = new InferenceRequest(route, bytes, body, model, stream, usage);
        if (normalised) {
            request.markModified();
        }
        return request;
    }

    /**
     * Checks a token count; returns true when it was a whole number written as a float ({@code 1e6},
     * {@code 1000000.0}) and has been rewritten as the integer. vLLM accepts those as the integer, so
     * vgate does too, and context fitting then sees (and clamps) them like any other count.
     */
    private boolean checkTokenCount(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isNumber() || !value.canConvertToExactIntegral()) {
            throw new ApiException(ApiError.invalidType(field, "an integer"));
        }
        if (!value.canConvertToLong() || value.longValue() < 0 || value.longValue() > limits.maxTokensCeiling()) {
            throw new ApiException(ApiError.invalidValue(
                    field, "'" + field + "' must be between 0 and " + limits.maxTokensCeiling() + "."));
        }
        if (value.isIntegralNumber()) {
            return false;
        }
        body.put(field, value.longValue());
        return true;
    }

    private void checkChoices(ObjectNode body) {
        JsonNode value = body.get("n");
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber() || !value.canConvertToExactIntegral()) {
            throw new ApiException(ApiError.invalidType("n", "an integer"));
        }
        if (!value.canConvertToInt() || value.intValue() < 1 || value.intValue() > limits.maxN()) {
            throw new ApiException(ApiError.invalidValue("n", "'n' must be between 1 and " + limits.maxN() + "."));
        }
    }

    private static boolean isJson(String contentType) {
        String type = contentType.toLowerCase(Locale.ROOT);
        int semicolon = type.indexOf(';');
        if (semicolon >= 0) {
            type = type.substring(0, semicolon);
        }
        return type.trim().equals("application/json");
    }

    private static String optionalText(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ApiException(ApiError.invalidType(field, "a string"));
        }
        return value.textValue();
    }

    private static boolean optionalBoolean(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new ApiException(ApiError.invalidType(field, "a boolean"));
        }
        return value.booleanValue();
    }

    private static void requireArray(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw new ApiException(ApiError.missingParameter(field));
        }
        if (!value.isArray()) {
            throw new ApiException(ApiError.invalidType(field, "an array"));
        }
    }

    private static void requirePresent(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw new ApiException(ApiError.missingParameter(field));
        }
    }
}
