package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away must free its slot on the GPU: vgate closes the upstream request at once, so
 * vLLM aborts the generation. Watched through the simulator's running count.
 */
@QuarkusTest
class DisconnectTests {

    private static final Duration ABORT_DEADLINE = Duration.ofSeconds(3);

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    private SseClient client;

    @BeforeEach
    void slowGeneration() {
        // A generation that would run for minutes unless aborted.
        sim.settings().interTokenLatency(Duration.ofMillis(20)).timeToFirstToken(Duration.ZERO);
        client = new SseClient(vertx);
        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
    }

    @AfterEach
    void restore() {
        client.close();
        sim.settings().reset();
    }

    @Test
    void closingAStreamAbortsTheGeneration() {
        long abortedBefore = sim.aborted();
        var call = client.post(
                chat, Json.chat("Go on forever.", true, Map.of("max_tokens", 3000, "ignore_eos", true)), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> call.events().size() >= 3);
        assertThat(sim.running()).isEqualTo(1);

        call.disconnect();

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }

    @Test
    void leavingWhileWaitingForANonStreamingAnswerAbortsTheGeneration() {
        long abortedBefore = sim.aborted();
        var call = client.post(
                chat, Json.chat("Take your time.", false, Map.of("max_tokens", 3000, "ignore_eos", true)), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> sim.running() == 1);

        call.disconnect();

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
        assertThat(call.completion()).isCompletedExceptionally();
    }

    @Test
    void leavingBeforeTheFirstTokenAbortsTheGeneration() {
        sim.settings().faults().slowFirstToken(Duration.ofSeconds(30));
        long abortedBefore = sim.aborted();
        var call = client.post(chat, Json.chat("Think hard first.", true, Map.of("max_tokens", 50)), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> sim.running() == 1);
        assertThat(call.status()).isEqualTo(200);
        assertThat(call.events()).isEmpty();

        call.disconnect();

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }

    @Test
    void otherStreamsKeepFlowingWhenOneClientLeaves() {
        var leaving = client.post(chat, Json.chat("one", true, Map.of("max_tokens", 3000, "ignore_eos", true)), null);
        var staying = client.post(chat, Json.chat("two", true, Map.of("max_tokens", 40, "ignore_eos", true)), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> leaving.events().size() >= 2);

        leaving.disconnect();

        assertThat(staying.body()).endsWith("data: [DONE]\n\n").contains("\"finish_reason\":\"length\"");
        assertThat(staying.events()).hasSizeGreaterThan(40);
    }
}
