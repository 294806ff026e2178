package io.vgate.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.logging.json.runtime.JsonFormatter;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vgate.metrics.AccessLog;
import io.vgate.metrics.AccessLog.Fields;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One access-log line per request, with the facts an operator greps for and nothing a client would not
 * want in a log: no prompt, no completion, no credentials. Lines are also run through Quarkus's JSON
 * formatter (the production console format) to show the facts come out as JSON fields.
 */
@QuarkusTest
class AccessLogTests {

    private static final String API_KEY = "sk-vgate-test-DO-NOT-LOG-4242";

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    private final AccessLogCapture accessLog = new AccessLogCapture();

    @BeforeEach
    void capture() {
        accessLog.install();
    }

    @AfterEach
    void restore() {
        accessLog.remove();
        sim.settings().reset();
    }

    @Test
    void writesOneJsonLineWithTheFactsAndNoPromptCompletionOrKey() {
        String requestId = "log-" + UUID.randomUUID();
        String canary = "PROMPT-CANARY-" + UUID.randomUUID();
        String body = given().contentType("application/json")
                .header("Authorization", "Bearer " + API_KEY)
                .header("X-Request-Id", requestId)
                .body(Json.chat("Please repeat " + canary, false, Map.of("model", sim.modelName(), "max_tokens", 12)))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        JsonNode answer = Json.parse(body);
        String completion =
                answer.get("choices").get(0).get("message").get("content").asText();

        ExtLogRecord record = accessLog.await(requestId, Duration.ofSeconds(10));
        String line = new JsonFormatter().format(record);
        JsonNode json = Json.parse(line);
        JsonNode fields = json.get("mdc");

        assertThat(json.get("loggerName").asText()).isEqualTo(AccessLog.CATEGORY);
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(fields.get(Fields.REQUEST_ID).asText()).isEqualTo(requestId);
        assertThat(fields.get(Fields.TRACE_ID).asText()).matches("[0-9a-f]{32}");
        assertThat(fields.get(Fields.METHOD).asText()).isEqualTo("POST");
        assertThat(fields.get(Fields.PATH).asText()).isEqualTo("/v1/chat/completions");
        assertThat(fields.get(Fields.ROUTE).asText()).isEqualTo("chat");
        assertThat(fields.get(Fields.MODEL).asText()).isEqualTo(sim.modelName());
        assertThat(fields.get(Fields.STREAM).asText()).isEqualTo("false");
        assertThat(fields.get(Fields.STATUS).asText()).isEqualTo("200");
        assertThat(fields.get(Fields.OUTCOME).asText()).isEqualTo("completed");
        assertThat(fields.get(Fields.CLIENT_IP).asText()).isEqualTo("127.0.0.1");
        assertThat(fields.get(Fields.PRIORITY).asText()).isEqualTo("interactive");
        assertThat(fields.get(Fields.PROMPT_TOKENS).asLong())
                .isEqualTo(answer.get("usage").get("prompt_tokens").asLong());
        assertThat(fields.get(Fields.COMPLETION_TOKENS).asLong()).isEqualTo(12);
        assertThat(Double.parseDouble(fields.get(Fields.DURATION_MS).asText())).isPositive();
        assertThat(fields.has(Fields.TTFT_MS)).isFalse();
        assertThat(fields.has(Fields.CODE)).isFalse();

        assertThat(completion).hasSizeGreaterThan(8);
        assertThat(line)
                .doesNotContain(canary)
                .doesNotContain(completion)
                .doesNotContain(API_KEY)
                .doesNotContainIgnoringCase("authorization")
                .doesNotContain("Bearer");
        assertThat(accessLog.forRequest(requestId)).hasSize(1);
    }

    @Test
    void recordsTimeToFirstTokenOfStreams() {
        String requestId = "stream-" + UUID.randomUUID();
        given().contentType("application/json")
                .header("X-Request-Id", requestId)
                .body(Json.chat("Stream, please.", true, Map.of("max_tokens", 5)))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        Map<String, String> fields = accessLog.await(requestId);
        assertThat(fields.get(Fields.STREAM)).isEqualTo("true");
        assertThat(fields.get(Fields.COMPLETION_TOKENS)).isEqualTo("5");
        double ttft = Double.parseDouble(fields.get(Fields.TTFT_MS));
        assertThat(ttft).isPositive().isLessThanOrEqualTo(Double.parseDouble(fields.get(Fields.DURATION_MS)));
        assertThat(record(requestId).getFormattedMessage())
                .startsWith("POST /v1/chat/completions 200 completed ")
                .contains(" ttft=")
                .contains(" tokens=")
                .endsWith(" id=" + requestId);
    }

