package io.vgate.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vgate.sim.VllmSimulator;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * vgate's own calls to vLLM take their retries and circuit breakers from {@code vgate.upstream.control.*}
 * (profile: one retry, a breaker over 3 calls), each call with its own breaker, apart from the relay's.
 */
@QuarkusTest
@TestProfile(ControlCallsTests.Profile.class)
class ControlCallsTests {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** Settings that differ from every default, so that a test passing proves they were read. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "vgate.upstream.control.max-retries", "1",
                    "vgate.upstream.control.retry-delay", "10ms",
                    "vgate.upstream.control.retry-jitter", "0ms",
                    "vgate.upstream.control.breaker-request-volume-threshold", "3",
                    "vgate.upstream.control.breaker-delay", "30s");
        }
    }

    @Inject
    VllmClient vllm;

    @Inject
    VllmSimulator sim;

    @Inject
    CircuitBreakerMaintenance breakers;

    @Inject
    MeterRegistry registry;

    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    @AfterEach
    void reset() {
        sim.settings().reset();
        breakers.resetAll();
    }

    @Test
    void tokenCountsAreRetriedAsConfiguredAndOpenTheirOwnBreakerAfterTheConfiguredNumberOfAttempts() throws Exception {
        sim.settings().faults().refuseConnections(true);
        double retriesBefore = retries("vLLM token count");

        assertThatThrownBy(() -> vllm.tokenize(prompt("hello")).await().atMost(WAIT))
                .isNotInstanceOf(CircuitBreakerOpenException.class);
        assertThat(retries("vLLM token count") - retriesBefore)
                .as("one retry after the first attempt")
                .isEqualTo(1.0);
        assertThat(breakers.currentState(VllmClient.TOKENIZE_BREAKER))
                .as("two failed attempts of the three the breaker looks at")
                .isEqualTo(CircuitBreakerState.CLOSED);

        // Each attempt counts: the third failure opens the breaker, which then refuses the retry itself.
        assertThatThrownBy(() -> vllm.tokenize(prompt("hello")).await().atMost(WAIT))
                .isInstanceOf(CircuitBreakerOpenException.class);
        assertThat(breakers.currentState(VllmClient.TOKENIZE_BREAKER)).isEqualTo(CircuitBreakerState.OPEN);
        assertThat(breakers.currentState(VllmClient.MODELS_BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
    }

    @Test
    void aTokenCountVllmRefusesAsInvalidIsNeitherRetriedNorCountedAgainstVllm() throws Exception {
        double retriesBefore = retries("vLLM token count");
        JsonNode invalid = json.readTree("{\"model\":\"no-such-model\",\"prompt\":\"hello\"}");

        for (int call = 0; call < 4; call++) {
            assertThatThrownBy(() -> vllm.tokenize(invalid).await().atMost(WAIT))
                    .isInstanceOf(VllmClient.ClientErrorStatus.class);
        }

        assertThat(retries("vLLM token count")).isEqualTo(retriesBefore);
        assertThat(breakers.currentState(VllmClient.TOKENIZE_BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
        assertThat(vllm.tokenize(prompt("hello"))
                        .await()
                        .atMost(WAIT)
                        .get("count")
                        .asInt())
                .isPositive();
    }

    private JsonNode prompt(String text) throws Exception {
        return json.readTree("{\"prompt\":\"" + text + "\"}");
    }

    private double retries(String description) {
        return registry.find("ft.retry.retries.total").tag("method", description).counters().stream()
                .mapToDouble(counter -> counter.count())
                .sum();
    }
}
