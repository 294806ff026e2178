package io.vgate.proxy;

import static io.vgate.proxy.NamedEventStreams.assertClosingAbortsTheGeneration;
import static io.vgate.proxy.NamedEventStreams.data;
import static io.vgate.proxy.NamedEventStreams.events;
import static io.vgate.proxy.NamedEventStreams.name;
import static io.vgate.proxy.NamedEventStreams.normalised;
import static io.vgate.proxy.NamedEventStreams.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.InternalServerException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vgate.metrics.ExchangeRecord;
import io.vgate.shaping.ContextFitter;
import io.vgate.shaping.ModelCatalog;
import io.vgate.sim.VllmSimulator;
import io.vgate.streaming.RelayOutcome;
import io.vgate.testing.ExchangeRecords;
import io.vgate.testing.Json;
import io.vgate.testing.Management;
import io.vgate.testing.PrometheusText;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Messages API through vgate against the simulator, with Anthropic's own Java SDK: messages,
 * streaming, token counting, vgate's own errors in Anthropic's shape and statuses (529 retried by the SDK),
 * vLLM's errors unchanged, disconnect → abort, usage and metrics under the {@code messages} route, and
 * {@code max_tokens} clamped to the context window.
 */
@QuarkusTest
class MessagesRouteTests {

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @Inject
    ExchangeRecords records;

    @Inject
    ModelCatalog catalog;

    @TestHTTPResource("/")
    URI gateway;

    private String model;
    private SseClient client;

    @BeforeEach
    void setUp() {
        model = RestAssured.get("/v1/models").jsonPath().getString("data[0].id");
        client = new SseClient(vertx);
    }

