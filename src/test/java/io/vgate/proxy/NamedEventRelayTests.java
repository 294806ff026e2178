package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vgate.metrics.ExchangeRecord;
import io.vgate.streaming.RelayOutcome;
import io.vgate.testing.ExchangeRecords;
import io.vgate.testing.Json;
import io.vgate.testing.ScriptedVllm;
import io.vgate.testing.ScriptedVllm.Chunk;
import io.vgate.testing.ScriptedVllm.Script;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Responses and Anthropic Messages streams through vgate, against a stand-in vLLM that writes exact chunks
 * ({@link ScriptedVllm}): events split across writes and UTF-8 characters split across chunks reach the client
 * byte for byte, each event as soon as it is whole; the stream ends at its own end event (no {@code [DONE]}); a
 * stream that ends without it gets the dialect's error event and counts as vLLM's failure; time to first token
 * is the first output delta; tokens come from each dialect's usage.
 */
@QuarkusTest
@TestProfile(ScriptedVllm.Profile.class)
class NamedEventRelayTests {

    static final String RESPONSES_EVENTS = """
            event: response.created
            data: {"response":{"id":"resp_1","model":"scripted-model","object":"response","output":[],"status":"in_progress","usage":null},"sequence_number":0,"type":"response.created"}

            event: response.in_progress
            data: {"response":{"id":"resp_1","model":"scripted-model","status":"in_progress","usage":null},"sequence_number":1,"type":"response.in_progress"}

            event: response.output_text.delta
            data: {"content_index":0,"delta":"Grüße 👋","item_id":"0b1c","logprobs":[],"output_index":0,"sequence_number":2,"type":"response.output_text.delta"}

            event: response.output_text.delta
            data: {"content_index":0,"delta":" ünïcödé €","item_id":"0b1c","logprobs":[],"output_index":0,"sequence_number":3,"type":"response.output_text.delta"}

            event: response.completed
            data: {"response":{"id":"resp_1","model":"scripted-model","status":"completed","usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":19}},"sequence_number":4,"type":"response.completed"}

            """;

