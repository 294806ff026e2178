package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Responses API as vLLM serves it: bodies, named-event streams, rejections, the store and background mode. */
@QuarkusTest
class ResponsesTests extends SimSuite {

    static final List<String> RESPONSE_FIELDS = List.of(
            "id",
            "created_at",
            "incomplete_details",
            "instructions",
            "metadata",
            "model",
            "object",
            "output",
            "parallel_tool_calls",
            "temperature",
            "tool_choice",
            "tools",
            "top_p",
            "background",
            "max_output_tokens",
            "max_tool_calls",
            "previous_response_id",
            "prompt",
            "reasoning",
            "service_tier",
            "status",
            "text",
            "top_logprobs",
            "truncation",
            "usage",
            "user",
            "presence_penalty",
            "frequency_penalty",
            "kv_transfer_params",
            "ec_transfer_params",
            "input_messages",
            "output_messages");

    @BeforeEach
    void setUp() {
        // Exact event sequences: with zero latencies every token is its own step, whatever the machine's load.
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    private JsonNode create(String json) {
        HttpResponse<String> response = client.post("/v1/responses", json);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        return SimClient.parse(response.body());
    }

    private JsonNode chat(String messages, String more) {
        return client.postJson("/v1/chat/completions", "{\"messages\":" + messages + more + "}");
    }

    @Test
    void answersWithEveryFieldOfTheResponseObjectInVllmOrder() {
        JsonNode body = create("{\"model\":\"vgate-sim-llama-3-8b\",\"input\":\"Hi\",\"max_output_tokens\":5}");

        assertThat(SimClient.fieldNames(body)).containsExactlyElementsOf(RESPONSE_FIELDS);
        assertThat(body.get("id").asText()).matches("resp_[0-9a-f]{32}");
        assertThat(body.get("object").asText()).isEqualTo("response");
        assertThat(body.get("model").asText()).isEqualTo("vgate-sim-llama-3-8b");
        assertThat(body.get("status").asText()).isEqualTo("incomplete");
        assertThat(body.get("incomplete_details").toString()).isEqualTo("{\"reason\":\"max_output_tokens\"}");
        assertThat(body.get("max_output_tokens").asInt()).isEqualTo(5);
        assertThat(body.get("temperature").asDouble()).isEqualTo(1.0);
        assertThat(body.get("top_p").asDouble()).isEqualTo(1.0);
        assertThat(body.get("tool_choice").asText()).isEqualTo("none");
        assertThat(body.get("tools").isEmpty()).isTrue();
        assertThat(body.get("truncation").asText()).isEqualTo("disabled");
        assertThat(body.get("service_tier").asText()).isEqualTo("auto");
        assertThat(body.get("parallel_tool_calls").asBoolean()).isTrue();
        assertThat(body.get("background").asBoolean()).isFalse();
        assertThat(body.get("output_messages").isNull()).isTrue();

        JsonNode message = body.get("output").get(0);
        assertThat(body.get("output").size()).isEqualTo(1);
        assertThat(SimClient.fieldNames(message)).containsExactly("id", "content", "role", "status", "type");
        assertThat(message.get("id").asText()).matches("msg_[0-9a-f]{32}");
        assertThat(message.get("status").asText()).isEqualTo("completed");
        JsonNode part = message.get("content").get(0);
        assertThat(SimClient.fieldNames(part)).containsExactly("annotations", "text", "type", "logprobs");
        assertThat(part.get("type").asText()).isEqualTo("output_text");

        JsonNode usage = body.get("usage");
        assertThat(SimClient.fieldNames(usage))
                .containsExactly(
                        "input_tokens",
                        "input_tokens_details",
                        "output_tokens",
                        "output_tokens_details",
                        "total_tokens");
        int input = usage.get("input_tokens").asInt();
        assertThat(usage.get("output_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(input + 5);
        assertThat(usage.get("input_tokens_details").toString())
                .isEqualTo("{\"cached_tokens\":0,\"input_tokens_per_turn\":[" + input
                        + "],\"cached_tokens_per_turn\":[0]}");
        assertThat(usage.get("output_tokens_details").toString())
                .isEqualTo("{\"reasoning_tokens\":0,\"tool_output_tokens\":0,\"output_tokens_per_turn\":[5],"
                        + "\"tool_output_tokens_per_turn\":[0]}");
        // The same prompt as the chat request vLLM renders from it, and the same answer.
        JsonNode chat = chat("[{\"role\":\"user\",\"content\":\"Hi\"}]", ",\"max_tokens\":5");
        assertThat(input).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(part.get("text").asText())
                .isEqualTo(chat.at("/choices/0/message/content").asText());
    }

    @Test
    void resolvesMaxOutputTokensToTheRoomLeftAndCompletesWhenTheModelStops() {
        JsonNode body = create("{\"input\":[{\"role\":\"developer\",\"content\":\"Be brief\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"Hello there\"}]}]}");

        int input = body.at("/usage/input_tokens").asInt();
        assertThat(body.get("max_output_tokens").asInt())
                .isEqualTo(sim.settings().maxModelLen() - input);
        assertThat(body.get("status").asText()).isEqualTo("completed");
        assertThat(body.get("incomplete_details").isNull()).isTrue();
        JsonNode chat = chat(
                "[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\",\"content\":\"Hello there\"}]", "");
        assertThat(input).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(body.at("/output/0/content/0/text").asText())
                .isEqualTo(chat.at("/choices/0/message/content").asText());
        assertThat(body.at("/usage/output_tokens").asInt())
                .isEqualTo(chat.at("/usage/completion_tokens").asInt());
    }

    @Test
    void takesTheBodyRequestIdAsTheResponseId() {
        JsonNode body = create("{\"input\":\"Hi\",\"max_output_tokens\":2,\"request_id\":\"abc\"}");

        assertThat(body.get("id").asText()).isEqualTo("abc");
    }

    @Test
    void streamsNamedEventsInVllmOrderAndEndsAtCompleted() {
        HttpResponse<String> response =
                client.post("/v1/responses", "{\"input\":\"Hi\",\"max_output_tokens\":5,\"stream\":true}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        assertThat(response.body()).doesNotContain("[DONE]");
        List<NamedEvents.Event> events = NamedEvents.parse(response.body());
        assertThat(NamedEvents.names(events))
                .containsExactly(
                        "response.created",
                        "response.in_progress",
                        "response.output_item.added",
                        "response.content_part.added",
                        "response.output_text.delta",
                        "response.output_text.delta",
                        "response.output_text.delta",
                        "response.output_text.delta",
                        "response.output_text.delta",
                        "response.output_text.done",
                        "response.content_part.done",
                        "response.output_item.done",
                        "response.completed");
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).data().get("sequence_number").asInt()).isEqualTo(i);
        }

        JsonNode created = events.get(0).data().get("response");
        assertThat(SimClient.fieldNames(created)).containsExactlyElementsOf(RESPONSE_FIELDS);
        assertThat(created.get("status").asText()).isEqualTo("in_progress");
        assertThat(created.get("output").isEmpty()).isTrue();
        assertThat(created.get("usage").isNull()).isTrue();
        assertThat(events.get(1).data().get("response")).isEqualTo(created);

        JsonNode added = events.get(2).data();
        String itemId = added.at("/item/id").asText();
        assertThat(itemId).matches("[0-9a-f]{32}");
        assertThat(added.get("item").toString())
                .isEqualTo("{\"id\":\"" + itemId
                        + "\",\"content\":[],\"role\":\"assistant\",\"status\":\"in_progress\",\"type\":\"message\"}");
        assertThat(events.get(3).raw())
                .isEqualTo("{\"content_index\":0,\"item_id\":\"" + itemId + "\",\"output_index\":0,\"part\":"
                        + "{\"annotations\":[],\"text\":\"\",\"type\":\"output_text\",\"logprobs\":[]},"
                        + "\"sequence_number\":3,\"type\":\"response.content_part.added\"}");
        StringBuilder text = new StringBuilder();
        for (NamedEvents.Event delta : events.subList(4, 9)) {
            assertThat(SimClient.fieldNames(delta.data()))
                    .containsExactly(
                            "content_index", "delta", "item_id", "logprobs", "output_index", "sequence_number", "type");
            assertThat(delta.data().get("item_id").asText()).isEqualTo(itemId);
            assertThat(delta.data().get("logprobs").isEmpty()).isTrue();
            text.append(delta.data().get("delta").asText());
        }
        assertThat(events.get(9).data().get("text").asText()).hasToString(text.toString());
        assertThat(events.get(10).data().at("/part/text").asText()).hasToString(text.toString());
        JsonNode done = events.get(11).data().get("item");
        assertThat(SimClient.fieldNames(done)).containsExactly("id", "content", "role", "status", "type", "summary");
        assertThat(done.get("status").asText()).isEqualTo("completed");

        JsonNode completed = events.get(12).data().get("response");
        assertThat(SimClient.fieldNames(completed)).containsExactlyElementsOf(RESPONSE_FIELDS);
        assertThat(completed.get("id")).isEqualTo(created.get("id"));
        assertThat(completed.get("status").asText()).isEqualTo("incomplete");
        assertThat(completed.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
        assertThat(completed.at("/usage/output_tokens").asInt()).isEqualTo(5);
        assertThat(completed.at("/output/0/content/0/text").asText()).hasToString(text.toString());
        // The final object rebuilds its items with new, prefixed ids.
        assertThat(completed.at("/output/0/id").asText())
                .matches("msg_[0-9a-f]{32}")
                .doesNotContain(itemId);
    }

    @Test
    void rejectsInVllmOrder() {
        HttpResponse<String> noInput = client.post("/v1/responses", "{\"model\":\"nope\"}");
        assertThat(noInput.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(noInput.body()).at("/error/type").asText()).isEqualTo("Bad Request");
        assertThat(SimClient.parse(noInput.body()).at("/error/param").asText()).isEqualTo("body.input");

        HttpResponse<String> backgroundNoStore = client.post(
                "/v1/responses", "{\"input\":\"Hi\",\"background\":true,\"store\":false,\"model\":\"nope\"}");
        assertThat(backgroundNoStore.statusCode()).isEqualTo(400);
        JsonNode error = SimClient.parse(backgroundNoStore.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("param").asText()).isEqualTo("background");
        assertThat(error.get("message").asText()).contains("background can only be used when `store` is true");

        HttpResponse<String> model = client.post(
                "/v1/responses", "{\"input\":\"Hi\",\"model\":\"nope\",\"previous_response_id\":\"resp_x\"}");
        assertThat(model.statusCode()).isEqualTo(404);
        assertThat(model.body())
                .isEqualTo("{\"error\":{\"message\":\"The model `nope` does not exist.\",\"type\":\"NotFoundError\","
                        + "\"param\":\"model\",\"code\":404}}");

        HttpResponse<String> unknown =
                client.post("/v1/responses", "{\"input\":\"Hi\",\"previous_response_id\":\"resp_x\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body())
                .isEqualTo("{\"error\":{\"message\":\"Response with id 'resp_x' not found.\","
                        + "\"type\":\"invalid_request_error\",\"param\":\"response_id\",\"code\":404}}");

        sim.settings().maxModelLen(16);
        HttpResponse<String> tooLong = client.post(
                "/v1/responses",
                "{\"input\":\"A prompt that is far too long for a context of sixteen tokens in all\"}");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        JsonNode tooLongError = SimClient.parse(tooLong.body()).get("error");
        assertThat(tooLongError.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(tooLongError.get("param").asText()).isEqualTo("input");
        assertThat(tooLongError.get("message").asText())
                .matches("The engine prompt length \\d+ exceeds the max_model_len 16\\. Please reduce prompt\\.");
    }

    @Test
    void refusesBackgroundAndFindsNothingWithoutTheStore() {
        String id =
                create("{\"input\":\"Hi\",\"max_output_tokens\":2}").get("id").asText();
        sim.settings().responsesStore(false);

        HttpResponse<String> background = client.post("/v1/responses", "{\"input\":\"Hi\",\"background\":true}");
        assertThat(background.statusCode()).isEqualTo(400);
        JsonNode error = SimClient.parse(background.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText()).isEqualTo("background");
        assertThat(error.get("message").asText()).contains("VLLM_ENABLE_RESPONSES_API_STORE=1");
        assertThat(client.get("/v1/responses/" + id).statusCode()).isEqualTo(404);
        assertThat(client.post("/v1/responses", "{\"input\":\"Hi\",\"previous_response_id\":\"" + id + "\"}")
                        .statusCode())
                .isEqualTo(404);
        String unstored =
                create("{\"input\":\"Hi\",\"max_output_tokens\":2}").get("id").asText();
        sim.settings().responsesStore(true);
        assertThat(client.get("/v1/responses/" + unstored).statusCode()).isEqualTo(404);
    }

    @Test
    void storesResponsesAndContinuesAConversation() {
        HttpResponse<String> first = client.post("/v1/responses", "{\"input\":\"Hi\",\"max_output_tokens\":6}");
        JsonNode firstBody = SimClient.parse(first.body());
        String id = firstBody.get("id").asText();
        String answer = firstBody.at("/output/0/content/0/text").asText();

        HttpResponse<String> stored = client.get("/v1/responses/" + id);
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(stored.body()).isEqualTo(first.body());

        JsonNode followUp = create("{\"input\":\"More\",\"max_output_tokens\":3,\"instructions\":\"Be brief\","
                + "\"previous_response_id\":\"" + id + "\"}");
        assertThat(followUp.get("previous_response_id").asText()).isEqualTo(id);
        assertThat(followUp.get("instructions").asText()).isEqualTo("Be brief");
        JsonNode chat = chat(
                "[{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"assistant\",\"content\":" + SimClient.MAPPER.valueToTree(answer) + "},"
                        + "{\"role\":\"user\",\"content\":\"More\"}]",
                ",\"max_tokens\":3");
        assertThat(followUp.at("/usage/input_tokens").asInt())
                .isEqualTo(chat.at("/usage/prompt_tokens").asInt());

        HttpResponse<String> notStored =
                client.post("/v1/responses", "{\"input\":\"Hi\",\"store\":false,\"max_output_tokens\":1}");
        assertThat(client.get("/v1/responses/"
                                + SimClient.parse(notStored.body()).get("id").asText())
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void anotherSimulatorDoesNotKnowTheResponse() {
        String id =
                create("{\"input\":\"Hi\",\"max_output_tokens\":2}").get("id").asText();
        VllmSimulator other = new VllmSimulator(new TestConfig());
        other.start();
        try {
            SimClient otherClient = new SimClient(other.baseUri());
            HttpResponse<String> followUp = otherClient.post(
                    "/v1/responses",
                    "{\"model\":\"/models/test-model\",\"input\":\"More\",\"previous_response_id\":\"" + id + "\"}");
            assertThat(followUp.statusCode()).isEqualTo(404);
            assertThat(SimClient.parse(followUp.body()).at("/error/message").asText())
                    .isEqualTo("Response with id '" + id + "' not found.");
            assertThat(otherClient.get("/v1/responses/" + id).statusCode()).isEqualTo(404);
        } finally {
            other.stop();
        }
    }

    @Test
    void answersUnknownRoutesAndMethodsLikeFastApi() {
        HttpResponse<String> get = client.get("/v1/responses/resp_unknown");
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(SimClient.parse(get.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        HttpResponse<String> cancel = client.post("/v1/responses/resp_unknown/cancel", "");
        assertThat(cancel.statusCode()).isEqualTo(404);
        assertThat(client.get("/v1/responses/resp_unknown/input_items").body()).isEqualTo("{\"detail\":\"Not Found\"}");
    }

    @Test
    void runsInTheBackgroundAndCannotCancelAFinishedResponse() {
        HttpResponse<String> queued =
                client.post("/v1/responses", "{\"input\":\"Hi\",\"background\":true,\"max_output_tokens\":4}");
        assertThat(queued.statusCode()).isEqualTo(200);
        JsonNode body = SimClient.parse(queued.body());
        assertThat(body.get("status").asText()).isEqualTo("queued");
        assertThat(body.get("background").asBoolean()).isTrue();
        assertThat(body.get("output").isEmpty()).isTrue();
        assertThat(body.get("usage").isNull()).isTrue();
        String id = body.get("id").asText();

        await().atMost(Duration.ofSeconds(5))
                .until(() -> !SimClient.parse(client.get("/v1/responses/" + id).body())
                        .get("status")
                        .asText()
                        .equals("queued"));
        JsonNode done = SimClient.parse(client.get("/v1/responses/" + id).body());
        assertThat(done.get("status").asText()).isEqualTo("incomplete");
        assertThat(done.at("/usage/output_tokens").asInt()).isEqualTo(4);

        HttpResponse<String> cancel = client.post("/v1/responses/" + id + "/cancel", "");
        assertThat(cancel.statusCode()).isEqualTo(400);
        assertThat(cancel.body())
                .isEqualTo("{\"error\":{\"message\":\"Cannot cancel a synchronous response.\","
                        + "\"type\":\"invalid_request_error\",\"param\":\"response_id\",\"code\":400}}");
    }

    @Test
    void cancelsABackgroundResponseAndFreesItsSlot() {
        sim.settings().interTokenLatency(Duration.ofMillis(20));
        long aborted = sim.aborted();
        JsonNode queued =
                create("{\"input\":\"Talk\",\"background\":true,\"max_output_tokens\":400,\"ignore_eos\":true}");
        String id = queued.get("id").asText();
        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 1);

        HttpResponse<String> cancel = client.post("/v1/responses/" + id + "/cancel", "");

        assertThat(cancel.statusCode()).isEqualTo(200);
        JsonNode cancelled = SimClient.parse(cancel.body());
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(cancelled.get("id").asText()).isEqualTo(id);
        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 0 && sim.aborted() == aborted + 1);
        assertThat(SimClient.parse(client.get("/v1/responses/" + id).body())
                        .get("status")
                        .asText())
                .isEqualTo("cancelled");
    }

    @Test
    void replaysABackgroundStreamFromAnyEvent() {
        HttpResponse<String> live = client.post(
                "/v1/responses", "{\"input\":\"Hi\",\"background\":true,\"stream\":true,\"max_output_tokens\":3}");
        List<NamedEvents.Event> events = NamedEvents.parse(live.body());
        assertThat(events.getLast().name()).isEqualTo("response.completed");
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).data().get("sequence_number").asInt()).isEqualTo(i);
        }
        String id = events.getFirst().data().at("/response/id").asText();

        HttpResponse<String> replay = client.get("/v1/responses/" + id + "?stream=true&starting_after=3");

        assertThat(replay.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        List<NamedEvents.Event> replayed = NamedEvents.parse(replay.body());
        assertThat(replayed).isEqualTo(events.subList(4, events.size()));
    }

    @Test
    void abortsAStreamWhenTheClientGoesAway() throws Exception {
        sim.settings().interTokenLatency(Duration.ofMillis(20));
        long aborted = sim.aborted();

        try (Socket socket = client.openRaw(
                "/v1/responses",
                "{\"input\":\"Talk\",\"stream\":true,\"max_output_tokens\":400,\"ignore_eos\":true}")) {
            String received = SimClient.readUntil(socket, "response.output_text.delta", 2);
            assertThat(received).startsWith("HTTP/1.1 200 OK").contains("event: response.created");
            assertThat(sim.running()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 0 && sim.aborted() == aborted + 1);
    }

    @Test
    void streamsFunctionCallItems() {
        String tools = "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":\"Current weather\","
                + "\"parameters\":" + ToolCallsTests.WEATHER_SCHEMA + "}],\"tool_choice\":\"required\"";
        JsonNode body = create("{\"input\":\"Weather in Paris?\"," + tools + "}");
        JsonNode call = body.get("output").get(0);
        assertThat(SimClient.fieldNames(call)).containsExactly("arguments", "call_id", "name", "type", "id", "status");
        assertThat(call.get("type").asText()).isEqualTo("function_call");
        assertThat(call.get("call_id").asText()).matches("call_[0-9a-f]{32}");
        assertThat(call.get("id").asText()).matches("fc_[0-9a-f]{32}");
        SchemaInstanceTests.assertValid(
                ToolCallsTests.WEATHER_SCHEMA, call.get("arguments").asText());
        assertThat(body.at("/tools/0").toString())
                .startsWith("{\"name\":\"get_weather\",\"parameters\":{")
                .endsWith(",\"strict\":null,\"type\":\"function\",\"description\":\"Current weather\"}");
        assertThat(body.get("tool_choice").asText()).isEqualTo("required");

        HttpResponse<String> stream =
                client.post("/v1/responses", "{\"input\":\"Weather in Paris?\",\"stream\":true," + tools + "}");
        List<NamedEvents.Event> events = NamedEvents.parse(stream.body());
        JsonNode added = events.get(2).data();
        assertThat(added.at("/item/type").asText()).isEqualTo("function_call");
        assertThat(added.at("/item/arguments").asText()).isEmpty();
        assertThat(added.at("/item/status").asText()).isEqualTo("in_progress");
        StringBuilder args = new StringBuilder();
        int i = 3;
        while (events.get(i).name().equals("response.function_call_arguments.delta")) {
            args.append(events.get(i).data().get("delta").asText());
            i++;
        }
        assertThat(i).isGreaterThan(3);
        NamedEvents.Event argsDone = events.get(i);
        assertThat(argsDone.name()).isEqualTo("response.function_call_arguments.done");
        assertThat(argsDone.data().get("arguments").asText()).hasToString(args.toString());
        assertThat(argsDone.data().get("name").asText()).isEqualTo("get_weather");
        assertThat(events.get(i + 1).name()).isEqualTo("response.output_item.done");
        assertThat(events.get(i + 1).data().at("/item/call_id")).isEqualTo(added.at("/item/call_id"));
        assertThat(events.getLast().data().at("/response/output/0/arguments").asText())
                .hasToString(args.toString());
    }

    @Test
    void reasonsInAnItemOfItsOwnBeforeTheMessage() {
        JsonNode body = create("{\"input\":\"Think\",\"reasoning\":{\"effort\":\"high\"}}");
        JsonNode reasoning = body.get("output").get(0);
        assertThat(SimClient.fieldNames(reasoning))
                .containsExactly("id", "summary", "type", "content", "encrypted_content", "status");
        assertThat(reasoning.get("id").asText()).matches("rs_[0-9a-f]{32}");
        assertThat(reasoning.at("/content/0/type").asText()).isEqualTo("reasoning_text");
        assertThat(body.at("/output/1/type").asText()).isEqualTo("message");
        assertThat(body.at("/usage/output_tokens_details/reasoning_tokens").asInt())
                .isPositive();
        assertThat(body.get("reasoning").toString())
                .isEqualTo("{\"effort\":\"high\",\"generate_summary\":null,\"summary\":null}");

        HttpResponse<String> stream = client.post(
                "/v1/responses", "{\"input\":\"Think\",\"stream\":true,\"reasoning\":{\"effort\":\"high\"}}");
        List<NamedEvents.Event> events = NamedEvents.parse(stream.body());
        List<String> names = NamedEvents.names(events);
        assertThat(names.subList(2, 5))
                .containsExactly(
                        "response.output_item.added", "response.reasoning_part.added", "response.reasoning_text.delta");
        int done = names.indexOf("response.reasoning_text.done");
        assertThat(names.subList(done, done + 5))
                .containsExactly(
                        "response.reasoning_text.done",
                        "response.reasoning_part.done",
                        "response.output_item.done",
                        "response.output_item.added",
                        "response.content_part.added");
        assertThat(events.get(done + 3).data().get("output_index").asInt()).isEqualTo(1);
        assertThat(names.getLast()).isEqualTo("response.completed");
    }

    @Test
    void endsWithoutCompletedWhenGenerationFailsMidStream() {
        sim.settings().faults().errorAfterEvents(4);

        HttpResponse<String> response =
                client.post("/v1/responses", "{\"input\":\"Hi\",\"stream\":true,\"max_output_tokens\":10}");

        List<NamedEvents.Event> events = NamedEvents.parse(response.body());
        assertThat(events).hasSize(4);
        assertThat(NamedEvents.names(events)).doesNotContain("response.completed");
    }
}
