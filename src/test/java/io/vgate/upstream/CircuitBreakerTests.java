package io.vgate.upstream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.vgate.shaping.ShapingTestProfile;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The circuit breaker on relayed traffic (profile: 4 requests, half failing, open it for 1 s; one success
 * closes it): vLLM's own errors still reach the client while it counts them; once open, requests are
 * answered {@code 503 circuit_open} at once without reaching vLLM; when vLLM recovers it closes again.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class CircuitBreakerTests {

    @Inject
    VllmSimulator sim;

    @Inject
    CircuitBreakerMaintenance breakers;

    @BeforeEach
    @AfterEach
    void reset() {
        sim.settings().reset();
        breakers.resetAll();
    }

    @Test
    void opensAfterRepeatedServerErrorsAndThenAnswers503AtOnceWithoutReachingVllm() {
        sim.settings().faults().errorRate(1.0).errorStatus(500);
        for (int i = 0; i < 4; i++) {
            Response relayed = chat();
            assertThat(relayed.statusCode())
                    .as("vLLM's own error passes through")
                    .isEqualTo(500);
            assertThat(Json.error(relayed.asString()).get("type").asText()).isEqualTo("InternalServerError");
        }
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.OPEN);
        long received = sim.received();

        long sent = System.nanoTime();
        Response rejected = chat();
        long tookMillis = (System.nanoTime() - sent) / 1_000_000;

        assertThat(rejected.statusCode()).isEqualTo(503);
        assertThat(OpenAiErrorSchema.assertValid(rejected.asString())
                        .get("code")
                        .asText())
                .isEqualTo("circuit_open");
        assertThat(Integer.parseInt(rejected.header("Retry-After"))).isEqualTo(1);
        assertThat(tookMillis).isLessThan(1000);
        assertThat(sim.received()).isEqualTo(received);
    }

    @Test
    void closesAgainOnceVllmAnswersAfterTheDelay() {
        sim.settings().faults().errorRate(1.0).errorStatus(503);
        for (int i = 0; i < 4; i++) {
            assertThat(chat().statusCode()).isEqualTo(503);
        }
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.OPEN);

        sim.settings().faults().errorRate(0);

        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> chat().statusCode() == 200);
        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
    }

    @Test
    void clientErrorsFromVllmDoNotOpenTheBreaker() {
        for (int i = 0; i < 6; i++) {
            Response response = given().contentType("application/json")
                    .body(Json.chat("hi", false, Map.of("model", "no-such-model")))
                    .post("/v1/chat/completions");
            assertThat(response.statusCode()).isEqualTo(404);
        }

        assertThat(breakers.currentState(UpstreamGuard.BREAKER)).isEqualTo(CircuitBreakerState.CLOSED);
    }

    private static Response chat() {
        return given().contentType("application/json")
                .body(Json.chat("hi", false, Map.of("max_tokens", 3)))
                .post("/v1/chat/completions");
    }
}
