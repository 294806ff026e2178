package io.vgate.shaping;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Admission under overload, against a simulated GPU of two sequences behind a cap of two: requests beyond
 * the cap wait in vgate's queue (vLLM's own queue stays empty), a full queue answers {@code 503
 * queue_full} with {@code Retry-After} at once, a wait that runs out answers {@code 503 queue_timeout},
 * and a client that leaves while waiting never reaches vLLM.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class AdmissionTests extends ShapingSuite {

    @Override
    Duration interTokenLatency() {
        return Duration.ofMillis(20);
    }

    @Test
    void queuesBeyondTheCapThenTurnsAwayWith503AndRetryAfter() {
        // Two long streams hold the GPU until the test lets them go.
        var holders =
                List.of(traffic.generate("holder-a", null, 2000, true), traffic.generate("holder-b", null, 2000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS && sim.running() == SLOTS);
        List<SseClient.Call> queued = new ArrayList<>();
        for (int i = 0; i < QUEUE; i++) {
            queued.add(traffic.generate("tenant-" + i, null, 5, false));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == QUEUE);
        assertThat(sim.waiting())
                .as("vLLM's own queue stays empty while vgate holds the queue")
                .isZero();
        String metrics = given().get("/q/metrics").asString();
        assertThat(metrics)
                .contains("vgate_queue_depth{priority=\"interactive\"} " + QUEUE + ".0")
                .contains("vgate_in_flight_requests " + SLOTS + ".0");

        // The holders finish nothing meanwhile, so the estimate only moves as older completions leave its window.
        long expectedBefore = admission.retryAfterSeconds("interactive");
        long sent = System.nanoTime();
        var rejected = traffic.generate("tenant-late", null, 5, false);
        int status = rejected.status();
        long answeredMillis = (System.nanoTime() - sent) / 1_000_000;
        long expectedAfter = admission.retryAfterSeconds("interactive");

        assertThat(status).isEqualTo(503);
        assertThat(answeredMillis).as("a full queue answers at once").isLessThan(1000);
        assertThat(Long.parseLong(rejected.headers().get("Retry-After")))
                .as("the queue ahead divided by vLLM's recent pace")
                .isBetween(Math.min(expectedBefore, expectedAfter), Math.max(expectedBefore, expectedAfter));
        assertThat(OpenAiErrorSchema.assertValid(rejected.body()).get("code").asText())
                .isEqualTo(ShapingErrors.QUEUE_FULL);

        holders.forEach(SseClient.Call::disconnect);
        for (var call : queued) {
            assertThat(call.status()).isEqualTo(200);
            assertThat(Json.parse(call.body()).at("/usage/completion_tokens").asInt())
                    .isEqualTo(5);
        }
        assertThat(given().get("/q/metrics").asString())
                .contains("vgate_queue_wait_seconds_count{outcome=\"admitted\",priority=\"interactive\"}");
    }

    @Test
    void aRequestThatWaitsLongerThanMaxQueueWaitGets503QueueTimeout() {
        var holders = List.of(traffic.generate("a", null, 2000, true), traffic.generate("b", null, 2000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);

        long expectedBefore = admission.retryAfterSeconds("interactive");
        long sent = System.nanoTime();
        var waiting = traffic.generate("c", null, 5, false);

        assertThat(waiting.status()).isEqualTo(503);
        long expectedAfter = admission.retryAfterSeconds("interactive");
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofMillis(2900));
        assertThat(Long.parseLong(waiting.headers().get("Retry-After")))
                .as("nobody left ahead: one request's worth of vLLM's recent pace")
                .isBetween(Math.min(expectedBefore, expectedAfter), Math.max(expectedBefore, expectedAfter));
        assertThat(OpenAiErrorSchema.assertValid(waiting.body()).get("code").asText())
                .isEqualTo(ShapingErrors.QUEUE_TIMEOUT);
        holders.forEach(SseClient.Call::disconnect);
    }

    @Test
    void aClientThatLeavesWhileWaitingIsTakenOutOfTheQueueAndNeverReachesVllm() {
        long receivedBefore = sim.received();
        var holders = List.of(traffic.generate("a", null, 2000, true), traffic.generate("b", null, 2000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);
        var leaving = traffic.generate("c", null, 5, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 1);

        leaving.disconnect();

        await().atMost(Duration.ofSeconds(2)).until(() -> admission.queued() == 0);
        holders.forEach(SseClient.Call::disconnect);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == 0);
        assertThat(sim.received()).isEqualTo(receivedBefore + 2);
    }

    @Test
    void modelListRequestsDoNotTakeASlot() {
        var holders = List.of(traffic.generate("a", null, 2000, true), traffic.generate("b", null, 2000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);

        given().get("/v1/models").then().statusCode(200);

        holders.forEach(SseClient.Call::disconnect);
    }
}
