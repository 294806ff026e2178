package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.sim.SimulatorConfig.Mode;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** vLLM's Anthropic Messages API: bodies, the named-event stream, tool use, thinking, errors, token counting. */
@QuarkusTest
class MessagesTests extends SimSuite {

    static final String ASK = "\"model\":\"vgate-sim-llama-3-8b\",\"system\":\"Be brief\","
            + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}]}]";
    static final String SAME_AS_CHAT =
            "[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\",\"content\":\"Hi\"}]";
    static final String TOOLS = "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Current weather\","
            + "\"input_schema\":" + ToolCallsTests.WEATHER_SCHEMA + "}]";

    @BeforeEach
    void setUp() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    private JsonNode create(String fields) {
        HttpResponse<String> response = client.post("/v1/messages", "{" + fields + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        return SimClient.parse(response.body());
    }

    @Test
    void answersWithVllmsMessageBody() {
        JsonNode body = create(ASK + ",\"max_tokens\":5");

        assertThat(SimClient.fieldNames(body))
                .containsExactly("id", "type", "role", "content", "model", "stop_reason", "usage");
        assertThat(body.get("id").asText()).matches("chatcmpl-[0-9a-f]{32}");
        assertThat(body.get("type").asText()).isEqualTo("message");
        assertThat(body.get("role").asText()).isEqualTo("assistant");
        assertThat(body.get("model").asText()).isEqualTo("vgate-sim-llama-3-8b");
        assertThat(body.get("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(SimClient.fieldNames(body.get("usage"))).containsExactly("input_tokens", "output_tokens");
        assertThat(body.at("/usage/output_tokens").asInt()).isEqualTo(5);
        assertThat(body.get("content")).hasSize(1);
        assertThat(SimClient.fieldNames(body.at("/content/0"))).containsExactly("type", "text");
        JsonNode chat = client.postJson("/v1/chat/completions", "{\"messages\":" + SAME_AS_CHAT + ",\"max_tokens\":5}");
        assertThat(body.at("/usage/input_tokens").asInt())
                .isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(body.at("/content/0/text").asText())
                .isEqualTo(chat.at("/choices/0/message/content").asText());

        HttpResponse<String> withHeader = client.post(
                "/v1/messages",
                "{" + ASK + ",\"max_tokens\":1}",
                "content-type",
                "application/json",
                "x-request-id",
                "abc");
        assertThat(SimClient.parse(withHeader.body()).get("id").asText()).isEqualTo("chatcmpl-abc");
    }

    @Test
    void endsTheTurnWhenTheModelStops() {
        JsonNode body = create(ASK + ",\"max_tokens\":1000");

        assertThat(body.get("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(body.has("stop_sequence")).isFalse();
    }

    @Test
    void namesTheStopSequenceThatMatched() {
        sim.settings().mode(Mode.ECHO);

        JsonNode body = create("\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":50,\"stop_sequences\":[\"gamma\"],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"alpha beta gamma delta\"}]");

        assertThat(body.get("stop_reason").asText()).isEqualTo("stop_sequence");
        assertThat(body.get("stop_sequence").asText()).isEqualTo("gamma");
        assertThat(body.at("/content/0/text").asText()).isEqualTo("alpha beta ");
    }

    @Test
    void streamsNamedEventsFromMessageStartToMessageStop() {
        HttpResponse<String> response = client.post("/v1/messages", "{" + ASK + ",\"max_tokens\":5,\"stream\":true}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        assertThat(response.body()).doesNotContain("[DONE]").doesNotContain("ping");
        List<NamedEvents.Event> events = NamedEvents.parse(response.body());
        assertThat(NamedEvents.names(events))
                .containsExactly(
                        "message_start",
                        "content_block_start",
                        "content_block_delta",
                        "content_block_delta",
                        "content_block_delta",
                        "content_block_delta",
                        "content_block_delta",
                        "content_block_stop",
                        "message_delta",
                        "message_stop");
        JsonNode start = events.get(0).data();
        String id = start.at("/message/id").asText();
        assertThat(id).matches("chatcmpl-[0-9a-f]{32}");
        JsonNode chat = client.postJson("/v1/chat/completions", "{\"messages\":" + SAME_AS_CHAT + ",\"max_tokens\":5}");
        int input = chat.at("/usage/prompt_tokens").asInt();
        assertThat(events.get(0).raw())
                .isEqualTo("{\"type\":\"message_start\",\"message\":{\"id\":\"" + id + "\",\"type\":\"message\","
                        + "\"role\":\"assistant\",\"content\":[],\"model\":\"vgate-sim-llama-3-8b\",\"stop_reason\":null,"
                        + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + input + ",\"output_tokens\":0}}}");
        assertThat(events.get(1).raw())
                .isEqualTo("{\"type\":\"content_block_start\",\"content_block\":{\"type\":\"text\",\"text\":\"\"},"
                        + "\"index\":0}");
        StringBuilder text = new StringBuilder();
        for (NamedEvents.Event delta : events.subList(2, 7)) {
            assertThat(SimClient.fieldNames(delta.data())).containsExactly("type", "delta", "index");
            assertThat(delta.data().at("/delta/type").asText()).isEqualTo("text_delta");
            text.append(delta.data().at("/delta/text").asText());
        }
        assertThat(text.toString())
                .isEqualTo(chat.at("/choices/0/message/content").asText());
        assertThat(events.get(7).raw()).isEqualTo("{\"type\":\"content_block_stop\",\"index\":0}");
        assertThat(events.get(8).raw())
                .isEqualTo("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},"
                        + "\"usage\":{\"input_tokens\":" + input + ",\"output_tokens\":5}}");
        assertThat(events.get(9).raw()).isEqualTo("{\"type\":\"message_stop\"}");
    }

    @Test
    void usesToolsAsToolUseBlocks() {
        JsonNode body =
                create("\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":200,\"tool_choice\":{\"type\":\"any\"},"
                        + TOOLS + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]");

        assertThat(body.get("stop_reason").asText()).isEqualTo("tool_use");
        JsonNode block = body.at("/content/0");
        assertThat(SimClient.fieldNames(block)).containsExactly("type", "id", "name", "input");
        assertThat(block.get("type").asText()).isEqualTo("tool_use");
        assertThat(block.get("name").asText()).isEqualTo("get_weather");
        assertThat(block.get("input").isObject()).isTrue();
        SchemaInstanceTests.assertValid(
                ToolCallsTests.WEATHER_SCHEMA, block.get("input").toString());

        HttpResponse<String> stream = client.post(
                "/v1/messages",
                "{\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":200,\"stream\":true,"
                        + "\"tool_choice\":{\"type\":\"any\"}," + TOOLS
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}");
        List<NamedEvents.Event> events = NamedEvents.parse(stream.body());
        JsonNode toolStart = events.get(1).data().get("content_block");
        assertThat(toolStart.get("type").asText()).isEqualTo("tool_use");
        assertThat(toolStart.get("input").toString()).isEqualTo("{}");
        StringBuilder json = new StringBuilder();
        for (NamedEvents.Event e : events) {
            if (e.name().equals("content_block_delta")) {
                assertThat(e.data().at("/delta/type").asText()).isEqualTo("input_json_delta");
                json.append(e.data().at("/delta/partial_json").asText());
            }
        }
        SchemaInstanceTests.assertValid(ToolCallsTests.WEATHER_SCHEMA, json.toString());
        assertThat(events.get(events.size() - 2).data().at("/delta/stop_reason").asText())
                .isEqualTo("tool_use");

        // A follow-up with the tool's result is answered in text.
        JsonNode answer = create("\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":30," + TOOLS
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"get_weather\","
                + "\"input\":{\"city\":\"Paris\",\"unit\":\"celsius\"}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\","
                + "\"content\":\"18 degrees\"}]}]");
        assertThat(answer.at("/content/0/type").asText()).isEqualTo("text");
    }

    @Test
    void thinksInABlockWithASignature() {
        JsonNode body = create(ASK + ",\"max_tokens\":300,\"output_config\":{\"effort\":\"high\"}");

        JsonNode thinking = body.at("/content/0");
        assertThat(SimClient.fieldNames(thinking)).containsExactly("type", "thinking", "signature");
        assertThat(thinking.get("signature").asText()).matches("[0-9a-f]{32}");
        assertThat(body.at("/content/1/type").asText()).isEqualTo("text");

        HttpResponse<String> stream = client.post(
                "/v1/messages",
                "{" + ASK + ",\"max_tokens\":300,\"stream\":true,\"output_config\":{\"effort\":\"high\"}}");
        List<NamedEvents.Event> events = NamedEvents.parse(stream.body());
        assertThat(events.get(1).raw())
                .isEqualTo(
                        "{\"type\":\"content_block_start\",\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"},"
                                + "\"index\":0}");
        int stop = NamedEvents.names(events).indexOf("content_block_stop");
        assertThat(events.get(stop - 1).data().at("/delta/type").asText()).isEqualTo("signature_delta");
        assertThat(events.get(stop + 1).data().at("/content_block/type").asText())
                .isEqualTo("text");
        assertThat(events.get(stop + 1).data().get("index").asInt()).isEqualTo(1);
    }

    @Test
    void answersErrorsInVllmsShapes() {
        HttpResponse<String> noMaxTokens = client.post(
                "/v1/messages",
                "{\"model\":\"vgate-sim-llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(noMaxTokens.statusCode()).isEqualTo(400);
        JsonNode generic = SimClient.parse(noMaxTokens.body()).get("error");
        assertThat(generic.get("type").asText()).isEqualTo("Bad Request");
        assertThat(generic.get("param").asText()).isEqualTo("body.max_tokens");
        assertThat(generic.get("code").asInt()).isEqualTo(400);

        HttpResponse<String> zero = client.post(
                "/v1/messages",
                "{\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(zero.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(zero.body()).at("/error/message").asText()).contains("max_tokens must be positive");

        HttpResponse<String> model = client.post(
                "/v1/messages",
                "{\"model\":\"claude-x\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(model.statusCode()).isEqualTo(404);
        assertThat(model.body())
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"NotFoundError\","
                        + "\"message\":\"The model `claude-x` does not exist.\"}}");

        HttpResponse<String> tooLong = client.post(
                "/v1/messages",
                "{\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":5000,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        JsonNode anthropic = SimClient.parse(tooLong.body());
        assertThat(SimClient.fieldNames(anthropic)).containsExactly("type", "error");
        assertThat(anthropic.at("/error/type").asText()).isEqualTo("BadRequestError");
        assertThat(anthropic.at("/error/message").asText()).contains("max_model_len");
    }

    @Test
    void countsTheRenderedPromptTokens() {
        HttpResponse<String> response = client.post("/v1/messages/count_tokens", "{" + ASK + "}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode chat = client.postJson("/v1/chat/completions", "{\"messages\":" + SAME_AS_CHAT + ",\"max_tokens\":1}");
        int tokens = chat.at("/usage/prompt_tokens").asInt();
        assertThat(response.body())
                .isEqualTo("{\"input_tokens\":" + tokens + ",\"context_management\":{\"original_input_tokens\":"
                        + tokens + "}}");
        int withTools = SimClient.parse(client.post("/v1/messages/count_tokens", "{" + ASK + "," + TOOLS + "}")
                        .body())
                .get("input_tokens")
                .asInt();
        assertThat(withTools).isGreaterThan(tokens);
        assertThat(client.post(
                                "/v1/messages/count_tokens",
                                "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void endsWithAnErrorEventAndNoMessageStopWhenGenerationFails() {
        sim.settings().faults().errorAfterEvents(3);

        HttpResponse<String> response = client.post("/v1/messages", "{" + ASK + ",\"max_tokens\":10,\"stream\":true}");

        List<NamedEvents.Event> events = NamedEvents.parse(response.body());
        assertThat(NamedEvents.names(events))
                .containsExactly("message_start", "content_block_start", "content_block_delta", "error");
        assertThat(SimClient.parse(events.getLast().raw()).at("/error/type").asText())
                .isEqualTo("internal_error");
    }

    @Test
    void abortsAStreamWhenTheClientGoesAway() throws Exception {
        sim.settings().interTokenLatency(Duration.ofMillis(50));
        long aborted = sim.aborted();

        try (Socket socket = client.openRaw(
                "/v1/messages",
                "{\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":400,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Talk\"}]}")) {
            String received = SimClient.readUntil(socket, "content_block_delta", 4);
            assertThat(received).startsWith("HTTP/1.1 200 OK").contains("event: message_start");
            assertThat(sim.running()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 0 && sim.aborted() == aborted + 1);
    }
}
