package io.vgate.metrics;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.PrometheusText;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scrapes {@code /q/metrics} around known traffic and checks each series moved by exactly what that traffic
 * should have added: request counts, latency histograms, tokens (against vLLM's own counters), rejections
 * by reason, upstream errors and disconnects.
 */
@QuarkusTest
class MetricsEndpointTests {

    private static final Duration SETTLE = Duration.ofSeconds(20);

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/")
    URI gateway;

    private String model;
    private PrometheusText before;
    private PrometheusText simBefore;

    @BeforeEach
    void snapshot() {
        model = sim.modelName();
        sim.awaitIdle(Duration.ofSeconds(10));
        before = scrape();
        simBefore = scrapeSimulator();
    }

    @AfterEach
    void restore() {
        sim.settings().reset();
    }

    @Test
    void countsRequestsLatenciesAndTokensOfSuccessfulTraffic() {
        var usage = new long[2];
        for (int i = 0; i < 3; i++) {
            var body = Json.parse(post("/v1/chat/completions", chat(false, 8), 200));
            usage[0] += body.get("usage").get("prompt_tokens").asLong();
            usage[1] += body.get("usage").get("completion_tokens").asLong();
        }
        for (int i = 0; i < 2; i++) {
            assertThat(post("/v1/chat/completions", chat(true, 8), 200)).endsWith("data: [DONE]\n\n");
        }
        String completion = post(
                "/v1/completions",
                Json.write(Map.of(
                        "model",
                        model,
                        "prompt",
                        "Count to ten:",
                        "max_tokens",
                        6,
                        "stream",
                        true,
                        "stream_options",
                        Map.of("include_usage", true))),
                200);
        var embedding =
                Json.parse(post("/v1/embeddings", Json.write(Map.of("model", model, "input", "embed me")), 200));
        long embeddingTokens = embedding.get("usage").get("prompt_tokens").asLong();

        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            var simAfter = scrapeSimulator();
            assertThat(delta(after, "vgate_requests_total", "route", "chat", "status_class", "2xx"))
                    .isEqualTo(5);
            assertThat(delta(after, "vgate_requests_total", "route", "completions", "status_class", "2xx"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_requests_total", "route", "embeddings", "status_class", "2xx"))
                    .isEqualTo(1);
            assertThat(delta(
                            after,
                            "gen_ai_server_request_duration_seconds_count",
                            "route",
                            "chat",
                            "stream",
                            "false",
                            "status_class",
                            "2xx"))
                    .isEqualTo(3);
            assertThat(delta(
                            after,
                            "gen_ai_server_request_duration_seconds_count",
                            "route",
                            "chat",
                            "stream",
                            "true",
                            "status_class",
                            "2xx"))
                    .isEqualTo(2);
            assertThat(delta(after, "gen_ai_server_time_to_first_token_seconds_count", "route", "chat"))
                    .isEqualTo(2);
            assertThat(delta(after, "gen_ai_server_time_to_first_token_seconds_count", "route", "completions"))
                    .isEqualTo(1);
            assertThat(delta(after, "gen_ai_server_time_per_output_token_seconds_count", "route", "chat"))
                    .isEqualTo(2);
            assertThat(delta(after, "vgate_stream_max_gap_seconds_count", "route", "chat"))
                    .isEqualTo(2);
            assertThat(delta(after, "vgate_output_tokens_per_second_count", "route", "chat", "stream", "false"))
                    .isEqualTo(3);
            assertThat(delta(after, "vgate_output_tokens_per_second_count", "route", "chat", "stream", "true"))
                    .isEqualTo(2);

            // Tokens of the streams the client saw no usage for are still counted: vgate asked vLLM for it.
            // Everything generated here is what vLLM itself counted, token for token.
            double vllmPrompt = simAfter.sum("vllm:prompt_tokens_total", Map.of())
                    - simBefore.sum("vllm:prompt_tokens_total", Map.of());
            double vllmGenerated = simAfter.sum("vllm:generation_tokens_total", Map.of())
                    - simBefore.sum("vllm:generation_tokens_total", Map.of());
            assertThat(vllmGenerated).isEqualTo(3 * 8 + 2 * 8 + 6);
            assertThat(delta(after, "gen_ai_client_token_usage_sum", "gen_ai_token_type", "output"))
                    .isEqualTo(vllmGenerated);
            assertThat(delta(after, "gen_ai_client_token_usage_sum", "gen_ai_token_type", "input", "route", "chat")
                            + delta(
                                    after,
                                    "gen_ai_client_token_usage_sum",
                                    "gen_ai_token_type",
                                    "input",
                                    "route",
                                    "completions"))
                    .isEqualTo(vllmPrompt);
            assertThat(delta(after, "gen_ai_client_token_usage_count", "gen_ai_token_type", "output", "route", "chat"))
                    .isEqualTo(5);
            assertThat(delta(
                            after,
                            "gen_ai_client_token_usage_sum",
                            "gen_ai_token_type",
                            "input",
                            "route",
                            "embeddings"))
                    .isEqualTo(embeddingTokens);
            assertThat(delta(
                            after,
                            "gen_ai_client_token_usage_count",
                            "gen_ai_token_type",
                            "output",
                            "route",
                            "embeddings"))
                    .isZero();
            assertThat(delta(after, "vgate_tokens_total", "gen_ai_token_type", "input"))
                    .isEqualTo(vllmPrompt + embeddingTokens);
            assertThat(delta(after, "vgate_tokens_total", "gen_ai_token_type", "output"))
                    .isEqualTo(vllmGenerated);
        });
        // The non-streaming answers' own usage agrees with what was counted for them.
        assertThat(usage[1]).isEqualTo(3 * 8);
        assertThat(completion).contains("\"completion_tokens\":6");
    }

    @Test
    void namesTheModelThatServedARequestThatNamedNone() {
        var unnamed = new HashMap<String, Object>();
        unnamed.put("max_tokens", 4);
        assertThat(Json.parse(post("/v1/chat/completions", Json.chat("Which model?", false, unnamed), 200))
                        .get("model")
                        .asText())
                .isEqualTo(model);
        assertThat(post("/v1/chat/completions", Json.chat("Which model, streaming?", true, unnamed), 200))
                .endsWith("data: [DONE]\n\n");

        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            // delta() looks at this test's model unless told otherwise: both requests are counted under it.
            assertThat(delta(after, "vgate_requests_total", "route", "chat", "status_class", "2xx"))
                    .isEqualTo(2);
            assertThat(delta(after, "gen_ai_server_time_to_first_token_seconds_count", "route", "chat"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_requests_total", "model", "none", "route", "chat", "status_class", "2xx"))
                    .isZero();
        });
    }

    @Test
    void countsRejectionsByReasonAndCode() {
        given().contentType("application/json")
                .body("{\"messages\":")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400);
        given().contentType("text/plain")
                .body("hello")
                .post("/v1/chat/completions")
                .then()
                .statusCode(415);
        given().get("/v1/chat/completions").then().statusCode(405);
        given().get("/v1/no-such-route").then().statusCode(404);

        // None of these bodies named a model.
        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            assertThat(delta(
                            after,
                            "vgate_rejections_total",
                            "model",
                            "none",
                            "route",
                            "chat",
                            "reason",
                            "bad_request",
                            "code",
                            "invalid_json"))
                    .isEqualTo(1);
            assertThat(delta(
                            after,
                            "vgate_rejections_total",
                            "model",
                            "none",
                            "route",
                            "chat",
                            "reason",
                            "bad_request",
                            "code",
                            "unsupported_media_type"))
                    .isEqualTo(1);
            assertThat(delta(
                            after,
                            "vgate_rejections_total",
                            "model",
                            "none",
                            "route",
                            "unknown",
                            "code",
                            "method_not_allowed"))
                    .isEqualTo(1);
            assertThat(delta(
                            after,
                            "vgate_rejections_total",
                            "model",
                            "none",
                            "route",
                            "unknown",
                            "code",
                            "unknown_url"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_requests_total", "model", "none", "route", "unknown", "status_class", "4xx"))
                    .isEqualTo(2);
            assertThat(delta(after, "vgate_requests_total", "model", "none", "route", "chat", "status_class", "4xx"))
                    .isEqualTo(2);
        });
    }

    @Test
    void countsUpstreamFailuresByKind() {
        sim.settings().faults().refuseConnections(true);
        post("/v1/chat/completions", chat(false, 4), 503);
        sim.settings().faults().refuseConnections(false);
        await().atMost(SETTLE).until(() -> given().get("/q/health/ready").statusCode() == 200);

        sim.settings().faults().resetAfterEvents(3);
        assertThat(post("/v1/chat/completions", chat(true, 8), 200)).contains("upstream_reset");
        sim.settings().faults().resetAfterEvents(-1);

        sim.settings().faults().errorRate(1.0).errorStatus(500);
        post("/v1/chat/completions", chat(false, 4), 500);
        sim.settings().faults().errorRate(0);

        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            assertThat(delta(
                            after,
                            "vgate_upstream_errors_total",
                            "route",
                            "chat",
                            "error_type",
                            "upstream_unavailable"))
                    .isEqualTo(1);
            assertThat(delta(
                            after,
                            "vgate_rejections_total",
                            "route",
                            "chat",
                            "reason",
                            "upstream",
                            "code",
                            "upstream_unavailable"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_upstream_errors_total", "route", "chat", "error_type", "upstream_reset"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_upstream_errors_total", "route", "chat", "error_type", "status_5xx"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_requests_total", "route", "chat", "status_class", "5xx"))
                    .isEqualTo(2);
            // The broken stream had begun with 200; the client saw an error event, counted above.
            assertThat(delta(after, "vgate_requests_total", "route", "chat", "status_class", "2xx"))
                    .isEqualTo(1);
        });
    }

    @Test
    void countsClientsThatLeaveWhileWaitingOrStreaming() {
        sim.settings().timeToFirstToken(Duration.ofMillis(20)).interTokenLatency(Duration.ofMillis(50));
        try (var client = new SseClient(vertx)) {
            var streaming = client.post(gateway.resolve("/v1/chat/completions"), chat(true, 200), null);
            await().atMost(SETTLE).until(() -> streaming.events().size() >= 3);
            streaming.disconnect();
            await().atMost(SETTLE).until(() -> sim.running() + sim.waiting() == 0);

            sim.settings().timeToFirstToken(Duration.ofSeconds(30));
            var waiting = client.post(gateway.resolve("/v1/chat/completions"), chat(false, 50), null);
            await().atMost(SETTLE).until(() -> sim.running() + sim.waiting() == 1);
            waiting.disconnect();
        }

        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            assertThat(delta(after, "vgate_client_disconnects_total", "route", "chat", "phase", "streaming"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_client_disconnects_total", "route", "chat", "phase", "waiting"))
                    .isEqualTo(1);
            assertThat(delta(after, "vgate_requests_total", "route", "chat", "status_class", "none"))
                    .isEqualTo(1);
            // A stream the client stopped is no completed generation: no speed, no per-token latency.
            assertThat(delta(after, "gen_ai_server_time_per_output_token_seconds_count", "route", "chat"))
                    .isZero();
            assertThat(delta(after, "gen_ai_server_time_to_first_token_seconds_count", "route", "chat"))
                    .isEqualTo(1);
        });
        sim.awaitIdle(SETTLE);
    }

    @Test
    void neverMakesALabelOfAModelNameVllmRejects() {
        String bogus = "no-such-model-" + UUID.randomUUID();
        post(
                "/v1/chat/completions",
                Json.write(Map.of("model", bogus, "messages", List.of(Map.of("role", "user", "content", "hi")))),
                404);

        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            assertThat(delta(after, "vgate_requests_total", "model", "other", "route", "chat", "status_class", "4xx"))
                    .isEqualTo(1);
            assertThat(after.anyLabelValue("model", bogus)).isFalse();
        });
    }

    @Test
    void exposesHistogramsWithTheDocumentedBuckets() {
        post("/v1/chat/completions", chat(true, 4), 200);

        await().atMost(SETTLE).untilAsserted(() -> {
            var after = scrape();
            assertThat(bucketBounds(after, "gen_ai_server_time_to_first_token_seconds_bucket"))
                    .containsExactly(withInf(GatewayMetrics.TTFT_BUCKETS));
            assertThat(bucketBounds(after, "gen_ai_server_time_per_output_token_seconds_bucket"))
                    .containsExactly(withInf(GatewayMetrics.TPOT_BUCKETS));
            assertThat(bucketBounds(after, "gen_ai_server_request_duration_seconds_bucket"))
                    .containsExactly(withInf(GatewayMetrics.DURATION_BUCKETS));
            assertThat(bucketBounds(after, "gen_ai_client_token_usage_bucket"))
                    .containsExactly(withInf(GatewayMetrics.TOKEN_BUCKETS));
        });
    }

    // -- helpers -----------------------------------------------------------------------------------

    private String chat(boolean stream, int maxTokens) {
        var body = new HashMap<String, Object>();
        body.put("model", model);
        body.put("max_tokens", maxTokens);
        return Json.chat("Tell me about metrics.", stream, body);
    }

    private static String post(String path, String json, int expectedStatus) {
        return given().contentType("application/json")
                .body(json)
                .post(path)
                .then()
                .statusCode(expectedStatus)
                .extract()
                .asString();
    }

    /** How much the samples named {@code name} with these labels (and this test's model, unless given) grew. */
    private double delta(PrometheusText after, String name, String... labels) {
        var wanted = new HashMap<String, String>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        wanted.putIfAbsent("model", model);
        return after.sum(name, wanted) - before.sum(name, wanted);
    }

    private double[] bucketBounds(PrometheusText scrape, String name) {
        var first = scrape.find(name, Map.of("model", model)).getFirst().labels();
        var series = new HashMap<>(first);
        series.remove("le");
        return scrape.find(name, series).stream()
                .map(s -> s.labels().get("le"))
                .mapToDouble(le -> "+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le))
                .toArray();
    }

    private static double[] withInf(double[] bounds) {
        double[] all = java.util.Arrays.copyOf(bounds, bounds.length + 1);
        all[bounds.length] = Double.POSITIVE_INFINITY;
        return all;
    }

    private static PrometheusText scrape() {
        return PrometheusText.parse(
                given().get("/q/metrics").then().statusCode(200).extract().asString());
    }

    private PrometheusText scrapeSimulator() {
        return PrometheusText.parse(given().get(sim.baseUri().resolve("/metrics"))
                .then()
                .statusCode(200)
                .extract()
                .asString());
    }
}