    static final String MESSAGES_EVENTS = """
            event: message_start
            data: {"type":"message_start","message":{"id":"chatcmpl-1","type":"message","role":"assistant","content":[],"model":"scripted-model","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":0}}}

            event: content_block_start
            data: {"type":"content_block_start","content_block":{"type":"text","text":""},"index":0}

            event: content_block_delta
            data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Grüße 👋"},"index":0}

            event: content_block_delta
            data: {"type":"content_block_delta","delta":{"type":"text_delta","text":" ünïcödé €"},"index":0}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    private static final String RESPONSES_BODY =
            "{\"model\":\"" + ScriptedVllm.MODEL + "\",\"input\":\"Hi\",\"stream\":true}";
    private static final String MESSAGES_BODY = "{\"model\":\"" + ScriptedVllm.MODEL
            + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";

    @Inject
    Vertx vertx;

    @Inject
    ExchangeRecords records;

    @TestHTTPResource("/")
    URI gateway;

    private SseClient client;

    @BeforeEach
    void openClient() {
        client = new SseClient(vertx);
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void relaysAResponsesStreamByteForByteThroughSplitEventsAndCharacters() {
        relaysByteForByte("/v1/responses", RESPONSES_BODY, RESPONSES_EVENTS, 5, "👋");
    }

    @Test
    void relaysAMessagesStreamByteForByteThroughSplitEventsAndCharacters() {
        relaysByteForByte("/v1/messages", MESSAGES_BODY, MESSAGES_EVENTS, 7, "👋");
    }

    /**
     * The stream is written in chunks cut in the middle of an {@code event:} line, of a {@code data:} line, of a
     * four-byte character and of the blank line that ends an event, then held for a while before its last chunk:
     * the client gets the same bytes, the same events, and every event that was whole before the pause before
     * the pause ended.
     */
    private void relaysByteForByte(String path, String body, String text, int eventCount, String split) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<Chunk> chunks = cutAwkwardly(bytes, split);
        String id = "named-" + UUID.randomUUID();
        ScriptedVllm.script(id, Script.stream(chunks));

        var call = client.post(gateway.resolve(path), body, requestId(id));
        String received = call.body();

        assertThat(call.status()).isEqualTo(200);
        assertThat(call.headers().get("Content-Type")).startsWith("text/event-stream");
        assertThat(received.getBytes(StandardCharsets.UTF_8)).isEqualTo(bytes);
        List<String> events = call.events().stream().map(SseClient.Event::text).toList();
        assertThat(events).hasSize(eventCount);
        assertThat(String.join("", events)).isEqualTo(text);
        assertThat(events).noneMatch(event -> event.contains("[DONE]"));
        // The events before the last chunk's pause were each forwarded when whole, not held for the rest.
        long lastWrite = ScriptedVllm.lastWriteNanos(id);
        assertThat(call.events().get(eventCount - 2).arrivalNanos())
                .isLessThan(lastWrite - Duration.ofMillis(PAUSE_MILLIS / 2).toNanos());
        assertThat(record(id).outcome()).isEqualTo(RelayOutcome.COMPLETED);
    }

    private static final long PAUSE_MILLIS = 600;

    /**
     * Chunks of {@code bytes}: cut inside the first {@code event:} line, between the bytes of the character
     * {@code split}, between the two line feeds that end the event holding it, and before the last event, which
     * follows after a pause.
     */
    private static List<Chunk> cutAwkwardly(byte[] bytes, String split) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int inEventLine = 4;
        int character = utf8Length(text.substring(0, text.indexOf(split))) + 2;
        int betweenLineFeeds = utf8Length(text.substring(0, text.indexOf("\n\n", text.indexOf(split)) + 1));
        int lastEvent = utf8Length(text.substring(0, text.lastIndexOf("event: ")));
        int[] cuts = {inEventLine, character, betweenLineFeeds, lastEvent, bytes.length};
        List<Chunk> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            long pause = from == 0 ? 0 : cut == bytes.length ? PAUSE_MILLIS : 40;
            chunks.add(new Chunk(pause, Arrays.copyOfRange(bytes, from, cut)));
            from = cut;
        }
        return chunks;
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void timesTheFirstTokenAtTheFirstOutputDeltaAndCountsTheResponsesUsage() {
        String id = "ttft-" + UUID.randomUUID();
        String text = RESPONSES_EVENTS;
        int delta = text.indexOf("event: response.output_text.delta");
        ScriptedVllm.script(
                id,
                Script.stream(List.of(
                        Chunk.now(text.substring(0, delta).getBytes(StandardCharsets.UTF_8)),
                        new Chunk(500, text.substring(delta).getBytes(StandardCharsets.UTF_8)))));

        var call = client.post(gateway.resolve("/v1/responses"), RESPONSES_BODY, requestId(id));
        call.body();

        ExchangeRecord record = record(id);
        assertThat(Duration.ofNanos(record.firstEventNanos() - record.startNanos()))
                .isGreaterThan(Duration.ofMillis(450));
        assertThat(record.promptTokens()).isEqualTo(12);
        assertThat(record.completionTokens()).isEqualTo(7);
        assertThat(record.route().label()).isEqualTo("responses");
    }

    @Test
    void timesTheFirstTokenAtTheFirstContentDeltaAndCountsTheMessagesUsage() {
        String id = "ttft-" + UUID.randomUUID();
        String text = MESSAGES_EVENTS;
        int delta = text.indexOf("event: content_block_delta");
        ScriptedVllm.script(
                id,
                Script.stream(List.of(
                        Chunk.now(text.substring(0, delta).getBytes(StandardCharsets.UTF_8)),
                        new Chunk(500, text.substring(delta).getBytes(StandardCharsets.UTF_8)))));

        var call = client.post(gateway.resolve("/v1/messages"), MESSAGES_BODY, requestId(id));
        call.body();

        ExchangeRecord record = record(id);
        assertThat(Duration.ofNanos(record.firstEventNanos() - record.startNanos()))
                .isGreaterThan(Duration.ofMillis(450));
        // input_tokens from message_start, output_tokens from message_delta.
        assertThat(record.promptTokens()).isEqualTo(12);
        assertThat(record.completionTokens()).isEqualTo(3);
        assertThat(record.route().label()).isEqualTo("messages");
    }

    @Test
    void endsAResponsesStreamWithoutResponseCompletedWithAResponsesErrorEvent() throws Exception {
        String id = "cut-" + UUID.randomUUID();
        String partial = RESPONSES_EVENTS.substring(0, RESPONSES_EVENTS.indexOf("event: response.completed"));
        ScriptedVllm.script(id, Script.stream(List.of(Chunk.now(partial.getBytes(StandardCharsets.UTF_8)))));

        var call = client.post(gateway.resolve("/v1/responses"), RESPONSES_BODY, requestId(id));
        String received = call.body();

        assertThat(received).startsWith(partial);
        String error = received.substring(partial.length());
        assertThat(error).startsWith("event: error\ndata: {").endsWith("}\n\n");
        JsonNode json = Json.parse(error.substring(error.indexOf('{')).trim());
        assertThat(json.get("type").asText()).isEqualTo("error");
        assertThat(json.get("code").asText()).isEqualTo("upstream_reset");
        assertThat(json.get("sequence_number").asInt()).isEqualTo(4);
        assertThat(record(id).outcome()).isEqualTo(RelayOutcome.UPSTREAM_FAILED);
        assertThat(received).doesNotContain("[DONE]");
    }

    @Test
    void endsAMessagesStreamWithoutMessageStopWithAnAnthropicErrorEvent() {
        String id = "cut-" + UUID.randomUUID();
        String partial = MESSAGES_EVENTS.substring(0, MESSAGES_EVENTS.indexOf("event: content_block_stop"));
        ScriptedVllm.script(id, Script.stream(List.of(Chunk.now(partial.getBytes(StandardCharsets.UTF_8)))));

        var call = client.post(gateway.resolve("/v1/messages"), MESSAGES_BODY, requestId(id));
        String received = call.body();

        assertThat(received).startsWith(partial);
        String error = received.substring(partial.length());
        assertThat(error).startsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",");
        JsonNode json = Json.parse(error.substring(error.indexOf('{')).trim());
        assertThat(json.at("/error/message").asText()).isNotBlank();
        ExchangeRecord record = record(id);
        assertThat(record.outcome()).isEqualTo(RelayOutcome.UPSTREAM_FAILED);
        // The prompt was counted by message_start, even though the stream never finished.
        assertThat(record.promptTokens()).isEqualTo(12);
    }

    @Test
    void answersVgatesOwnErrorsOnTheMessagesRouteInAnthropicsShape() {
        var tooLarge = RestAssured.given()
                .contentType("application/json")
                .body("{\"model\":\"" + ScriptedVllm.MODEL + "\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + "x".repeat(70_000) + "\"}]}")
                .post("/v1/messages");
        var wrongType =
                RestAssured.given().contentType("text/plain").body("hello").post("/v1/messages/count_tokens");

        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(Json.parse(tooLarge.asString()).at("/error/type").asText()).isEqualTo("request_too_large");
        assertThat(wrongType.statusCode()).isEqualTo(415);
        assertThat(Json.parse(wrongType.asString()).at("/error/type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void relaysVllmsOwnAnthropicErrorEventWithoutAddingAnother() {
        String id = "vllm-error-" + UUID.randomUUID();
        String partial = MESSAGES_EVENTS.substring(0, MESSAGES_EVENTS.indexOf("event: content_block_stop"))
                + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"internal_error\",\"message\":\"KV load failed\"}}\n\n";
        ScriptedVllm.script(id, Script.stream(List.of(Chunk.now(partial.getBytes(StandardCharsets.UTF_8)))));

        var call = client.post(gateway.resolve("/v1/messages"), MESSAGES_BODY, requestId(id));

        assertThat(call.body()).isEqualTo(partial);
        assertThat(record(id).outcome()).isEqualTo(RelayOutcome.UPSTREAM_FAILED);
    }

    @Test
    void sendsVgatesOwnUpstreamCredentialAndNeverTheClientsApiKey() {
        String id = "headers-" + UUID.randomUUID();
        ScriptedVllm.script(id, Script.stream(List.of(Chunk.now(MESSAGES_EVENTS.getBytes(StandardCharsets.UTF_8)))));

        var call = client.post(
                gateway.resolve("/v1/messages"),
                MESSAGES_BODY,
                requestId(id)
                        .add("x-api-key", "sk-ant-client-secret")
                        .add("anthropic-version", "2023-06-01")
                        .add("Authorization", "Bearer client-secret"));
        call.body();

        MultiMap seen = ScriptedVllm.headers(id);
        assertThat(seen.get("Authorization")).isEqualTo("Bearer " + ScriptedVllm.Profile.UPSTREAM_KEY);
        assertThat(seen.contains("x-api-key")).isFalse();
        assertThat(seen.names()).noneMatch(name -> name.toLowerCase().startsWith("anthropic"));
    }

    @Test
    void passesVllmsOwnErrorsThroughUnchangedOnTheMessagesRoute() {
        // No script: the stand-in answers vLLM's own 404 body, which vgate must not reshape.
        var response = RestAssured.given()
                .contentType("application/json")
                .header("X-Request-Id", "unscripted-" + UUID.randomUUID())
                .body(MESSAGES_BODY)
                .post("/v1/messages");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.asString())
                .isEqualTo("{\"error\":{\"message\":\"No script for this request.\",\"type\":\"NotFoundError\","
                        + "\"param\":null,\"code\":404}}");
    }

    private ExchangeRecord record(String id) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> records.get(id), record -> record != null);
    }

    private static MultiMap requestId(String id) {
        return MultiMap.caseInsensitiveMultiMap().add("X-Request-Id", id);
    }
}
