package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A model behind vLLM's reasoning parser: reasoning before the answer when asked, never when not. */
@QuarkusTest
class ReasoningTests extends SimSuite {

    static final String ASK = "\"messages\":[{\"role\":\"user\",\"content\":\"What is 17 times 23?\"}]";
    static final String THINK = ",\"chat_template_kwargs\":{\"enable_thinking\":true}";

    @BeforeEach
    void setUp() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    private JsonNode complete(String fields) {
        HttpResponse<String> response = client.post("/v1/chat/completions", "{" + ASK + fields + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return SimClient.parse(response.body());
    }

    @Test
    void reasonsWhenAskedAndCountsItInTheUsage() {
        JsonNode body = complete(THINK);
        JsonNode message = body.at("/choices/0/message");

        assertThat(message.get("reasoning").asText()).isNotBlank();
        assertThat(message.get("content").asText()).isNotBlank();
        int reasoning =
                body.at("/usage/completion_tokens_details/reasoning_tokens").asInt();
        assertThat(reasoning).isPositive();
        assertThat(body.at("/usage/completion_tokens").asInt()).isGreaterThan(reasoning);
    }

    @Test
    void reasoningEffortAsksForItToo() {
        assertThat(complete(",\"reasoning_effort\":\"low\"")
                        .at("/choices/0/message/reasoning")
                        .asText())
                .isNotBlank();
        assertThat(complete(",\"reasoning_effort\":\"none\"")
                        .at("/choices/0/message/reasoning")
                        .isNull())
                .isTrue();
    }

    @Test
    void neverReasonsWhenNotAsked() {
        JsonNode body = complete("");

        assertThat(body.at("/choices/0/message/reasoning").isNull()).isTrue();
        assertThat(body.at("/usage").has("completion_tokens_details")).isFalse();
        assertThat(client.post("/v1/chat/completions", "{" + ASK + ",\"stream\":true}")
                        .body())
                .doesNotContain("\"reasoning\":\"");
    }

    @Test
    void streamsReasoningDeltasBeforeContent() {
        List<String> events = SimClient.events(client.post(
                        "/v1/chat/completions",
                        "{" + ASK + THINK + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
                .body());
        int lastReasoning = -1;
        int firstContent = -1;
        for (int i = 1; i < events.size() - 1; i++) {
            JsonNode chunk = SimClient.parse(events.get(i));
            if (chunk.get("choices").isEmpty()) {
                assertThat(chunk.at("/usage/completion_tokens_details/reasoning_tokens")
                                .asInt())
                        .isPositive();
                continue;
            }
            JsonNode delta = chunk.at("/choices/0/delta");
            if (delta.has("reasoning")) {
                lastReasoning = i;
            }
            if (delta.has("content") && !delta.get("content").asText().isEmpty() && firstContent < 0) {
                firstContent = i;
            }
        }
        assertThat(lastReasoning).isPositive();
        assertThat(firstContent).isGreaterThan(lastReasoning);
    }

    @Test
    void aLimitInsideTheReasoningLeavesNoContent() {
        JsonNode body = complete(THINK + ",\"max_tokens\":3");

        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(body.at("/choices/0/message/content").isNull()).isTrue();
        assertThat(body.at("/choices/0/message/reasoning").asText()).isNotBlank();
    }

    @Test
    void followsTheModeAndFieldSettings() {
        sim.settings().reasoning("off");
        assertThat(complete(THINK).at("/choices/0/message/reasoning").isNull()).isTrue();

        sim.settings().reasoning("always").reasoningField("reasoning_content");
        JsonNode message = complete("").at("/choices/0/message");
        assertThat(message.has("reasoning")).isFalse();
        assertThat(message.get("reasoning_content").asText()).isNotBlank();
        assertThat(complete(",\"chat_template_kwargs\":{\"enable_thinking\":false}")
                        .at("/choices/0/message/reasoning_content")
                        .isNull())
                .isTrue();
    }

    @Test
    void settingsAreReadableAndWritableOverHttp() {
        HttpResponse<String> set = client.post(
                "/sim/settings",
                "{\"reasoning\":\"always\",\"reasoning-field\":\"reasoning_content\",\"tool-parser\":false,"
                        + "\"auto-tool-call-rate\":0.5,\"multimodal\":false,\"inter-token-latency-std-dev\":\"2ms\","
                        + "\"faults\":{\"error-types\":[\"rate_limit\"]}}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);

        JsonNode settings = SimClient.parse(client.get("/sim/settings").body());
        assertThat(settings.get("reasoning").asText()).isEqualTo("always");
        assertThat(settings.get("reasoning-field").asText()).isEqualTo("reasoning_content");
        assertThat(settings.get("tool-parser").asBoolean()).isFalse();
        assertThat(settings.get("auto-tool-call-rate").asDouble()).isEqualTo(0.5);
        assertThat(settings.get("multimodal").asBoolean()).isFalse();
        assertThat(settings.get("inter-token-latency-std-dev").asText()).isEqualTo("PT0.002S");
        assertThat(settings.at("/faults/error-types/0").asText()).isEqualTo("rate_limit");

        assertThat(client.post("/sim/settings", "{\"reasoning\":\"sometimes\"}").statusCode())
                .isEqualTo(400);
    }
}
