package io.vgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a response body against {@code ErrorResponse} from OpenAI's API description (the schema is
 * copied into {@code src/test/resources/openai/}): an {@code error} object whose required properties
 * have the types the schema names. vgate's own errors must pass; vLLM's (integer {@code code}) need not.
 */
public final class OpenAiErrorSchema {

    private static final JsonNode SCHEMA = load();

    private OpenAiErrorSchema() {}

    /** Asserts {@code body} is a valid {@code ErrorResponse} and returns its {@code error} object. */
    public static JsonNode assertValid(String body) {
        JsonNode json = Json.parse(body);
        List<String> problems = new ArrayList<>();
        check(json, SCHEMA.get("ErrorResponse"), "$", problems);
        assertThat(problems).as("ErrorResponse violations in %s", body).isEmpty();
        return json.get("error");
    }

    private static void check(JsonNode value, JsonNode schema, String path, List<String> problems) {
        JsonNode ref = schema.get("$ref");
        if (ref != null) {
            String name = ref.asText().substring(ref.asText().lastIndexOf('/') + 1);
            check(value, SCHEMA.get(name), path, problems);
            return;
        }
        JsonNode anyOf = schema.get("anyOf");
        if (anyOf != null) {
            for (JsonNode option : anyOf) {
                List<String> optionProblems = new ArrayList<>();
                check(value, option, path, optionProblems);
                if (optionProblems.isEmpty()) {
                    return;
                }
            }
            problems.add(path + " matches none of " + anyOf);
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    problems.add(path + " is not an object");
                    return;
                }
                for (JsonNode required : schema.path("required")) {
                    if (!value.has(required.asText())) {
                        problems.add(path + "." + required.asText() + " is missing");
                    }
                }
                schema.path("properties").fields().forEachRemaining(property -> {
                    if (value.has(property.getKey())) {
                        check(
                                value.get(property.getKey()),
                                property.getValue(),
                                path + "." + property.getKey(),
                                problems);
                    }
                });
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(path + " is not a string");
                }
            }
            case "null" -> {
                if (!value.isNull()) {
                    problems.add(path + " is not null");
                }
            }
            default -> problems.add(path + ": unsupported schema " + schema);
        }
    }

    private static JsonNode load() {
        try (InputStream in = OpenAiErrorSchema.class.getResourceAsStream("/openai/error-response.schema.json")) {
            return Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
