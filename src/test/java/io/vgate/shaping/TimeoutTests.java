package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The timeouts that guard a request once it is sent to vLLM (1 s to first token, 1 s between events,
 * 3 s for a non-streaming answer in the test profile): each ends the request with its own code and closes
 * the upstream request, so the simulator's running count drops; a steady stream longer than all of them
 * is never cut.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class TimeoutTests {

    @Inject
    VllmSimulator sim;

    @Inject
    Admission admission;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    private SseClient client;

    @BeforeEach
    void setUp() {
        client = new SseClient(vertx);
        sim.settings().timeToFirstToken(Duration.ZERO);
    }

    @AfterEach
    void tearDown() {
        client.close();
        sim.settings().reset();
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == 0);
        sim.awaitIdle(Duration.ofSeconds(5));
    }

    @Test
    void aStreamWithoutAFirstTokenEndsWithFirstTokenTimeoutAndFreesTheGpuSlot() {
        sim.settings().faults().slowFirstToken(Duration.ofSeconds(30));
        long abortedBefore = sim.aborted();

        var call = client.post(chat, Json.chat("Think hard.", true, Map.of("max_tokens", 20)), null);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);
        call.body();

        assertThat(call.status()).isEqualTo(200);
        List<String> events = texts(call);
        assertThat(events).hasSize(2);
        assertThat(errorCode(events.get(0))).isEqualTo(ShapingErrors.FIRST_TOKEN_TIMEOUT);
        assertThat(events.get(1)).isEqualTo("data: [DONE]\n\n");
        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }

    @Test
    void aStreamThatGoesSilentEndsWithStreamIdleTimeoutAndFreesTheGpuSlot() {
        sim.settings().interTokenLatency(Duration.ofSeconds(20));
        long abortedBefore = sim.aborted();

        var call = client.post(chat, Json.chat("Slowly.", true, Map.of("max_tokens", 20, "ignore_eos", true)), null);
        call.body();

        List<String> events = texts(call);
        assertThat(events.size()).isGreaterThanOrEqualTo(3);
        assertThat(events.getFirst()).contains("\"role\":\"assistant\"");
        assertThat(errorCode(events.get(events.size() - 2))).isEqualTo(ShapingErrors.STREAM_IDLE_TIMEOUT);
        assertThat(events.getLast()).isEqualTo("data: [DONE]\n\n");
        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }

    @Test
    void aNonStreamingAnswerThatTakesTooLongGets504AndFreesTheGpuSlot() {
        sim.settings().interTokenLatency(Duration.ofMillis(100));
        long abortedBefore = sim.aborted();
        long sent = System.nanoTime();

        var call = client.post(
                chat, Json.chat("Write a lot.", false, Map.of("max_tokens", 200, "ignore_eos", true)), null);

        assertThat(call.status()).isEqualTo(504);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofMillis(2900));
        assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                .isEqualTo(ShapingErrors.UPSTREAM_TIMEOUT);
        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }

    @Test
    void aSteadyStreamLongerThanEveryTimeoutIsNeverCut() {
        // 80 tokens at 50 ms: 4 s in all, longer than each timeout of the profile, never silent for long.
        sim.settings().interTokenLatency(Duration.ofMillis(50));

        var call = client.post(
                chat,
                Json.chat(
                        "Keep going.",
                        true,
                        Map.of("max_tokens", 80, "ignore_eos", true, "stream_options", Map.of("include_usage", true))),
                null);
        call.body();

        List<String> events = texts(call);
        assertThat(events.getLast()).isEqualTo("data: [DONE]\n\n");
        assertThat(events).noneMatch(event -> event.startsWith("data: {\"error\""));
        JsonNode usage = Json.parse(events.get(events.size() - 2).substring("data: ".length()))
                .get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(80);
        long took = call.events().getLast().arrivalNanos()
                - call.events().getFirst().arrivalNanos();
        assertThat(Duration.ofNanos(took)).isGreaterThan(Duration.ofSeconds(3));
    }

    private static List<String> texts(SseClient.Call call) {
        return call.events().stream().map(SseClient.Event::text).toList();
    }

    private static String errorCode(String event) {
        assertThat(event).startsWith("data: {\"error\"");
        return OpenAiErrorSchema.assertValid(event.substring("data: ".length()).trim())
                .get("code")
                .asText();
    }
}
