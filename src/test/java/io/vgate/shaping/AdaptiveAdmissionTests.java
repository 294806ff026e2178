package io.vgate.shaping;

import static io.vgate.shaping.AdaptiveAdmissionTestProfile.CAPACITY;
import static io.vgate.shaping.AdaptiveAdmissionTestProfile.MIN;
import static io.vgate.shaping.AdaptiveAdmissionTestProfile.TENANT_CAP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vgate.sim.SimulatorConfig.SchedulingPolicy;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.LogCapture;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Admission that follows the GPU, end to end over HTTP: the in-flight limit learned from the simulator's own
 * {@code /metrics} (grows to its capacity and no further, falls when it queues, holds when the metrics cannot be
 * read), priority classes passed into the simulator's scheduler, and per-tenant concurrency caps.
 *
 * <p>The first test starts from the application's fresh limit, so the tests run in order.
 */
@QuarkusTest
@TestProfile(AdaptiveAdmissionTestProfile.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdaptiveAdmissionTests {

    private static final String QUEUEING_DOWN =
            "vgate_in_flight_limit_adjustments_total{direction=\"down\",reason=\"queueing\"}";
    private static final String GREW = "vgate_in_flight_limit_adjustments_total{direction=\"up\",reason=\"grew\"}";

    @Inject
    VllmSimulator sim;

    @Inject
    Admission admission;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    private SseClient client;
    private Traffic traffic;

    @BeforeEach
    void start() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ofMillis(50));
        client = new SseClient(vertx);
        traffic = new Traffic(client, chat);
    }

    @AfterEach
    void settle() {
        client.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0 && admission.queued() == 0);
        sim.settings().reset();
        sim.awaitIdle(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            long[] tickets = admission.ticketCounts();
            assertThat(tickets[1]).as("every ticket released").isEqualTo(tickets[0]);
            assertThat(tickets[2]).as("none released twice").isZero();
        });
    }

    /** Long streams (100 s at the suite's pace) that hold a sequence until the test lets them go. */
    private List<SseClient.Call> holders(String prefix, int count) {
        List<SseClient.Call> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // Two per tenant, under the tenant cap.
            calls.add(traffic.generate(prefix + "-" + (i / 2), null, 2000, true));
        }
        return calls;
    }

    @Test
    @Order(1)
    void theLimitGrowsToTheSimulatorsCapacityAndNoFurtherThenFallsWhenItQueues() {
        assertThat(admission.limit()).as("a fresh limit starts at the minimum").isEqualTo(MIN);
        double grewBefore = Metrics.value(GREW);

        var first = holders("grow", 30);

        await().atMost(Duration.ofSeconds(20))
                .until(() -> admission.inFlight() + admission.queued() == 30
                        && admission.limit() == CAPACITY
                        && sim.running() == CAPACITY);
        // Nothing finishes, so what vLLM queued stays queued and the limit must stay at the capacity it measured.
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> admission.limit() == CAPACITY);
        assertThat(Metrics.value(GREW)).as("it grew to get there").isGreaterThan(grewBefore);
        assertThat(Metrics.value("vgate_in_flight_limit")).isEqualTo(CAPACITY);
        // vLLM's own queue keeps what growth sent before a reading saw it queue (nothing finishes to drain it); how
        // much that is depends on how late the readings see the requests arrive, so only its sum with vgate's is exact.
        assertThat(Metrics.value("vgate_queue_depth{priority=\"interactive\"}") + sim.waiting())
                .as("the autoscaling signal (vgate's queue plus vLLM's) counts exactly the requests beyond capacity")
                .isEqualTo(30 - CAPACITY);

        first.forEach(SseClient.Call::disconnect);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> admission.inFlight() == 0 && admission.queued() == 0 && sim.running() == 0);

        // The GPU becomes smaller: the limit falls to what it runs as soon as it queues.
        int smaller = 5;
        sim.settings().maxNumSeqs(smaller);
        double downBefore = Metrics.value(QUEUEING_DOWN);
        var second = holders("shrink", 20);

        await().atMost(Duration.ofSeconds(10)).until(() -> admission.limit() == smaller && sim.running() == smaller);
        assertThat(Metrics.value(QUEUEING_DOWN)).isGreaterThan(downBefore);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> admission.limit() == smaller);
        second.forEach(SseClient.Call::disconnect);
    }

    @Test
    @Order(2)
    void priorityClassesReachTheSimulatorAndReorderItsQueue() {
        // One sequence at a time; the limit never goes below the minimum, so vLLM's queue holds what vgate sends.
        sim.settings().maxNumSeqs(1).schedulingPolicy(SchedulingPolicy.PRIORITY);
        var holder = traffic.generate("p-holder", "interactive", 2000, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);
        var batchA = traffic.generate("p-batch-a", "batch", 3, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.waiting() == 1);
        var batchB = traffic.generate("p-batch-b", "batch", 3, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.waiting() == 2);
        var interactive = traffic.generate("p-interactive", "interactive", 3, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.waiting() == 3);
        assertThat(admission.queued())
                .as("vgate queued nothing: any reordering is the simulator's")
                .isZero();

        holder.disconnect();

        for (var call : List.of(batchA, batchB, interactive)) {
            assertThat(call.status()).isEqualTo(200);
            assertThat(call.body()).contains("[DONE]");
        }
        assertThat(Traffic.firstEventAt(interactive))
                .as("the interactive request, last to arrive, ran first")
                .isLessThan(Traffic.firstEventAt(batchA));
        assertThat(Traffic.firstEventAt(batchA))
                .as("equal priorities keep their arrival order")
                .isLessThan(Traffic.firstEventAt(batchB));
    }

    @Test
    @Order(3)
    void aTenantAtItsCapGets429WhileAnotherTenantIsServed() {
        List<SseClient.Call> streams = new ArrayList<>();
        for (int i = 0; i < TENANT_CAP; i++) {
            streams.add(traffic.generate("capped", null, 2000, true));
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> admission.tenantHeld("capped") == TENANT_CAP && sim.running() == TENANT_CAP);

        long sent = System.nanoTime();
        var refused = traffic.generate("capped", null, 5, false);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(1));
        assertThat(Long.parseLong(refused.headers().get("Retry-After"))).isBetween(1L, 60L);
        assertThat(OpenAiErrorSchema.assertValid(refused.body()).get("code").asText())
                .isEqualTo(ShapingErrors.CONCURRENCY_LIMIT_EXCEEDED);

        var other = traffic.generate("other", null, 5, false);
        assertThat(other.status()).isEqualTo(200);
        assertThat(Json.parse(other.body()).at("/usage/completion_tokens").asInt())
                .isEqualTo(5);
        await().atMost(Duration.ofSeconds(2)).until(() -> admission.tenantHeld("other") == 0);

        streams.forEach(SseClient.Call::disconnect);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.tenantHeld("capped") == 0);
        var again = traffic.generate("capped", null, 5, false);
        assertThat(again.status()).isEqualTo(200);
    }

    @Test
    @Order(4)
    void theLimitHoldsWhileTheSimulatorsMetricsCannotBeReadAndTheGaugeSaysSo() {
        await().atMost(Duration.ofSeconds(5)).until(() -> Metrics.value("vgate_vllm_metrics_readable") == 1);
        int before = admission.limit();

        try (LogCapture log = LogCapture.start()) {
            sim.settings().faults().refuseConnections(true);

            await().atMost(Duration.ofSeconds(5)).until(() -> Metrics.value("vgate_vllm_metrics_readable") == 0);
            await().during(Duration.ofMillis(600))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> admission.limit() == before);
            assertThat(log.count("holding the in-flight limit at " + before + " "))
                    .isEqualTo(1);

            sim.settings().faults().refuseConnections(false);
            await().atMost(Duration.ofSeconds(5)).until(() -> Metrics.value("vgate_vllm_metrics_readable") == 1);
            assertThat(log.count("the in-flight limit (" + before + ") adapts again"))
                    .isEqualTo(1);
        }
    }
}
