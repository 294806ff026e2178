package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.LogCapture;
import io.vgate.upstream.UpstreamGuard;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every ending is recorded as what happened, by the side that failed first: a stream over HTTP/1.0 is served
 * close-delimited and frees its slot; a client that resets its connection (RST), before the first token or
 * mid-stream, is {@code client_gone} and never vLLM's failure, however its upstream reset echoes back;
 * vLLM's in-band error event after a 200 is relayed unchanged and counted as vLLM's failure, breaker
 * included; and the {@code finish_reason} of every generation is in the access line and the metrics.
 */
@QuarkusTest
class EndingsTests {

    private static final String CHAT = "/v1/chat/completions";
    private static final int RESET_ROUNDS = 20;
    private static final String WEATHER_TOOL =
            "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                    + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}],"
                    + "\"tool_choice\":\"required\"";

    @Inject
    VllmSimulator sim;

    @Inject
    CircuitBreakerMaintenance breakers;

    @TestHTTPResource("/")
    URI root;

    @AfterEach
    void restore() {
        sim.settings().reset();
        breakers.resetAll();
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> Scrape.sum("vgate_in_flight_requests") == 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void streamsOverHttp10AsACloseDelimitedBodyEventByEventAndFreesTheSlot(boolean keepAlive) {
        sim.settings().interTokenLatency(Duration.ofMillis(40)).timeToFirstToken(Duration.ZERO);
        String id = "http10-" + UUID.randomUUID();
        String body = Json.chat("Tell me more.", true, Map.of("max_tokens", 20, "ignore_eos", true));
        try (LogCapture log = LogCapture.start();
                RawStream stream = RawStream.open(root.getPort())) {
            stream.send(RawStream.post(
                    "HTTP/1.0",
                    CHAT,
                    body,
                    keepAlive
                            ? List.of("X-Request-Id: " + id, "Connection: keep-alive")
                            : List.of("X-Request-Id: " + id)));

            String head = stream.head();
            assertThat(head).startsWith("HTTP/1.").contains(" 200 ");
            assertThat(head.toLowerCase())
                    .contains("connection: close")
                    .contains("content-type: text/event-stream")
                    .doesNotContain("transfer-encoding")
                    .doesNotContain("content-length");
            String first = stream.event();
            assertThat(first).startsWith("data: {");
            assertThat(sim.running())
                    .as("the first event arrives while vLLM still generates: relayed as it comes")
                    .isEqualTo(1);

            String rest = stream.rest();
            assertThat(stream.closedByServer())
                    .as("the body ends with the connection")
                    .isTrue();
            String all = first + rest;
            assertThat(all).endsWith("data: [DONE]\n\n").contains("\"finish_reason\":\"length\"");
            assertThat(all.split("\n\n"))
                    .as("the role chunk, 20 tokens, [DONE]")
                    .hasSizeGreaterThanOrEqualTo(20 + 2);

            String line = accessLine(log, id);
            assertThat(line).contains(" 200 completed ").contains("finish=length");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(Scrape.sum("vgate_in_flight_requests")).isZero();
            assertThat(sim.running()).isZero();
        });
    }

    @Test
    void aClientThatResetsBeforeTheFirstTokenIsGoneAndItsGenerationAborted() {
        sim.settings().faults().slowFirstToken(Duration.ofSeconds(30));
        resetRepeatedly(0, "waiting");
    }

    @Test
    void aClientThatResetsMidStreamIsGoneAndItsGenerationAborted() {
        sim.settings().interTokenLatency(Duration.ofMillis(20)).timeToFirstToken(Duration.ZERO);
        resetRepeatedly(3, "streaming");
    }

