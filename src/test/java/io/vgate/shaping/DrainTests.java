package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Graceful shutdown, in process: {@link GracefulDrain#drain()} is what SIGTERM runs (Quarkus's pre-shutdown
 * phase). Live streams finish whole, waiting and new requests are told to go elsewhere, readiness is DOWN
 * meanwhile; the drain returns once the last stream ended.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class DrainTests extends ShapingSuite {

    private static final int TOKENS = 60;

    @Inject
    GracefulDrain drain;

    @Override
    Duration interTokenLatency() {
        return Duration.ofMillis(25);
    }

    /** Runs before {@link ShapingSuite#settle()}, which waits for the queue to empty. */
    @AfterEach
    void resume() {
        drain.resume();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> io.vgate.testing.Management.given()
                                .get("/q/health/ready")
                                .statusCode()
                        == 200);
    }

    @Test
    void liveStreamsFinishWholeWhileEveryoneElseIsSentElsewhere() {
        var live = List.of(stream("a"), stream("b"));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> live.stream().allMatch(call -> call.events().size() >= 2));
        var queued = List.of(stream("c"), stream("d"));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 2);

        var draining = CompletableFuture.runAsync(drain::drain);

        for (var call : queued) {
            assertThat(call.status()).isEqualTo(503);
            assertThat(call.headers().get("Retry-After")).isNotNull();
            assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                    .isEqualTo(ShapingErrors.SHUTTING_DOWN);
        }
        await().atMost(Duration.ofSeconds(2)).until(drain::draining);
        var late = stream("e");
        assertThat(late.status()).isEqualTo(503);
        assertThat(OpenAiErrorSchema.assertValid(late.body()).get("code").asText())
                .isEqualTo(ShapingErrors.SHUTTING_DOWN);
        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(503);
        io.vgate.testing.Management.given().get("/q/health/live").then().statusCode(200);
        assertThat(draining).as("the drain waits for the live streams").isNotDone();

        for (var call : live) {
            call.body();
            List<String> events =
                    call.events().stream().map(SseClient.Event::text).toList();
            assertThat(events.getLast()).isEqualTo("data: [DONE]\n\n");
            assertThat(events).noneMatch(event -> event.startsWith("data: {\"error\""));
            JsonNode usage = Json.parse(events.get(events.size() - 2).substring("data: ".length()))
                    .get("usage");
            assertThat(usage.get("completion_tokens").asInt()).isEqualTo(TOKENS);
        }
        draining.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();
        assertThat(admission.inFlight()).isZero();
    }

    @Test
    void streamsStillRunningAtTheDrainTimeoutEndWithAnErrorEventAndFreeTheGpu() {
        var endless = traffic.generate("a", null, 5000, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> endless.events().size() >= 2);
        long abortedBefore = sim.aborted();

        admission.beginDrain();
        int ended = admission.abortInFlight(ShapingErrors.shuttingDown(Admission.SHUTDOWN_RETRY_AFTER));
        endless.body();

        assertThat(ended).isEqualTo(1);
        List<String> events =
                endless.events().stream().map(SseClient.Event::text).toList();
        assertThat(events.getLast()).isEqualTo("data: [DONE]\n\n");
        String error = events.get(events.size() - 2);
        assertThat(OpenAiErrorSchema.assertValid(
                                error.substring("data: ".length()).trim())
                        .get("code")
                        .asText())
                .isEqualTo(ShapingErrors.SHUTTING_DOWN);
        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }

    private SseClient.Call stream(String tenant) {
        return traffic.post(
                Json.chat(
                        "Tell me a story.",
                        true,
                        Map.of(
                                "max_tokens",
                                TOKENS,
                                "ignore_eos",
                                true,
                                "stream_options",
                                Map.of("include_usage", true))),
                tenant,
                null);
    }
}