    @Test
    void recordsWhyVgateRejectedARequest() {
        String badJson = "bad-" + UUID.randomUUID();
        given().contentType("application/json")
                .header("X-Request-Id", badJson)
                .body("{\"messages\": [")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400);
        String unknown = "unknown-" + UUID.randomUUID();
        given().header("X-Request-Id", unknown)
                .get("/v1/fine_tuning/jobs")
                .then()
                .statusCode(404);

        Map<String, String> rejected = accessLog.await(badJson);
        assertThat(rejected.get(Fields.STATUS)).isEqualTo("400");
        assertThat(rejected.get(Fields.REASON)).isEqualTo("bad_request");
        assertThat(rejected.get(Fields.CODE)).isEqualTo("invalid_json");
        assertThat(rejected).doesNotContainKeys(Fields.PROMPT_TOKENS, Fields.MODEL);

        Map<String, String> notServed = accessLog.await(unknown);
        assertThat(notServed.get(Fields.ROUTE)).isEqualTo("unknown");
        assertThat(notServed.get(Fields.PATH)).isEqualTo("/v1/fine_tuning/jobs");
        assertThat(notServed.get(Fields.METHOD)).isEqualTo("GET");
        assertThat(notServed.get(Fields.CODE)).isEqualTo("unknown_url");
        assertThat(accessLog.forRequest(badJson)).hasSize(1);
        assertThat(accessLog.forRequest(unknown)).hasSize(1);
    }

    @Test
    void recordsClientsThatLeftBeforeTheAnswer() {
        sim.settings().timeToFirstToken(Duration.ofSeconds(30));
        String requestId = "gone-" + UUID.randomUUID();
        try (var client = new SseClient(vertx)) {
            var call = client.post(
                    chat,
                    Json.chat("Take your time.", false, Map.of("max_tokens", 5)),
                    MultiMap.caseInsensitiveMultiMap().add("X-Request-Id", requestId));
            await().atMost(Duration.ofSeconds(10)).until(() -> sim.running() + sim.waiting() == 1);
            call.disconnect();
        }

        Map<String, String> fields = accessLog.await(requestId);
        assertThat(fields.get(Fields.OUTCOME)).isEqualTo("client_gone");
        assertThat(fields.get(Fields.STATUS)).isEqualTo("0");
        await().atMost(Duration.ofSeconds(10)).until(() -> sim.running() + sim.waiting() == 0);
    }

    /**
     * The JDK client upgrades cleartext connections to HTTP/2 (h2c); there a stream closes when its response
     * ends, which must not read as a client that left.
     */
    @Test
    void recordsHttp2AnswersAsCompleted() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        for (boolean stream : new boolean[] {false, true}) {
            String requestId = "h2-" + stream + "-" + UUID.randomUUID();
            var response = http.send(
                    java.net.http.HttpRequest.newBuilder(chat)
                            .header("Content-Type", "application/json")
                            .header("X-Request-Id", requestId)
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                    Json.chat("Over HTTP/2.", stream, Map.of("max_tokens", 6))))
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);

            Map<String, String> fields = accessLog.await(requestId);
            assertThat(fields.get(Fields.OUTCOME)).as("stream=%s", stream).isEqualTo("completed");
            assertThat(fields.get(Fields.COMPLETION_TOKENS))
                    .as("stream=%s", stream)
                    .isEqualTo("6");
        }
    }

    @Test
    void cutsAndNeutralisesTextTheClientControls() {
        String requestId = "model-" + UUID.randomUUID();
        String model = "evil\nINFO forged line " + "x".repeat(500);
        given().contentType("application/json")
                .header("X-Request-Id", requestId)
                .body(Json.chat("hi", false, Map.of("model", model)))
                .post("/v1/chat/completions")
                .then()
                .statusCode(404);

        String logged = accessLog.await(requestId).get(Fields.MODEL);
        assertThat(logged).hasSize(128).doesNotContain("\n").startsWith("evil?INFO forged line");
        assertThat(record(requestId).getFormattedMessage()).doesNotContain("\n");
    }

    @Test
    void writesLinesOffTheEventLoopAndExposesTheDroppedCount() {
        String requestId = "thread-" + UUID.randomUUID();
        given().header("X-Request-Id", requestId).get("/v1/models").then().statusCode(200);

        ExtLogRecord record = record(requestId);
        assertThat(record.getThreadName()).isEqualTo("vgate-access-log");
        assertThat(io.vgate.testing.Management.given().get("/q/metrics").asString())
                .containsPattern("(?m)^vgate_access_log_dropped_total(\\{[^}]*\\})? 0\\.0$");
    }

    private ExtLogRecord record(String requestId) {
        return accessLog.await(requestId, Duration.ofSeconds(10));
    }
}