    /** {@value #RESET_ROUNDS} clients in a row reset their connection after {@code events} events. */
    private void resetRepeatedly(int events, String phase) {
        double upstreamErrors = Scrape.sum("vgate_upstream_errors_total");
        double disconnects = Scrape.sum("vgate_client_disconnects_total", "phase=\"" + phase + "\"");
        double failed = Scrape.sum("vgate_requests_total", "outcome=\"upstream_failed\"");
        long aborted = sim.aborted();
        try (LogCapture log = LogCapture.start()) {
            for (int round = 1; round <= RESET_ROUNDS; round++) {
                String id = "rst-" + phase + "-" + round + "-" + UUID.randomUUID();
                String body = Json.chat("Go on forever " + round, true, Map.of("max_tokens", 3000, "ignore_eos", true));
                RawStream stream = RawStream.open(root.getPort());
                stream.send(RawStream.post("HTTP/1.1", CHAT, body, List.of("X-Request-Id: " + id)));
                assertThat(stream.head()).contains(" 200 ");
                for (int i = 0; i < events; i++) {
                    assertThat(stream.event()).as("a chunk of the stream").contains("data: {");
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);

                stream.reset();

                long expected = aborted + round;
                await().atMost(Duration.ofSeconds(5))
                        .alias("round " + round + ": vLLM aborts the generation")
                        .until(() -> sim.running() == 0 && sim.aborted() >= expected);
                assertThat(accessLine(log, id)).as("round %d", round).contains(" client_gone ");
            }
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(
                                Scrape.sum("vgate_client_disconnects_total", "phase=\"" + phase + "\"") - disconnects)
                        .isEqualTo(RESET_ROUNDS));
        assertThat(Scrape.sum("vgate_upstream_errors_total") - upstreamErrors)
                .as("a client's reset is never vLLM's failure")
                .isZero();
        assertThat(Scrape.sum("vgate_requests_total", "outcome=\"upstream_failed\"") - failed)
                .isZero();
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
    }

