package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.sim.SimulatorConfig.Mode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class CompletionsTests extends SimSuite {

    @BeforeEach
    void setUp() {
        // Exact chunk sequences: with zero latencies every token is its own chunk, whatever the machine's load.
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    @Test
    void answersWithEveryFieldInVllmKeyOrderAndSixteenTokensByDefault() {
        HttpResponse<String> response = client.post("/v1/completions", "{\"prompt\":\"Once upon a time\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = SimClient.parse(response.body());
        assertThat(SimClient.fieldNames(body))
                .containsExactly(
                        "id",
                        "object",
                        "created",
                        "model",
                        "choices",
                        "service_tier",
                        "system_fingerprint",
                        "usage",
                        "kv_transfer_params");
        assertThat(body.get("id").asText()).matches("cmpl-[0-9a-f]{32}");
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        JsonNode choice = body.get("choices").get(0);
        assertThat(SimClient.fieldNames(choice))
                .containsExactly(
                        "index",
                        "text",
                        "logprobs",
                        "finish_reason",
                        "stop_reason",
                        "token_ids",
                        "prompt_logprobs",
                        "prompt_token_ids");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(16);
        assertThat(body.at("/usage/prompt_tokens").asInt())
                .isEqualTo(sim.tokenizer().encode("Once upon a time", true).length);
    }

    @Test
    void streamsChunksWithAllFieldsAndNoRoleChunk() {
        sim.settings().mode(Mode.ECHO);

        HttpResponse<String> response = client.post(
                "/v1/completions",
                "{\"prompt\":\"Hello world.\",\"max_tokens\":2,\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true}}",
                "content-type",
                "application/json",
                "x-request-id",
                "5a1f");

        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        long created = SimClient.parse(SimClient.events(response.body()).get(0))
                .get("created")
                .asLong();
        String head = "{\"id\":\"cmpl-5a1f\",\"object\":\"text_completion\",\"created\":" + created
                + ",\"model\":\"vgate-sim-llama-3-8b\",\"choices\":[";
        int prompt = sim.tokenizer().encode("Hello world.", true).length;
        assertThat(SimClient.events(response.body()))
                .containsExactly(
                        head
                                + "{\"index\":0,\"text\":\"Hello\",\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null,"
                                + "\"prompt_token_ids\":null,\"token_ids\":null}],\"usage\":null}",
                        head + "{\"index\":0,\"text\":\" world\",\"logprobs\":null,\"finish_reason\":\"length\","
                                + "\"stop_reason\":null,\"prompt_token_ids\":null,\"token_ids\":null}],\"usage\":null}",
                        head + "],\"usage\":{\"prompt_tokens\":" + prompt + ",\"total_tokens\":" + (prompt + 2)
                                + ",\"completion_tokens\":2}}",
                        "[DONE]");
    }

    @Test
    void streamsWithoutUsageUnlessAsked() {
        HttpResponse<String> response =
                client.post("/v1/completions", "{\"prompt\":\"Hello\",\"max_tokens\":3,\"stream\":true}");

        List<String> events = SimClient.events(response.body());
        assertThat(events).hasSize(3 + 1);
        assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e).endsWith(",\"usage\":null}"));
    }

    @Test
    void answersEveryPromptTimesNWithCountingIndexes() {
        JsonNode body = client.postJson(
                "/v1/completions", "{\"prompt\":[\"First prompt\",\"Second one\"],\"n\":2,\"max_tokens\":4}");

        assertThat(body.get("choices")).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(body.get("choices").get(i).get("index").asInt()).isEqualTo(i);
        }
        int prompts = sim.tokenizer().encode("First prompt", true).length
                + sim.tokenizer().encode("Second one", true).length;
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(prompts);
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void acceptsTokenIdPrompts() {
        int[] ids = sim.tokenizer().encode("Hello there", false);

        JsonNode body = client.postJson(
                "/v1/completions",
                "{\"prompt\":" + java.util.Arrays.toString(ids).replace(" ", "") + ",\"max_tokens\":1}");

        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(ids.length);
    }

    @Test
    void streamsTwoChoicesWithTheirIndexes() {
        HttpResponse<String> response =
                client.post("/v1/completions", "{\"prompt\":\"Hi\",\"n\":2,\"max_tokens\":2,\"stream\":true}");

        List<JsonNode> chunks = SimClient.events(response.body()).stream()
                .filter(e -> !e.equals("[DONE]"))
                .map(SimClient::parse)
                .toList();
        assertThat(chunks).extracting(c -> c.at("/choices/0/index").asInt()).containsExactly(0, 1, 0, 1);
        assertThat(chunks)
                .extracting(c -> c.at("/choices/0/finish_reason").isNull())
                .containsExactly(true, true, false, false);
    }
}
