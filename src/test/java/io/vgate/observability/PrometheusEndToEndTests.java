package io.vgate.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.PrometheusServer;
import io.vgate.testing.PrometheusText;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The dashboard and alert rules against a real Prometheus (Debian's {@code /usr/bin/prometheus}) scraping
 * vgate's {@code /q/metrics} and the simulator's {@code /metrics} every second, with the rule file loaded.
 * After known traffic, every dashboard query over vgate's or vLLM's series returns data, every query over
 * GPU and Kubernetes series (absent here) is valid PromQL, the template variables resolve, and every
 * recording and alert rule evaluates without error.
 * <p>
 * Series registered by other features (admission queue, context fitting, circuit breaker, Redis rate
 * limits) are held to the same standard as soon as vgate exposes them; until then their queries are only
 * checked for validity.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusEndToEndTests {

    private static final String NAMESPACE = "vgate-e2e";
    private static final String POD = "vgate-e2e-0";
    private static final Pattern OURS = Pattern.compile("^(vgate_|gen_ai_|vllm:|ft_|jvm_|namespace:vgate_).*");
    /** Series other features register; see the class comment. */
    private static final Set<String> OTHER_FEATURES = Set.of(
            "vgate_queue_depth",
            "vgate_in_flight_requests",
            "vgate_queue_wait_seconds",
            "vgate_context_adjustments_total",
            "ft_circuitbreaker_state_current",
            "ft_circuitbreaker_opened_total",
            "vgate_rate_limit_redis_up");
    /**
     * Queries whose value the simulator cannot give: it exposes vLLM's prefix-cache counters but never counts
     * prefix-cache lookups, so their ratio is 0/0. These must still return a sample (the series are scraped).
     */
    private static final Set<String> SIMULATOR_GAPS = Set.of("vllm:prefix_cache_queries_total");

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/")
    URI gateway;

    private PrometheusServer prometheus;

    @BeforeAll
    void startPrometheus() throws Exception {
        prometheus = PrometheusServer.start(
                io.vgate.testing.Management.uri(), sim.baseUri(), NAMESPACE, POD, AlertRulesTests.RULES);
    }

    @AfterAll
    void stopPrometheus() throws IOException {
        if (prometheus != null) {
            prometheus.close();
        }
        sim.settings().reset();
    }

    @Test
    void everyDashboardQueryReturnsDataOrIsValidPromQL() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> targetsUp() == 2);
        driveTraffic();
        // Two scrapes after the last request, so every rate() window holds the traffic.
        long scrapedAfter = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> lastScrape("vgate") > scrapedAfter + 1000 && lastScrape("vllm") > scrapedAfter + 1000);

        Set<String> exposed = metricFamilies();
        var failures = new ArrayList<String>();
        var pending = new ArrayList<String>();
        int checked = 0;
        for (DashboardQueries.Query query : DashboardQueries.queries()) {
            String promql = query.substituted(NAMESPACE, POD, sim.modelName());
            JsonNode response = query(promql);
            String where = query.panel() + " [" + query.refId() + "]: " + promql;
            if (!"success".equals(response.path("status").asText())) {
                failures.add(where + " -> " + response);
                continue;
            }
            boolean ours =
                    query.metrics().stream().anyMatch(m -> OURS.matcher(m).matches());
            boolean waitsForOthers =
                    query.metrics().stream().anyMatch(m -> OTHER_FEATURES.contains(m) && !exposed.contains(m));
            if (!ours) {
                continue;
            }
            if (waitsForOthers) {
                pending.add(query.panel());
                continue;
            }
            checked++;
            boolean simulatorGap = query.metrics().stream().anyMatch(SIMULATOR_GAPS::contains);
            if (simulatorGap ? response.path("data").path("result").isEmpty() : !hasFiniteValue(response)) {
                failures.add(where + " -> no data: " + response.path("data").path("result"));
            }
        }

        assertThat(failures).as("dashboard queries").isEmpty();
        assertThat(checked).as("queries checked for data").isGreaterThanOrEqualTo(30);
        System.out.println("Dashboard queries waiting for other features' series: " + pending);
    }

    @Test
    void templateVariablesResolve() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> targetsUp() == 2);
        given().contentType("application/json")
                .body(chat(false, 3))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        Pattern labelValues = Pattern.compile("label_values\\((.*),\\s*(\\w+)\\)");

        for (JsonNode variable : DashboardQueries.dashboard().get("templating").get("list")) {
            if (!"query".equals(variable.get("type").asText())) {
                continue;
            }
            Matcher matcher = labelValues.matcher(variable.get("definition").asText());
            assertThat(matcher.matches()).as(variable.get("name").asText()).isTrue();
            String selector = matcher.group(1).replace("$namespace", NAMESPACE).replace("$pod", POD);
            String label = matcher.group(2);
            String expected = Map.of("namespace", NAMESPACE, "pod", POD, "model_name", sim.modelName(), "route", "chat")
                    .get(label);
            assertThat(expected).as("a value to expect for %s", label).isNotNull();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode values = Json.parse(body(get("/api/v1/label/" + label + "/values?match[]="
                        + URLEncoder.encode(selector, StandardCharsets.UTF_8))));
                assertThat(values.get("data").toString())
                        .as(variable.get("name").asText())
                        .contains("\"" + expected + "\"");
            });
        }
    }

    @Test
    void everyRuleEvaluatesWithoutError() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> targetsUp() == 2);
        // Every group evaluated at least once, after the first scrapes.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode groups = Json.parse(body(get("/api/v1/rules"))).get("data").get("groups");
            assertThat(groups).hasSize(3);
            for (JsonNode group : groups) {
                for (JsonNode rule : group.get("rules")) {
                    assertThat(rule.get("health").asText())
                            .as(rule.get("name").asText() + ": " + rule.path("lastError"))
                            .isEqualTo("ok");
                }
            }
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode keda = query("namespace:vgate_waiting_requests:sum{namespace=\"" + NAMESPACE + "\"}");
            assertThat(keda.get("data").get("result")).as("the KEDA signal").hasSize(1);
        });
    }

    // -- traffic -----------------------------------------------------------------------------------

    private void driveTraffic() {
        for (int i = 0; i < 4; i++) {
            given().contentType("application/json")
                    .body(chat(false, 6))
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200);
            given().contentType("application/json")
                    .body(chat(true, 12))
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200);
        }
        given().contentType("application/json")
                .body(Json.write(
                        Map.of("model", sim.modelName(), "prompt", "Once upon", "max_tokens", 5, "stream", true)))
                .post("/v1/completions")
                .then()
                .statusCode(200);
        given().contentType("application/json")
                .body(Json.write(Map.of("model", sim.modelName(), "input", "vector")))
                .post("/v1/embeddings")
                .then()
                .statusCode(200);
        given().contentType("application/json")
                .body("{")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400);
        given().get("/v1/models").then().statusCode(200);

        sim.settings().faults().resetAfterEvents(2);
        given().contentType("application/json")
                .body(chat(true, 12))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
        sim.settings().faults().resetAfterEvents(-1);

        sim.settings().interTokenLatency(Duration.ofMillis(40));
        try (var client = new SseClient(vertx)) {
            var call = client.post(gateway.resolve("/v1/chat/completions"), chat(true, 200), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> call.events().size() >= 2);
            call.disconnect();
        }
        sim.settings().reset();
        sim.awaitIdle(Duration.ofSeconds(20));
    }

    private String chat(boolean stream, int maxTokens) {
        return Json.chat("Describe a dashboard.", stream, Map.of("model", sim.modelName(), "max_tokens", maxTokens));
    }

    // -- Prometheus API ----------------------------------------------------------------------------

    private JsonNode query(String promql) throws Exception {
        return prometheus.query(promql);
    }

    private static boolean hasFiniteValue(JsonNode response) {
        for (JsonNode series : response.path("data").path("result")) {
            String value = series.path("value").path(1).asText();
            if (!value.isEmpty() && !"NaN".equals(value) && !value.endsWith("Inf")) {
                return true;
            }
        }
        return false;
    }

    private int targetsUp() throws Exception {
        JsonNode targets = Json.parse(body(get("/api/v1/targets"))).get("data").get("activeTargets");
        int up = 0;
        for (JsonNode target : targets) {
            if ("up".equals(target.get("health").asText())) {
                up++;
            }
        }
        return up;
    }

    private long lastScrape(String job) throws Exception {
        JsonNode targets = Json.parse(body(get("/api/v1/targets"))).get("data").get("activeTargets");
        for (JsonNode target : targets) {
            if (job.equals(target.get("labels").get("job").asText())) {
                return java.time.OffsetDateTime.parse(target.get("lastScrape").asText())
                        .toInstant()
                        .toEpochMilli();
            }
        }
        return 0;
    }

    private Set<String> metricFamilies() {
        var names = new java.util.HashSet<String>();
        for (var sample : PrometheusText.parse(
                        io.vgate.testing.Management.given().get("/q/metrics").asString())
                .samples()) {
            names.add(sample.name().replaceAll("_(bucket|sum|count)$", ""));
        }
        return names;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return prometheus.get(path);
    }

    private static String body(HttpResponse<String> response) {
        return response.body();
    }
}
