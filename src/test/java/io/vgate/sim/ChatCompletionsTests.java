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
class ChatCompletionsTests extends SimSuite {

    @BeforeEach
    void setUp() {
        // Exact chunk sequences: with zero latencies every token is its own chunk, whatever the machine's load.
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    @Test
    void answersWithEveryFieldInVllmKeyOrder() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"model\":\"vgate-sim-llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"max_tokens\":5}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
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
                        "prompt_logprobs",
                        "prompt_token_ids",
                        "kv_transfer_params");
        assertThat(body.get("id").asText()).matches("chatcmpl-[0-9a-f]{32}");
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("model").asText()).isEqualTo("vgate-sim-llama-3-8b");
        JsonNode choice = body.get("choices").get(0);
        assertThat(SimClient.fieldNames(choice))
                .containsExactly("index", "message", "logprobs", "finish_reason", "stop_reason", "token_ids");
        assertThat(SimClient.fieldNames(choice.get("message")))
                .containsExactly("role", "content", "refusal", "annotations", "audio", "function_call", "reasoning");
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.get("stop_reason").isNull()).isTrue();
        JsonNode usage = body.get("usage");
        assertThat(SimClient.fieldNames(usage))
                .containsExactly("prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(usage.get("prompt_tokens").asInt()
                        + usage.get("completion_tokens").asInt());
    }

    @Test
    void streamsRoleContentFinalUsageAndDone() {
        sim.settings().mode(Mode.ECHO);

        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there!\"}],\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true}}",
                "content-type",
                "application/json",
                "x-request-id",
                "7d2e");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        assertThat(response.headers().firstValue("x-request-id")).hasValue("7d2e");
        long created = createdOf(response.body());
        String head = "{\"id\":\"chatcmpl-7d2e\",\"object\":\"chat.completion.chunk\",\"created\":" + created
                + ",\"model\":\"vgate-sim-llama-3-8b\",\"choices\":[";
        assertThat(SimClient.events(response.body()))
                .containsExactly(
                        head + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                                + "\"finish_reason\":null}],\"prompt_token_ids\":null}",
                        head
                                + "{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"logprobs\":null,\"finish_reason\":null}]}",
                        head
                                + "{\"index\":0,\"delta\":{\"content\":\" there\"},\"logprobs\":null,\"finish_reason\":null}]}",
                        head + "{\"index\":0,\"delta\":{\"content\":\"!\"},\"logprobs\":null,\"finish_reason\":null}]}",
                        head + "{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,\"finish_reason\":\"stop\","
                                + "\"stop_reason\":null}]}",
                        head + "],\"usage\":{\"prompt_tokens\":" + promptTokens("Hello there!") + ",\"total_tokens\":"
                                + (promptTokens("Hello there!") + 4) + ",\"completion_tokens\":4}}",
                        "[DONE]");
    }

    @Test
    void streamsWithoutUsageUnlessAsked() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,\"max_tokens\":3}");

        List<String> events = SimClient.events(response.body());
        assertThat(events).hasSize(1 + 3 + 1);
        assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
        assertThat(events).noneMatch(e -> e.contains("\"usage\""));
        JsonNode last = SimClient.parse(events.get(3)).get("choices").get(0);
        assertThat(last.get("finish_reason").asText()).isEqualTo("length");
        assertThat(last.get("delta").get("content").asText()).isNotEmpty();
    }

    @Test
    void includesUsageByDefaultOnceStreamOptionsArePresent() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,\"max_tokens\":2,"
                        + "\"stream_options\":{}}");

        List<String> events = SimClient.events(response.body());
        JsonNode usageChunk = SimClient.parse(events.get(events.size() - 2));
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.get("usage").get("completion_tokens").asInt()).isEqualTo(2);
        assertThat(SimClient.fieldNames(usageChunk.get("usage")))
                .containsExactly("prompt_tokens", "total_tokens", "completion_tokens");
    }

    @Test
    void carriesRunningUsageInEveryChunkWithContinuousUsageStats() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,\"max_tokens\":2,"
                        + "\"stream_options\":{\"include_usage\":true,\"continuous_usage_stats\":true}}");

        List<JsonNode> chunks = SimClient.events(response.body()).stream()
                .filter(e -> !e.equals("[DONE]"))
                .map(SimClient::parse)
                .toList();
        assertThat(chunks).hasSize(4);
        assertThat(chunks)
                .extracting(c -> c.at("/usage/completion_tokens").asInt())
                .containsExactly(0, 1, 2, 2);
        assertThat(SimClient.fieldNames(chunks.get(0)))
                .containsExactly("id", "object", "created", "model", "choices", "usage", "prompt_token_ids");
    }

    @Test
    void streamsEveryChoiceWithItsIndex() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true,\"n\":2,\"max_tokens\":3,"
                        + "\"stream_options\":{\"include_usage\":true}}");

        List<JsonNode> chunks = SimClient.events(response.body()).stream()
                .filter(e -> !e.equals("[DONE]"))
                .map(SimClient::parse)
                .toList();
        String id = chunks.get(0).get("id").asText();
        assertThat(chunks).allSatisfy(c -> assertThat(c.get("id").asText()).isEqualTo(id));
        assertThat(chunks.get(0).get("choices").get(0).get("index").asInt()).isZero();
        assertThat(chunks.get(1).get("choices").get(0).get("index").asInt()).isEqualTo(1);
        assertThat(chunks.get(1).get("choices").get(0).get("delta").get("role").asText())
                .isEqualTo("assistant");
        long finals = chunks.stream()
                .filter(c -> !c.get("choices").isEmpty())
                .filter(c -> c.get("choices").get(0).hasNonNull("finish_reason"))
                .count();
        assertThat(finals).isEqualTo(2);
        JsonNode usage = chunks.get(chunks.size() - 1).get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(6);
        assertThat(chunks).hasSize(2 + 2 * 3 + 1);
    }

    @Test
    void answersTheSameRequestTheSameWay() {
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me something\"}],\"max_tokens\":40}";

        String first = client.postJson("/v1/chat/completions", request)
                .at("/choices/0/message/content")
                .asText();
        String second = client.postJson("/v1/chat/completions", request)
                .at("/choices/0/message/content")
                .asText();
        String seeded = client.postJson(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me something\"}],\"max_tokens\":40,\"seed\":7}")
                .at("/choices/0/message/content")
                .asText();

        assertThat(first).isNotBlank().isEqualTo(second).isNotEqualTo(seeded);
    }

    @Test
    void stopsOnItsOwnNearTheMeanLengthUnlessEosIsIgnored() {
        sim.settings().meanOutputTokens(20);

        JsonNode natural =
                client.postJson("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        JsonNode ignoring = client.postJson(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"ignore_eos\":true,\"max_tokens\":200}");

        assertThat(natural.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(natural.at("/usage/completion_tokens").asInt()).isBetween(10, 60);
        assertThat(ignoring.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(ignoring.at("/usage/completion_tokens").asInt()).isEqualTo(200);
    }

    @Test
    void echoesTheLastUserMessageInEchoMode() {
        sim.settings().mode(Mode.ECHO);

        JsonNode body = client.postJson(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"
                        + "[{\"type\":\"text\",\"text\":\"First part.\"},{\"type\":\"text\",\"text\":\"Second.\"}]}]}");

        assertThat(body.at("/choices/0/message/content").asText()).isEqualTo("First part.\nSecond.");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void truncatesAtAStopStringAndReportsIt() {
        sim.settings().mode(Mode.ECHO);
        String request = "{\"messages\":[{\"role\":\"user\",\"content\":\"one two three four\"}],"
                + "\"stop\":[\"nope\",\" three\"]%s}";

        JsonNode body = client.postJson("/v1/chat/completions", request.formatted(""));
        String stream = client.post("/v1/chat/completions", request.formatted(",\"stream\":true"))
                .body();

        assertThat(body.at("/choices/0/message/content").asText()).isEqualTo("one two");
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(body.at("/choices/0/stop_reason").asText()).isEqualTo(" three");
        StringBuilder streamed = new StringBuilder();
        for (String event : SimClient.events(stream)) {
            if (!event.equals("[DONE]")) {
                streamed.append(
                        SimClient.parse(event).at("/choices/0/delta/content").asText());
            }
        }
        assertThat(streamed.toString()).isEqualTo("one two");
        assertThat(stream).contains("\"finish_reason\":\"stop\",\"stop_reason\":\" three\"");
    }

    @Test
    void takesTheRequestIdFromTheBodyWhenNoHeaderIsSent() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1,\"request_id\":\"abc-1\"}");

        assertThat(SimClient.parse(response.body()).get("id").asText()).isEqualTo("chatcmpl-abc-1");
        assertThat(response.headers().firstValue("x-request-id")).hasValue("abc-1");
    }

    @Test
    void ignoresUnknownFields() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1,\"frobnicate\":{\"a\":[1]},"
                        + "\"user\":\"u1\",\"temperature\":0.2,\"top_p\":0.9,\"top_k\":5}");

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void generatesUpToTheContextLengthByDefault() {
        sim.settings().maxModelLen(64).meanOutputTokens(500);

        JsonNode body =
                client.postJson("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        int prompt = body.at("/usage/prompt_tokens").asInt();
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(64 - prompt);
        assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }

    private int promptTokens(String userMessage) {
        return sim.tokenizer()
                .count(sim.tokenizer().renderChat(List.of(new SimTokenizer.Message("user", userMessage)), true, false));
    }

    private static long createdOf(String body) {
        return SimClient.parse(SimClient.events(body).get(0)).get("created").asLong();
    }
}
