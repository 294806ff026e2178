package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vgate.shaping.AdaptiveLimit.Settings;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.LogCapture;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limit's loop against the real simulator over HTTP: its readings of {@code /metrics}, the limit
 * it sets from them, and what it does when they fail. vgate's demand is played by the test (requests go straight
 * to the simulator), so each signal can be produced on its own.
 */
@QuarkusTest
class InFlightLimitTests {

    private static final Duration INTERVAL = Duration.ofMillis(50);

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger raised = new AtomicInteger();
    private MeterRegistry registry;
    private InFlightLimit limit;
    private SseClient client;

    @BeforeEach
    void start() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ofMillis(20));
        client = new SseClient(vertx);
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void stop() {
        if (limit != null) {
            limit.stop();
        }
        client.close();
        sim.settings().reset();
        sim.awaitIdle(Duration.ofSeconds(10));
    }

    private InFlightLimit limit(Settings settings) {
        limit = new InFlightLimit(
                settings,
                INTERVAL,
                () -> new VllmLoadReader(vertx, sim.baseUri(), "/metrics", Duration.ofSeconds(2)),
                vertx,
                registry);
        limit.attach(inFlight::get, queued::get, raised::incrementAndGet);
        limit.start();
        return limit;
    }

    /** Long generations sent straight to the simulator, which holds them until the client closes. */
    private void generate(int requests) {
        URI url = sim.baseUri().resolve("/v1/chat/completions");
        for (int i = 0; i < requests; i++) {
            client.post(
                    url,
                    Json.chat(
                            "Tell me a long story, part " + i,
                            true,
                            Map.of("model", sim.modelName(), "max_tokens", 3000, "ignore_eos", true)),
                    MultiMap.caseInsensitiveMultiMap());
        }
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private double adjustments(String direction, String reason) {
        return registry.get("vgate.in.flight.limit.adjustments")
                .tag("direction", direction)
                .tag("reason", reason)
                .counter()
                .count();
    }

    @Test
    void readsTheSimulatorsRunningAndWaitingRequestsAndCache() {
        sim.settings().maxNumSeqs(3);
        limit(new Settings(4, 64, 0.9, 1, 0.25, 0.9));

        generate(5);

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                new double[] {gauge("vgate.vllm.running.requests"), gauge("vgate.vllm.waiting.requests")
                                })
                        .containsExactly(3, 2));
        assertThat(gauge("vgate.vllm.kv.cache.usage.ratio")).isGreaterThan(0).isLessThan(1);
        assertThat(gauge("vgate.vllm.metrics.readable")).isEqualTo(1);
    }

    @Test
    void growsWhileTheSimulatorHasRoomAndVgateHasDemandUpToTheMaximum() {
        limit(new Settings(2, 24, 0.9, 2, 0.25, 0.9));
        queued.set(10);
        inFlight.set(0);

        await().atMost(Duration.ofSeconds(10)).until(() -> limit.limit() == 24);
        assertThat(raised.get()).as("admission is woken on each rise").isGreaterThanOrEqualTo(11);
        assertThat(adjustments("up", "grew")).isGreaterThanOrEqualTo(11);
        assertThat(gauge("vgate.in.flight.limit")).isEqualTo(24);
    }

    @Test
    void staysPutWithoutDemand() {
        limit(new Settings(5, 64, 0.9, 1, 0.25, 0.9));

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> limit.limit() == 5);
        assertThat(adjustments("up", "grew")).isZero();
    }

    @Test
    void dropsToWhatTheSimulatorRunsWhenItQueues() {
        limit(new Settings(2, 40, 0.9, 4, 0.25, 0.9));
        queued.set(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> limit.limit() == 40);

        sim.settings().maxNumSeqs(4);
        inFlight.set(6);
        generate(6);

        await().atMost(Duration.ofSeconds(10)).until(() -> limit.limit() == 4);
        assertThat(adjustments("down", "queueing")).isEqualTo(1);
    }

    @Test
    void backsOffWhenTheSimulatorPreempts() {
        // 8 sequences may run, but the KV cache (32 blocks of 16) fills as they grow and preempts the newest.
        sim.settings().maxNumSeqs(8).kvCacheTokens(512);
        limit(new Settings(1, 8, 0.99, 1, 0.25, 0.5));
        queued.set(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> limit.limit() == 8);
        queued.set(0);
        inFlight.set(0);

        generate(8);

        await().atMost(Duration.ofSeconds(20)).until(() -> adjustments("down", "preempting") >= 1);
        assertThat(limit.limit()).isLessThan(8);
    }

    @Test
    void holdsTheLastLimitWhileTheMetricsCannotBeReadAndSaysSoOnce() {
        // Starts at 30: its log lines are told apart from those of the application's own limit by the number.
        limit(new Settings(30, 500, 0.9, 1, 0.25, 0.9));
        queued.set(10);
        await().atMost(Duration.ofSeconds(10)).until(() -> limit.limit() >= 35);

        try (LogCapture log = LogCapture.start()) {
            sim.settings().faults().refuseConnections(true);

            await().atMost(Duration.ofSeconds(10)).until(() -> gauge("vgate.vllm.metrics.readable") == 0);
            int held = limit.limit();
            // vgate still has demand that would make the limit grow by one every 50 ms.
            await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> limit.limit() == held);
            assertThat(log.count("holding the in-flight limit at " + held + " "))
                    .isEqualTo(1);
            assertThat(adjustments("up", "metrics_unreadable") + adjustments("down", "metrics_unreadable"))
                    .isZero();

            sim.settings().faults().refuseConnections(false);

            await().atMost(Duration.ofSeconds(10)).until(() -> gauge("vgate.vllm.metrics.readable") == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> limit.limit() > held);
            assertThat(log.count("the in-flight limit (" + held + ") adapts again"))
                    .isEqualTo(1);
        }
    }

    @Test
    void aReadingFailsWithWhereAndWhyWhenTheAnswerIsNotVllmsMetrics() throws Exception {
        try (var notFound = new VllmLoadReader(vertx, sim.baseUri(), "/nope", Duration.ofSeconds(2));
                var notMetrics = new VllmLoadReader(vertx, sim.baseUri(), "v1/models", Duration.ofSeconds(2))) {
            Throwable missing = notFound.read()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .handle((load, failure) -> failure)
                    .get();
            Throwable json = notMetrics
                    .read()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .handle((load, failure) -> failure)
                    .get();

            assertThat(missing)
                    .hasMessageContaining("GET http://127.0.0.1:")
                    .hasMessageEndingWith("/nope: answered 404");
            assertThat(json).hasMessageContaining("/v1/models: served no vllm:num_requests_running");
        }
    }
}