    @Test
    void relaysVllmsErrorEventUnchangedAndRecordsItAsVllmsFailure() {
        sim.settings().faults().errorAfterEvents(3);
        String id = "error-event-" + UUID.randomUUID();
        double errorEvents = Scrape.sum("vgate_upstream_errors_total", "error_type=\"error_event\"");
        double failed = Scrape.sum("vgate_requests_total", "status_class=\"2xx\"", "outcome=\"upstream_failed\"");
        double completed = Scrape.sum("vgate_requests_total", "status_class=\"2xx\"", "outcome=\"completed\"");
        try (LogCapture log = LogCapture.start()) {
            Response response = post(id, Json.chat("Fail later.", true, Map.of("max_tokens", 50, "ignore_eos", true)));

            assertThat(response.statusCode()).isEqualTo(200);
            String[] events = response.asString().split("(?<=\n\n)");
            assertThat(events).hasSize(3 + 2);
            assertThat(events[3])
                    .as("vLLM's own error event, unchanged")
                    .startsWith("data: {\"error\":{")
                    .contains("Injected failure")
                    .endsWith("}\n\n");
            assertThat(events[4]).isEqualTo("data: [DONE]\n\n");

            assertThat(accessLine(log, id)).contains(" 200 upstream_failed ").contains("upstream_error=error_event");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(Scrape.sum("vgate_upstream_errors_total", "error_type=\"error_event\"") - errorEvents)
                    .isEqualTo(1);
            assertThat(Scrape.sum("vgate_requests_total", "status_class=\"2xx\"", "outcome=\"upstream_failed\"")
                            - failed)
                    .isEqualTo(1);
        });
        assertThat(Scrape.sum("vgate_requests_total", "status_class=\"2xx\"", "outcome=\"completed\"") - completed)
                .as("not a success")
                .isZero();
    }

    @Test
    void vllmsErrorEventsOpenTheCircuitBreaker() {
        sim.settings().faults().errorAfterEvents(1);
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);

        // Default breaker: half of the last 20 calls failing opens it; each stream's head counted a success.
        for (int i = 0; i < 16 && breakers.currentState(UpstreamGuard.BREAKER) != CircuitBreakerState.OPEN; i++) {
            Response response = post("breaker-" + i, Json.chat("Fail " + i, true, Map.of("max_tokens", 20)));
            if (response.statusCode() == 503) {
                // The last failure was counted after its client had the end: the breaker opened just now.
                assertThat(Json.error(response.asString()).get("code").asText()).isEqualTo("circuit_open");
                assertThat(i).as("opened by the error events, not before them").isGreaterThanOrEqualTo(9);
                break;
            }
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.asString()).contains("data: {\"error\":");
        }

        await().atMost(Duration.ofSeconds(2))
                .untilAsserted(() ->
                        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.OPEN));
    }

    @Test
    void recordsToolCallEndingsStreamedAndNot() {
        double toolCalls = Scrape.sum("vgate_finish_reasons_total", "finish_reason=\"tool_calls\"");
        String whole = "tools-" + UUID.randomUUID();
        String streamed = "tools-stream-" + UUID.randomUUID();
        String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],";
        try (LogCapture log = LogCapture.start()) {
            Response answer = post(whole, "{" + messages + WEATHER_TOOL + "}");
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.jsonPath().getString("choices[0].finish_reason")).isEqualTo("tool_calls");
            Response stream = post(
                    streamed,
                    "{" + messages + WEATHER_TOOL + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
            assertThat(stream.asString())
                    .contains("\"finish_reason\":\"tool_calls\"")
                    .endsWith("data: [DONE]\n\n");

            assertThat(accessLine(log, whole)).contains(" 200 completed ").contains("finish=tool_calls");
            assertThat(accessLine(log, streamed)).contains(" 200 completed ").contains("finish=tool_calls");
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(
                                Scrape.sum("vgate_finish_reasons_total", "finish_reason=\"tool_calls\"") - toolCalls)
                        .isEqualTo(2));
    }

    @Test
    void recordsLengthAndStopEndingsStreamedAndNot() {
        double length = Scrape.sum("vgate_finish_reasons_total", "finish_reason=\"length\"");
        double stop = Scrape.sum("vgate_finish_reasons_total", "finish_reason=\"stop\"");
        try (LogCapture log = LogCapture.start()) {
            for (boolean stream : new boolean[] {false, true}) {
                String cut = "length-" + stream + "-" + UUID.randomUUID();
                String natural = "stop-" + stream + "-" + UUID.randomUUID();
                assertThat(post(cut, Json.chat("Cut me.", stream, Map.of("max_tokens", 3, "ignore_eos", true)))
                                .statusCode())
                        .isEqualTo(200);
                assertThat(post(natural, Json.chat("Say a little.", stream, Map.of("max_tokens", 2000)))
                                .statusCode())
                        .isEqualTo(200);
                assertThat(accessLine(log, cut)).contains("finish=length");
                assertThat(accessLine(log, natural)).contains("finish=stop");
            }
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(Scrape.sum("vgate_finish_reasons_total", "finish_reason=\"length\"") - length)
                    .isEqualTo(2);
            assertThat(Scrape.sum("vgate_finish_reasons_total", "finish_reason=\"stop\"") - stop)
                    .isEqualTo(2);
        });
    }

    private static Response post(String requestId, String body) {
        return given().header("X-Request-Id", requestId)
                .contentType("application/json")
                .body(body)
                .post(CHAT);
    }

    /** The access line of request {@code id}, once it is written (observers run after the answer's end). */
    private static String accessLine(LogCapture log, String id) {
        await().atMost(Duration.ofSeconds(5))
                .until(() -> log.lines().stream()
                        .anyMatch(line -> line.contains("io.vgate.access") && line.contains("id=" + id)));
        return log.lines().stream()
                .filter(line -> line.contains("io.vgate.access") && line.contains("id=" + id))
                .findFirst()
                .orElseThrow();
    }
}
