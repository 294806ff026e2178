package io.vgate.api;

import java.io.IOException;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.buffer.Buffer;

/**
 * Reads a client's JSON body just far enough to route it: valid JSON object, and the right types for the
 * fields vgate itself reads ({@code model}, {@code stream}, {@code stream_options}, and the route's
 * input: {@code messages}, {@code prompt} or {@code input}). Everything else is vLLM's to validate, and
 * vLLM's 400s reach the client unchanged.
 */
@ApplicationScoped
public class RequestParser {

    private final ObjectMapper mapper;

    public RequestParser(ObjectMapper mapper) {
        this.mapper = mapper;
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
        JsonNode tree;
        try {
            tree = mapper.readTree(bytes.getBytes());
        } catch (JsonProcessingException e) {
            throw new ApiException(ApiError.invalidJson(
                    "The request body is not valid JSON: " + e.getOriginalMessage()));
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
            case CHAT_COMPLETIONS -> requireArray(body, "messages");
            case COMPLETIONS -> requirePresent(body, "prompt");
            case EMBEDDINGS -> requirePresent(body, "input");
            default -> {
            }
        }
        return new InferenceRequest(route, bytes, body, model, stream, usage);
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
