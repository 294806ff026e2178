package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way a request can leave the data path, each checked for what it took: the admission ticket is
 * released exactly once (every ticket handed out comes back, none twice), nothing is left in flight or
 * queued, and the {@code vgate_in_flight_requests} and {@code vgate_queue_depth} gauges read zero again.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class DataPathExitsTests extends ShapingSuite {

    @Inject
    CircuitBreakerMaintenance breakers;

    @Inject
    GracefulDrain drain;

    private long[] ticketsBefore;

    @Override
    Duration interTokenLatency() {
        return Duration.ofMillis(20);
    }

    @BeforeEach
    void countTickets() {
        breakers.resetAll();
        ticketsBefore = admission.ticketCounts();
    }

    @AfterEach
    void resetBreakersAndDrain() {
        drain.resume();
        breakers.resetAll();
    }

    @Test
    void aCompletedAnswer() {
        var call = traffic.generate("t", null, 5, false);

        assertThat(call.status()).isEqualTo(200);
        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void aCompletedStream() {
        var call = traffic.generate("t", null, 5, true);
        call.body();

        assertThat(call.events().getLast().text()).isEqualTo("data: [DONE]\n\n");
        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void aClientThatLeavesWhileQueued() {
        var holders = holdBothSlots();
        var waiting = traffic.generate("waiting", null, 5, false);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 1);

        waiting.disconnect();
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 0);
        holders.forEach(SseClient.Call::disconnect);

        assertEveryTicketReleasedOnce(SLOTS + 1);
    }

    @Test
    void aClientThatLeavesBeforeTheFirstToken() {
        sim.settings().faults().slowFirstToken(Duration.ofSeconds(30));
        var call = traffic.generate("t", null, 20, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);
        assertThat(call.events()).isEmpty();

        call.disconnect();

        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void aClientThatLeavesMidStream() {
        var call = traffic.generate("t", null, 2000, true);
        await().atMost(Duration.ofSeconds(5)).until(() -> call.events().size() >= 2);

        call.disconnect();

        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void aClientThatLeavesDuringANonStreamingAnswer() {
        var call = traffic.generate("t", null, 2000, false);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);

        call.disconnect();

        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void theFirstTokenTimeout() {
        sim.settings().faults().slowFirstToken(Duration.ofSeconds(30));
        var call = traffic.generate("t", null, 20, true);
        call.body();

        assertThat(errorCode(call.events().getFirst().text())).isEqualTo(ShapingErrors.FIRST_TOKEN_TIMEOUT);
        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void theIdleTimeout() {
        sim.settings().interTokenLatency(Duration.ofSeconds(20));
        var call = traffic.generate("t", null, 20, true);
        call.body();

        List<SseClient.Event> events = call.events();
        assertThat(errorCode(events.get(events.size() - 2).text())).isEqualTo(ShapingErrors.STREAM_IDLE_TIMEOUT);
        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void theNonStreamingTimeout() {
        sim.settings().interTokenLatency(Duration.ofMillis(100));
        var call = traffic.generate("t", null, 200, false);

        assertThat(call.status()).isEqualTo(504);
        assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                .isEqualTo(ShapingErrors.UPSTREAM_TIMEOUT);
        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void anUpstreamFailure() {
        sim.settings().faults().resetAfterEvents(0);
        var call = client.post(chat, Json.chat("hi", false, Map.of("max_tokens", 3)), null);

        assertThat(call.status()).isEqualTo(502);
        assertThat(OpenAiErrorSchema.assertValid(call.body()).get("code").asText())
                .isEqualTo("upstream_error");
        assertEveryTicketReleasedOnce(1);
    }

    @Test
    void aDrainThatEndsRequestsInFlightAndWaiting() {
        var holders = holdBothSlots();
        var waiting = traffic.generate("waiting", null, 5, false);
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.queued() == 1);

        admission.beginDrain();
        int ended = admission.abortInFlight(ShapingErrors.shuttingDown(Admission.SHUTDOWN_RETRY_AFTER));

        assertThat(ended).isEqualTo(SLOTS);
        assertThat(waiting.status()).isEqualTo(503);
        assertThat(OpenAiErrorSchema.assertValid(waiting.body()).get("code").asText())
                .isEqualTo(ShapingErrors.SHUTTING_DOWN);
        for (var holder : holders) {
            holder.body();
            List<SseClient.Event> events = holder.events();
            assertThat(errorCode(events.get(events.size() - 2).text())).isEqualTo(ShapingErrors.SHUTTING_DOWN);
        }
        assertEveryTicketReleasedOnce(SLOTS + 1);
    }

    private List<SseClient.Call> holdBothSlots() {
        var holders = List.of(traffic.generate("h1", null, 2000, true), traffic.generate("h2", null, 2000, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == SLOTS);
        return holders;
    }

    /** {@code tickets} were handed out since the test began; all came back once, and the gauges read zero. */
    private void assertEveryTicketReleasedOnce(int tickets) {
        await().atMost(Duration.ofSeconds(5)).until(() -> admission.inFlight() == 0 && admission.queued() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            long[] now = admission.ticketCounts();
            return now[1] - ticketsBefore[1] == now[0] - ticketsBefore[0];
        });
        long[] now = admission.ticketCounts();
        assertThat(now[0] - ticketsBefore[0]).as("tickets handed out").isEqualTo(tickets);
        assertThat(now[1] - ticketsBefore[1]).as("tickets released").isEqualTo(tickets);
        assertThat(now[2] - ticketsBefore[2]).as("tickets released twice").isZero();
        String metrics = io.vgate.testing.Management.given().get("/q/metrics").asString();
        assertThat(metrics)
                .contains("vgate_in_flight_requests 0.0")
                .contains("vgate_queue_depth{priority=\"interactive\"} 0.0")
                .contains("vgate_queue_depth{priority=\"batch\"} 0.0");
    }

    private static String errorCode(String event) {
        return OpenAiErrorSchema.assertValid(event.substring("data: ".length()).trim())
                .get("code")
                .asText();
    }
}
