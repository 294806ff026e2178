package io.vgate.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.RequestScan.Key;
import io.vgate.api.RequestScan.Value;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Locale;

/**
 * Reads a client's JSON body just far enough to route it, in one streaming pass ({@link RequestScan}) that
 * builds no tree: valid JSON object, and the right types for the
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
        RequestScan scan;
        try {
            scan = RequestScan.of(mapper, route, raw);
        } catch (JsonProcessingException e) {
            throw new ApiException(
                    ApiError.invalidJson("The request body is not valid JSON: " + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ApiException(ApiError.invalidJson("The request body could not be read as JSON."));
        }
        if (scan == null) {
            throw new ApiException(ApiError.invalidJson("The request body must be a JSON object."));
        }

        String model = optionalText(scan, Key.MODEL, "model");
        boolean stream = optionalBoolean(scan, Key.STREAM, "stream");
        boolean usage = false;
        Value options = scan.value(Key.STREAM_OPTIONS);
        if (options != null && !options.isNull()) {
            if (options.token != JsonToken.START_OBJECT) {
                throw new ApiException(ApiError.invalidType("stream_options", "an object"));
            }
            // vLLM's default once stream_options is present: include_usage=true.
            usage = options.includeUsage;
        }

        switch (route) {
            case CHAT_COMPLETIONS -> {
                requireArray(scan, Key.MESSAGES, "messages");
                if (scan.messageCount() > limits.maxMessages()) {
                    throw new ApiException(ApiError.invalidValue(
                            "messages", "Too many messages: at most " + limits.maxMessages() + " are accepted."));
                }
            }
            case COMPLETIONS -> requirePresent(scan, Key.PROMPT, "prompt");
            case EMBEDDINGS -> requirePresent(scan, Key.INPUT, "input");
            default -> {}
        }
        var request = new InferenceRequest(route, bytes, scan, mapper, model, stream, usage);
        if (route.generates()) {
            checkTokenCount(request, scan, Key.MAX_TOKENS, "max_tokens");
            checkTokenCount(request, scan, Key.MAX_COMPLETION_TOKENS, "max_completion_tokens");
            if (route == ApiRoute.RESPONSES) {
                checkTokenCount(request, scan, Key.MAX_OUTPUT_TOKENS, "max_output_tokens");
            }
            checkChoices(scan);
        }
        return request;
    }

    /**
     * Checks a token count; a whole number written as a float ({@code 1e6}, {@code 1000000.0}) is rewritten as
     * the integer. vLLM accepts those as the integer, so vgate does too, and context fitting then sees (and
     * clamps) them like any other count.
     */
    private void checkTokenCount(InferenceRequest request, RequestScan scan, Key key, String field) {
        Value value = scan.value(key);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber() || !exactIntegral(value)) {
            throw new ApiException(ApiError.invalidType(field, "an integer"));
        }
        if (!fitsLong(value) || longValue(value) < 0 || longValue(value) > limits.maxTokensCeiling()) {
            throw new ApiException(ApiError.invalidValue(
                    field, "'" + field + "' must be between 0 and " + limits.maxTokensCeiling() + "."));
        }
        request.tokenCount(key, longValue(value));
        if (value.token == JsonToken.VALUE_NUMBER_FLOAT) {
            request.set(field, longValue(value));
        }
    }

    private void checkChoices(RequestScan scan) {
        Value value = scan.value(Key.N);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber() || !exactIntegral(value)) {
            throw new ApiException(ApiError.invalidType("n", "an integer"));
        }
        boolean fitsInt = value.token == JsonToken.VALUE_NUMBER_INT
                ? value.numberType == JsonParser.NumberType.INT
                : value.real >= Integer.MIN_VALUE && value.real <= Integer.MAX_VALUE;
        int n = value.token == JsonToken.VALUE_NUMBER_INT ? (int) value.integer : (int) value.real;
        if (!fitsInt || n < 1 || n > limits.maxN()) {
            throw new ApiException(ApiError.invalidValue("n", "'n' must be between 1 and " + limits.maxN() + "."));
        }
    }

    // A tree reads a JSON float as a double: these are its DoubleNode's answers.
    private static boolean exactIntegral(Value number) {
        if (number.token == JsonToken.VALUE_NUMBER_INT) {
            return true;
        }
        double d = number.real;
        return !Double.isNaN(d) && !Double.isInfinite(d) && d == Math.rint(d);
    }

    private static boolean fitsLong(Value number) {
        if (number.token == JsonToken.VALUE_NUMBER_INT) {
            return number.numberType != JsonParser.NumberType.BIG_INTEGER;
        }
        return number.real >= Long.MIN_VALUE && number.real <= Long.MAX_VALUE;
    }

    private static long longValue(Value number) {
        return number.token == JsonToken.VALUE_NUMBER_INT ? number.integer : (long) number.real;
    }

    private static boolean isJson(String contentType) {
        String type = contentType.toLowerCase(Locale.ROOT);
        int semicolon = type.indexOf(';');
        if (semicolon >= 0) {
            type = type.substring(0, semicolon);
        }
        return type.trim().equals("application/json");
    }

    private static String optionalText(RequestScan scan, Key key, String field) {
        Value value = scan.value(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.token != JsonToken.VALUE_STRING) {
            throw new ApiException(ApiError.invalidType(field, "a string"));
        }
        return value.text;
    }

    private static boolean optionalBoolean(RequestScan scan, Key key, String field) {
        Value value = scan.value(key);
        if (value == null || value.isNull()) {
            return false;
        }
        if (value.token != JsonToken.VALUE_TRUE && value.token != JsonToken.VALUE_FALSE) {
            throw new ApiException(ApiError.invalidType(field, "a boolean"));
        }
        return value.token == JsonToken.VALUE_TRUE;
    }

    private static void requireArray(RequestScan scan, Key key, String field) {
        Value value = scan.value(key);
        if (value == null || value.isNull()) {
            throw new ApiException(ApiError.missingParameter(field));
        }
        if (value.token != JsonToken.START_ARRAY) {
            throw new ApiException(ApiError.invalidType(field, "an array"));
        }
    }

    private static void requirePresent(RequestScan scan, Key key, String field) {
        Value value = scan.value(key);
        if (value == null || value.isNull()) {
            throw new ApiException(ApiError.missingParameter(field));
        }
    }
}
