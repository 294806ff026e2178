package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fair queuing and priority classes end to end. Every request streams, so the arrival of its first event
 * marks when it got a slot (the simulator answers at once): admission order is read from the client side.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class FairnessTests extends ShapingSuite {

    /** 40 tokens at 10 ms: each request holds its slot for about 400 ms. */
    private static final int TOKENS = 40;

    @Override
    Duration interTokenLatency() {
        return Duration.ofMillis(10);
    }

    @Test
    void aLightTenantIsServedNextToAFloodingOneInsteadOfBehindIt() {
        List<SseClient.Call> flood = new ArrayList<>();
        // The flood's first requests hold both slots until everything is queued, however slow the machine.
        for (int i = 0; i < SLOTS; i++) {
            flood.add(traffic.generate("flood", null, 3000, true));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);
        for (int i = 0; i < QUEUE; i++) {
            flood.add(traffic.generate("flood", null, TOKENS, true));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == QUEUE);

        // What a request arriving at this full queue is told; the shed request is told the same.
        long expected = admission.retryAfterSeconds("interactive");
        var light = traffic.generate("light", null, TOKENS, true);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> flood.stream().anyMatch(call -> call.completion().isDone()));
        flood.subList(0, SLOTS).forEach(SseClient.Call::disconnect);

        assertThat(light.status()).isEqualTo(200);
        light.body();
        flood.forEach(call -> call.completion().handle((body, failure) -> body).join());
        long lightAdmitted = Traffic.firstEventAt(light);
        long floodAdmittedBefore = flood.stream()
                .filter(call -> Traffic.firstEventAt(call) < lightAdmitted)
                .count();
        // Two were running and the light tenant joined the round behind the flood's next request; first come,
        // first served would have put it behind all six waiting.
        assertThat(floodAdmittedBefore).isLessThanOrEqualTo(SLOTS + 1);
        // The queue was full: the flood's newest request made room rather than the light tenant being turned away.
        var shed = flood.stream().filter(call -> call.status() == 503).toList();
        assertThat(shed).hasSize(1);
        assertThat(OpenAiErrorSchema.assertValid(shed.getFirst().body())
                        .get("code")
                        .asText())
                .isEqualTo(ShapingErrors.QUEUE_SHED);
        assertThat(Long.parseLong(shed.getFirst().headers().get("Retry-After")))
                .isBetween(Math.max(1, expected - 1), expected + 1);
    }

    @Test
    void batchWaitsWhileInteractiveRequestsWait() {
        // Holders keep both slots until the queue is set up, however slow the machine; then they leave.
        var holders = List.of(traffic.generate("h", null, 3000, true), traffic.generate("h", null, 3000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);
        var batch =
                List.of(traffic.generate("b1", "batch", TOKENS, true), traffic.generate("b2", "batch", TOKENS, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 2);
        var interactive = List.of(
                traffic.generate("i1", "interactive", TOKENS, true), traffic.generate("i2", null, TOKENS, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 4);

        holders.forEach(SseClient.Call::disconnect);

        for (var call : concat(batch, interactive)) {
            assertThat(call.status()).isEqualTo(200);
            call.body();
        }
        long lastInteractive =
                interactive.stream().mapToLong(Traffic::firstEventAt).max().orElseThrow();
        long firstBatch = batch.stream().mapToLong(Traffic::firstEventAt).min().orElseThrow();
        assertThat(lastInteractive).isLessThan(firstBatch);
    }

    @Test
    void aFullQueueShedsBatchForInteractiveAndTurnsNewBatchAway() {
        var holders = List.of(traffic.generate("h", null, 2000, true), traffic.generate("h", null, 2000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);
        List<SseClient.Call> batch = new ArrayList<>();
        for (int i = 0; i < QUEUE; i++) {
            batch.add(traffic.generate("bulk", "batch", 5, false));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == QUEUE);

        double shedBefore = Metrics.value("vgate_queue_wait_seconds_count{outcome=\"shed\",priority=\"batch\"}");
        var interactive = List.of(traffic.generate("i1", null, 5, false), traffic.generate("i2", null, 5, false));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> batch.stream()
                                .filter(call -> call.completion().isDone())
                                .count()
                        == 2);
        // The bulk tenant holds the whole batch queue: its next request is turned away, nobody is shed for it.
        var lateBatch = traffic.generate("bulk", "batch", 5, false);

        var shed = batch.stream().filter(call -> call.completion().isDone()).toList();
        for (var call : shed) {
            assertThat(call.status()).isEqualTo(503);
            assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                    .isEqualTo(ShapingErrors.QUEUE_SHED);
        }
        assertThat(lateBatch.status()).isEqualTo(503);
        assertThat(OpenAiErrorSchema.assertValid(lateBatch.body()).get("code").asText())
                .isEqualTo(ShapingErrors.QUEUE_FULL);
        holders.forEach(SseClient.Call::disconnect);
        for (var call : interactive) {
            assertThat(call.status()).isEqualTo(200);
        }
        assertThat(batch.stream().filter(call -> call.status() == 200)).hasSize(QUEUE - 2);
        assertThat(Metrics.value("vgate_queue_wait_seconds_count{outcome=\"shed\",priority=\"batch\"}"))
                .isEqualTo(shedBefore + 2);
    }

    @Test
    void anUnknownPriorityClassFromATrustedCallerIsRejected() {
        var call = traffic.generate("t", "urgent", 5, false);

        assertThat(call.status()).isEqualTo(400);
        assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                .isEqualTo(ShapingErrors.INVALID_PRIORITY);
    }

    @SafeVarargs
    private static List<SseClient.Call> concat(List<SseClient.Call>... lists) {
        List<SseClient.Call> all = new ArrayList<>();
        for (var list : lists) {
            all.addAll(list);
        }
        return all;
    }
}
