package io.vgate.sim;

import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the suites that talk to the embedded simulator directly share: a client for its base URI, and after
 * each test the simulator back to its configured settings (faults and latencies first, so that anything a
 * test left running finishes) with no request left running.
 */
abstract class SimSuite {

    @Inject
    VllmSimulator sim;

    SimClient client;

    @BeforeEach
    void openClient() {
        client = new SimClient(sim.baseUri());
    }

    @AfterEach
    void restoreSimulator() {
        sim.settings().reset();
        sim.awaitIdle(Duration.ofSeconds(10));
    }
}
