package io.vgate.shaping;

import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the suites that drive the admission queue share ({@link ShapingTestProfile}'s two-sequence GPU): the
 * simulator producing tokens at the suite's pace from the first one on, a fresh SSE client per test, and a
 * clean slate after each test (nothing in flight or queued, the simulator idle and back to its settings).
 */
abstract class ShapingSuite {

    static final int SLOTS = ShapingTestProfile.SLOTS;
    static final int QUEUE = ShapingTestProfile.QUEUE;

    @Inject
    VllmSimulator sim;

    @Inject
    Admission admission;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    SseClient client;
    Traffic traffic;

    /** The simulated time between two tokens in this suite: it sets how long a request holds its slot. */
    abstract Duration interTokenLatency();

    @BeforeEach
    void startTraffic() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(interTokenLatency());
        client = new SseClient(vertx);
        traffic = new Traffic(client, chat);
    }

    @AfterEach
    void settle() {
        client.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0 && admission.queued() == 0);
        sim.settings().reset();
        sim.awaitIdle(Duration.ofSeconds(10));
    }
}
