package io.vgate.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Small JSON helpers for tests. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A chat request body with one user message. */
    public static String chat(String content, boolean stream, Map<String, Object> extra) {
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("messages", List.of(Map.of("role", "user", "content", content)));
        body.put("stream", stream);
        body.putAll(extra);
        return write(body);
    }

    /** Asserts nothing; returns the OpenAI error object of a body, or null when it has none. */
    public static JsonNode error(String body) {
        return parse(body).get("error");
    }
}
