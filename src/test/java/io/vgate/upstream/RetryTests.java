package io.vgate.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.vertx.core.Vertx;
import io.vgate.shaping.ShapingTestProfile;
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
 * Retries happen only while nothing has been answered: a request whose connection vLLM closed before
 * sending a byte is sent again (twice, in the test profile); once vLLM's response head has arrived,
 * whatever happens next is never retried.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class RetryTests {

    /** Longer than every retry the test profile allows: two retries, delays of 20 ms doubling, jitter 10 ms. */
    private static final Duration RETRY_WINDOW = Duration.ofSeconds(1);

    @Inject
    VllmSimulator sim;

    @Inject
    CircuitBreakerMaintenance breakers;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    private SseClient client;

    @BeforeEach
    void setUp() {
        client = new SseClient(vertx);
        breakers.resetAll();
    }

    @AfterEach
    void tearDown() {
        client.close();
        sim.settings().reset();
        breakers.resetAll();
        sim.awaitIdle(Duration.ofSeconds(5));
    }

    @Test
    void aRequestWhoseConnectionClosedBeforeAnyByteIsSentAgainWithinItsBudget() {
        // Non-streaming requests get no response at all: the connection closes before any byte.
        sim.settings().faults().resetAfterEvents(0);
        long received = sim.received();

        var call = client.post(chat, Json.chat("hi", false, Map.of("max_tokens", 3)), null);

        assertThat(call.status()).isEqualTo(502);
        assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                .isEqualTo("upstream_error");
        // The first attempt and both retries, and nothing more during the whole retry window.
        await().during(RETRY_WINDOW).atMost(RETRY_WINDOW.plusSeconds(2)).until(() -> sim.received() == received + 3);
    }

    @Test
    void aStreamThatBreaksAfterItsFirstEventsIsNeverSentAgain() {
        sim.settings().faults().resetAfterEvents(2);
        long received = sim.received();

        var call = client.post(chat, Json.chat("Break.", true, Map.of("max_tokens", 50, "ignore_eos", true)), null);
        call.body();

        List<String> events = call.events().stream().map(SseClient.Event::text).toList();
        assertThat(events).hasSize(2 + 2);
        assertThat(events.get(2)).contains("upstream_reset");
        assertThat(events.getLast()).isEqualTo("data: [DONE]\n\n");
        await().during(RETRY_WINDOW).atMost(RETRY_WINDOW.plusSeconds(2)).until(() -> sim.received() == received + 1);
    }
}
