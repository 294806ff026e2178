package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code response_format} and {@code structured_outputs}: answers that follow the constraint. */
@QuarkusTest
class StructuredOutputsTests extends SimSuite {

    static final String PERSON = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
            + "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":120},"
            + "\"emails\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"format\":\"email\"},\"minItems\":1}},"
            + "\"required\":[\"name\",\"age\",\"emails\"],\"additionalProperties\":false}";
    static final String ASK = "\"messages\":[{\"role\":\"user\",\"content\":\"Extract the person.\"}]";

    @BeforeEach
    void setUp() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    private String content(String fields) {
        HttpResponse<String> response = client.post("/v1/chat/completions", "{" + ASK + fields + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode choice = SimClient.parse(response.body()).at("/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        return choice.at("/message/content").asText();
    }

    @Test
    void jsonSchemaAnswersValidateStrictOrNot() {
        for (int seed = 0; seed < 10; seed++) {
            for (String strict : List.of("true", "false")) {
                String text = content(",\"seed\":" + seed
                        + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\","
                        + "\"strict\":" + strict + ",\"schema\":" + PERSON + "}}");
                SchemaInstanceTests.assertValid(PERSON, text);
            }
        }
    }

    @Test
    void jsonObjectAnswersParseAsObjects() {
        for (int seed = 0; seed < 10; seed++) {
            String text = content(",\"seed\":" + seed + ",\"response_format\":{\"type\":\"json_object\"}");
            assertThat(SimClient.parse(text).isObject()).isTrue();
        }
    }

    @Test
    void structuredOutputsJsonChoiceAndRegex() {
        SchemaInstanceTests.assertValid(PERSON, content(",\"structured_outputs\":{\"json\":" + PERSON + "}"));
        assertThat(content(",\"structured_outputs\":{\"choice\":[\"positive\",\"negative\"]}"))
                .isIn("positive", "negative");
        assertThat(content(",\"structured_outputs\":{\"regex\":\"\\\\d{3}-[A-Z]{2}\"}"))
                .matches("\\d{3}-[A-Z]{2}");
    }

    @Test
    void streamsTheJsonTokenByTokenAndAMaxTokensCutEndsWithLength() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{" + ASK + ",\"stream\":true,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                        + "{\"name\":\"person\",\"schema\":" + PERSON + "}}}");
        List<String> events = SimClient.events(response.body());
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(1, events.size() - 1)) {
            text.append(SimClient.parse(e).at("/choices/0/delta/content").asText());
        }
        assertThat(events.size()).isGreaterThan(8);
        SchemaInstanceTests.assertValid(PERSON, text.toString());

        JsonNode cut = SimClient.parse(client.post(
                        "/v1/chat/completions",
                        "{" + ASK + ",\"max_tokens\":3,\"response_format\":{\"type\":\"json_object\"}}")
                .body());
        assertThat(cut.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(cut.at("/choices/0/message/content").asText()).startsWith("{");
    }

    @Test
    void rejectsInvalidConstraintsLikeVllm() {
        JsonNode missing = SimClient.parse(client.post(
                                "/v1/chat/completions",
                                "{" + ASK + ",\"response_format\":{\"type\":\"json_schema\",\"schema\":{}}}")
                        .body())
                .get("error");
        assertThat(missing.get("type").asText()).isEqualTo("Bad Request");
        assertThat(missing.get("param").asText()).isEqualTo("response_format");
        assertThat(missing.get("message").asText())
                .contains("When response_format type is 'json_schema', the 'json_schema' field must be provided.");

        JsonNode two = SimClient.parse(client.post(
                                "/v1/chat/completions",
                                "{" + ASK + ",\"structured_outputs\":{\"choice\":[\"a\"],\"regex\":\"a\"}}")
                        .body())
                .get("error");
        assertThat(two.get("message").asText())
                .contains("You can only use one kind of constraints for structured outputs");

        JsonNode empty = SimClient.parse(
                        client.post("/v1/chat/completions", "{" + ASK + ",\"structured_outputs\":{\"choice\":[]}}")
                                .body())
                .get("error");
        assertThat(empty.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(empty.get("message").asText()).isEqualTo("Choice '[]' cannot be an empty list");
    }
}