    @AfterEach
    void restore() {
        client.close();
        sim.settings().reset();
        catalog.reload().await().indefinitely();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> sim.running() == 0
                        && Management.given().get("/q/health/ready").statusCode() == 200);
    }

    private AnthropicClient anthropic(int maxRetries) {
        return AnthropicOkHttpClient.builder()
                .baseUrl(gateway.toString().replaceAll("/$", ""))
                .apiKey("sk-ant-test-unused")
                .maxRetries(maxRetries)
                .build();
    }

    private MessageCreateParams params(String prompt, long maxTokens) {
        return MessageCreateParams.builder()
                .model(model)
                .maxTokens(maxTokens)
                .addUserMessage(prompt)
                .build();
    }

    /** The simulator's text for one user message, read straight off its own wire. */
    private String directText(String prompt, int maxTokens) {
        return RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(Map.of(
                        "model",
                        model,
                        "max_tokens",
                        maxTokens,
                        "messages",
                        List.of(Map.of("role", "user", "content", prompt))))
                .post("/v1/messages")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getString("content[0].text");
    }

    @Test
    void anthropicJavaCreatesAMessage() {
        Message message = anthropic(0).messages().create(params("Say something short.", 8));

        String text = message.content().stream()
                .flatMap(block -> block.text().stream())
                .map(block -> block.text())
                .reduce("", String::concat);
        assertThat(text).isNotBlank().isEqualTo(directText("Say something short.", 8));
        assertThat(message.usage().inputTokens()).isPositive();
        assertThat(message.usage().outputTokens()).isBetween(1L, 8L);
    }

    @Test
    void anthropicJavaStreamsAMessage() {
        StringBuilder text = new StringBuilder();
        List<RawMessageStreamEvent> events;
        try (StreamResponse<RawMessageStreamEvent> stream =
                anthropic(0).messages().createStreaming(params("Stream a few words.", 10))) {
            events = stream.stream().toList();
        }
        events.forEach(event -> event.contentBlockDelta()
                .flatMap(delta -> delta.delta().text())
                .ifPresent(delta -> text.append(delta.text())));

        assertThat(events.getFirst().isMessageStart()).isTrue();
        assertThat(events.getLast().isMessageStop()).isTrue();
        assertThat(text.toString()).isNotBlank().isEqualTo(directText("Stream a few words.", 10));
    }

    @Test
    void anthropicJavaCountsTokens() {
        var counted = anthropic(0)
                .messages()
                .countTokens(MessageCountTokensParams.builder()
                        .model(model)
                        .addUserMessage("How many tokens is this?")
                        .build());

        int direct = RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(Map.of(
                        "model",
                        model,
                        "messages",
                        List.of(Map.of("role", "user", "content", "How many tokens is this?"))))
                .post("/v1/messages/count_tokens")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getInt("input_tokens");
        assertThat(counted.inputTokens()).isEqualTo(direct).isPositive();
    }

    @Test
    void relaysTheSimulatorsStreamEventByEventEndingAtMessageStop() {
        // Anthropic's request has no ignore_eos: a long expected answer makes the simulator fill max_tokens.
        sim.settings().meanOutputTokens(100_000);
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":12,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Tell me more.\"}],\"stream\":true}";
        String id = "messages-" + UUID.randomUUID();

        List<String> direct = events(client, sim.baseUri(), "/v1/messages", body, id);
        List<String> relayed = events(client, gateway, "/v1/messages", body, id);

        assertThat(direct.getFirst()).startsWith("event: message_start\n");
        assertThat(direct.getLast()).startsWith("event: message_stop\n");
        // The simulator may put several tokens in one delta, differently from run to run; what it sends is the
        // same answer, and each event reaches the client whole and in order (byte for byte: NamedEventRelayTests).
        assertThat(normalised(relayed.subList(0, 2))).isEqualTo(normalised(direct.subList(0, 2)));
        assertThat(normalised(relayed.subList(relayed.size() - 3, relayed.size())))
                .isEqualTo(normalised(direct.subList(direct.size() - 3, direct.size())));
        assertThat(text(relayed, "content_block_delta", "/delta/text"))
                .isEqualTo(text(direct, "content_block_delta", "/delta/text"))
                .isNotBlank();
        for (String event : relayed) {
            assertThat(data(event).get("type").asText()).isEqualTo(name(event));
        }
        ExchangeRecord record = records.await(id);
        assertThat(record.outcome()).isEqualTo(RelayOutcome.COMPLETED);
        assertThat(record.promptTokens()).isPositive();
        assertThat(record.completionTokens()).isEqualTo(12);
    }

    @Test
    void closingAMessagesStreamAbortsTheGeneration() {
        sim.settings()
                .interTokenLatency(Duration.ofMillis(20))
                .timeToFirstToken(Duration.ZERO)
                .meanOutputTokens(100_000);

        assertClosingAbortsTheGeneration(
                sim,
                client,
                gateway.resolve("/v1/messages"),
                "{\"model\":\"" + model + "\",\"max_tokens\":3000,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Go on forever.\"}]}");
    }

    @Test
    void countsRequestsAndTokensUnderTheMessagesRoute() {
        PrometheusText before = metrics();

        anthropic(0).messages().create(params("Count me.", 5));

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText after = metrics();
            Map<String, String> route = Map.of("route", "messages", "status_class", "2xx");
            assertThat(after.sum("vgate_requests_total", route) - before.sum("vgate_requests_total", route))
                    .isEqualTo(1);
            Map<String, String> input = Map.of("route", "messages", "gen_ai_token_type", "input");
            assertThat(after.sum("gen_ai_client_token_usage_count", input)
                            - before.sum("gen_ai_client_token_usage_count", input))
                    .isEqualTo(1);
        });
    }

    @Test
    void clampsMaxTokensToTheContextWindow() {
        String prompt = "What is the capital of France?";
        int tokens = RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(Map.of(
                        "model",
                        model,
                        "system",
                        "Be brief.",
                        "messages",
                        List.of(Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", prompt))))))
                .post("/v1/messages/count_tokens")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getInt("input_tokens");
        sim.settings().maxModelLen(tokens + 16).meanOutputTokens(100_000);
        catalog.reload().await().indefinitely();

        var response = RestAssured.given()
                .contentType("application/json")
                .body(Map.of(
                        "model",
                        model,
                        "max_tokens",
                        4000,
                        "system",
                        "Be brief.",
                        "messages",
                        List.of(Map.of("role", "user", "content", List.of(Map.of("type", "text", "text", prompt))))))
                .post("/v1/messages");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(tokens));
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("16");
        assertThat(response.jsonPath().getInt("usage.output_tokens")).isEqualTo(16);
    }

    @Test
    void answersVgatesOwnErrorsInAnthropicsShape() {
        var invalid = RestAssured.given()
                .contentType("application/json")
                .body("{\"model\":")
                .post("/v1/messages");
        var unknown =
                RestAssured.given().contentType("application/json").body("{}").post("/v1/messages/batches");

        assertAnthropicError(invalid.statusCode(), invalid.asString(), 400, "invalid_request_error");
        assertAnthropicError(unknown.statusCode(), unknown.asString(), 404, "not_found_error");
        // The OpenAI routes keep OpenAI's shape.
        var chat = RestAssured.given()
                .contentType("application/json")
                .body("{\"model\":")
                .post("/v1/chat/completions");
        assertThat(Json.parse(chat.asString()).at("/error/code").asText()).isEqualTo("invalid_json");
    }

    @Test
    void passesVllmsOwnErrorsThroughUnchanged() {
        // vLLM validates the body itself: a message without max_tokens gets its generic 400.
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        var direct = RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(body)
                .post("/v1/messages");
        var relayed =
                RestAssured.given().contentType("application/json").body(body).post("/v1/messages");

        assertThat(direct.statusCode()).isEqualTo(400);
        assertThat(relayed.statusCode()).isEqualTo(400);
        assertThat(relayed.asString()).isEqualTo(direct.asString());
    }

    @Test
    void answers529OverloadedWhichTheSdkRetries() {
        sim.settings().faults().refuseConnections(true);
        PrometheusText before = metrics();

        InternalServerException failure = catchThrowableOfType(
                InternalServerException.class, () -> anthropic(1).messages().create(params("Anyone there?", 4)));

        assertThat(failure.statusCode()).isEqualTo(529);
        JsonNode body = Json.parse(Json.write(failure.body()));
        assertThat(body.get("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("overloaded_error");
        // The SDK tried twice: it treats 529 as retryable, as it does against Anthropic.
        Map<String, String> route = Map.of("route", "messages");
        assertThat(metrics().sum("vgate_requests_total", route) - before.sum("vgate_requests_total", route))
                .isEqualTo(2);
    }

    private static void assertAnthropicError(int status, String body, int expectedStatus, String type) {
        assertThat(status).isEqualTo(expectedStatus);
        JsonNode json = Json.parse(body);
        assertThat(json.get("type").asText()).isEqualTo("error");
        assertThat(json.at("/error/type").asText()).isEqualTo(type);
        assertThat(json.at("/error/message").asText()).isNotBlank();
        assertThat(json.has("code")).isFalse();
    }

    private static PrometheusText metrics() {
        return PrometheusText.parse(Management.given().get("/q/metrics").asString());
    }
}
