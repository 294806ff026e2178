package io.vgate.proxy;

import static io.vgate.proxy.NamedEventStreams.assertClosingAbortsTheGeneration;
import static io.vgate.proxy.NamedEventStreams.data;
import static io.vgate.proxy.NamedEventStreams.events;
import static io.vgate.proxy.NamedEventStreams.name;
import static io.vgate.proxy.NamedEventStreams.normalised;
import static io.vgate.proxy.NamedEventStreams.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
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
 * OpenAI's Responses API through vgate against the simulator: OpenAI's own Java SDK creating and streaming
 * responses, the stream relayed event by event with no {@code [DONE]}, disconnect → abort, metrics and usage
 * under the {@code responses} route, and {@code max_output_tokens} clamped to the context window.
 */
@QuarkusTest
class ResponsesRouteTests {

    private static final String KEY = "sk-test-unused";

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @Inject
    ExchangeRecords records;

    @Inject
    ModelCatalog catalog;

    @TestHTTPResource("/v1")
    URI v1;

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
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 0);
    }

    private OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey(KEY).build();
    }

    /** The text the simulator answers {@code input} with, read straight off its own wire. */
    private String directText(String input, int maxOutputTokens) {
        var body = RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(Map.of("model", model, "input", input, "max_output_tokens", maxOutputTokens))
                .post("/v1/responses")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath();
        return String.join("", body.getList("output.findAll { it.type == 'message' }.content.flatten().text"));
    }

    @Test
    void openAiJavaCreatesAResponse() {
        Response response = openAi().responses()
                .create(ResponseCreateParams.builder()
                        .model(model)
                        .input("Say something short.")
                        .maxOutputTokens(8)
                        .build());

        String text = response.output().stream()
                .flatMap(item -> item.message().stream())
                .flatMap(message -> message.content().stream())
                .flatMap(content -> content.outputText().stream())
                .map(part -> part.text())
                .reduce("", String::concat);
        assertThat(response.model().toString()).contains(model);
        assertThat(text).isNotBlank().isEqualTo(directText("Say something short.", 8));
        assertThat(response.usage()).get().satisfies(usage -> {
            assertThat(usage.inputTokens()).isPositive();
            assertThat(usage.outputTokens()).isBetween(1L, 8L);
        });
    }

    @Test
    void openAiJavaStreamsAResponse() {
        var params = ResponseCreateParams.builder()
                .model(model)
                .input("Stream a few words.")
                .maxOutputTokens(10)
                .build();

        StringBuilder deltas = new StringBuilder();
        List<ResponseStreamEvent> events;
        try (StreamResponse<ResponseStreamEvent> stream = openAi().responses().createStreaming(params)) {
            events = stream.stream().toList();
        }
        events.forEach(event -> event.outputTextDelta().ifPresent(delta -> deltas.append(delta.delta())));

        assertThat(events.getFirst().isCreated()).isTrue();
        assertThat(events.getLast().isCompleted()).isTrue();
        Response completed = events.getLast().completed().orElseThrow().response();
        assertThat(completed.usage())
                .get()
                .satisfies(usage -> assertThat(usage.outputTokens()).isBetween(1L, 10L));
        assertThat(deltas.toString()).isNotBlank().isEqualTo(directText("Stream a few words.", 10));
    }

    @Test
    void relaysTheSimulatorsStreamEventByEventEndingAtResponseCompletedWithoutDone() {
        String body = "{\"model\":\"" + model + "\",\"input\":\"Tell me more.\",\"max_output_tokens\":12,"
                + "\"stream\":true,\"request_id\":\"resp_same\"}";
        String id = "responses-" + UUID.randomUUID();

        List<String> direct = events(client, sim.baseUri(), "/v1/responses", body, id);
        List<String> relayed = events(client, gateway, "/v1/responses", body, id);

        assertThat(direct.getFirst()).startsWith("event: response.created\n");
        assertThat(direct.getLast()).startsWith("event: response.completed\n");
        // The simulator may put several tokens in one delta, differently from run to run; what it sends is the
        // same answer, and each event reaches the client whole and in order (byte for byte: NamedEventRelayTests).
        assertThat(relayed.getFirst()).startsWith("event: response.created\n");
        // The last event may differ only in its creation second, its random item ids and, as the simulator may put
        // several tokens in one delta, its sequence number.
        assertThat(normalised(List.of(relayed.getLast()), "created_at", "sequence_number"))
                .isEqualTo(normalised(List.of(direct.getLast()), "created_at", "sequence_number"));
        assertThat(text(relayed, "response.output_text.delta", "/delta"))
                .isEqualTo(text(direct, "response.output_text.delta", "/delta"))
                .isNotBlank();
        for (int i = 0; i < relayed.size(); i++) {
            String event = relayed.get(i);
            assertThat(data(event).get("type").asText()).isEqualTo(name(event));
            assertThat(data(event).get("sequence_number").asInt()).isEqualTo(i);
        }
        assertThat(relayed).noneMatch(event -> event.contains("[DONE]"));
        ExchangeRecord record = records.await(id);
        assertThat(record.outcome()).isEqualTo(RelayOutcome.COMPLETED);
        assertThat(record.events()).isEqualTo(relayed.size());
        assertThat(record.completionTokens()).isEqualTo(12);
        assertThat(record.promptTokens()).isPositive();
    }

    @Test
    void closingAResponsesStreamAbortsTheGeneration() {
        sim.settings().interTokenLatency(Duration.ofMillis(20)).timeToFirstToken(Duration.ZERO);

        assertClosingAbortsTheGeneration(
                sim,
                client,
                gateway.resolve("/v1/responses"),
                "{\"model\":\"" + model + "\",\"input\":\"Go on forever.\",\"max_output_tokens\":3000,"
                        + "\"ignore_eos\":true,\"stream\":true}");
    }

    @Test
    void countsRequestsTimeToFirstTokenAndTokensUnderTheResponsesRoute() {
        PrometheusText before = metrics();

        var call = client.post(
                gateway.resolve("/v1/responses"),
                "{\"model\":\"" + model + "\",\"input\":\"Count me.\",\"max_output_tokens\":5,\"ignore_eos\":true,"
                        + "\"stream\":true}",
                null);
        call.body();
        RestAssured.given()
                .contentType("application/json")
                .body(Map.of("model", model, "input", "Count me too.", "max_output_tokens", 4, "ignore_eos", true))
                .post("/v1/responses")
                .then()
                .statusCode(200);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText after = metrics();
            Map<String, String> route = Map.of("route", "responses", "status_class", "2xx");
            assertThat(after.sum("vgate_requests_total", route) - before.sum("vgate_requests_total", route))
                    .isEqualTo(2);
            Map<String, String> responses = Map.of("route", "responses");
            assertThat(after.sum("gen_ai_server_time_to_first_token_seconds_count", responses)
                            - before.sum("gen_ai_server_time_to_first_token_seconds_count", responses))
                    .isEqualTo(1);
            Map<String, String> output = Map.of("route", "responses", "gen_ai_token_type", "output");
            assertThat(after.sum("gen_ai_client_token_usage_sum", output)
                            - before.sum("gen_ai_client_token_usage_sum", output))
                    .isEqualTo(9);
        });
    }

    @Test
    void clampsMaxOutputTokensToTheContextWindow() {
        String input = "What is the capital of France?";
        int prompt = countChat(List.of(Map.of("role", "user", "content", input)));
        sim.settings().maxModelLen(prompt + 20);
        catalog.reload().await().indefinitely();

        var response = RestAssured.given()
                .contentType("application/json")
                .body(Map.of("model", model, "input", input, "max_output_tokens", 500, "ignore_eos", true))
                .post("/v1/responses");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("20");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(response.jsonPath().getInt("usage.input_tokens")).isEqualTo(prompt);
        assertThat(response.jsonPath().getInt("usage.output_tokens")).isEqualTo(20);
    }

    @Test
    void countsInstructionsAndInputItemsAsTheChatTemplateDoes() {
        String instructions = "Answer in one word.";
        String question = "Which colour is the sky?";
        int prompt = countChat(List.of(
                Map.of("role", "system", "content", instructions), Map.of("role", "user", "content", question)));
        sim.settings().maxModelLen(prompt + 10);
        catalog.reload().await().indefinitely();

        var response = RestAssured.given()
                .contentType("application/json")
                .body(Map.of(
                        "model",
                        model,
                        "instructions",
                        instructions,
                        "input",
                        List.of(Map.of(
                                "type",
                                "message",
                                "role",
                                "user",
                                "content",
                                List.of(Map.of("type", "input_text", "text", question)))),
                        "max_output_tokens",
                        11))
                .post("/v1/responses");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("10");
        assertThat(response.jsonPath().getInt("usage.input_tokens")).isEqualTo(prompt);
    }

    private int countChat(List<Map<String, String>> messages) {
        return RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(Map.of("model", model, "messages", messages))
                .post("/tokenize")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getInt("count");
    }

    private static PrometheusText metrics() {
        return PrometheusText.parse(Management.given().get("/q/metrics").asString());
    }
}
