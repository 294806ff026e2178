package io.vgate.health;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.vgate.shaping.ContextFitter;
import io.vgate.shaping.ModelCatalog;
import io.vgate.shaping.ShapingTestProfile;
import io.vgate.sim.SimTokenizer;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Readiness follows vLLM: DOWN while it refuses connections (loading a model, restarting), with liveness
 * UP; when vLLM comes back, vgate reads its model list again, because a restarted vLLM may serve another
 * context length.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class ReadinessTests {

    @Inject
    VllmSimulator sim;

    @Inject
    ModelCatalog catalog;

    @Inject
    CircuitBreakerMaintenance breakers;

    @AfterEach
    void restore() {
        sim.settings().reset();
        breakers.resetAll();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> io.vgate.testing.Management.given()
                                .get("/q/health/ready")
                                .statusCode()
                        == 200);
        catalog.reload().await().indefinitely();
    }

    @Test
    void afterVllmRestartsWithAShorterContextTheNewLengthIsUsed() {
        String user = "Tell me about the weather today.";
        Response before = chat(user, 500);
        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(before.header(ContextFitter.CONTEXT_HEADER)).isNull();

        sim.settings().faults().refuseConnections(true);
        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(503);
        io.vgate.testing.Management.given().get("/q/health/live").then().statusCode(200);
        int prompt = sim.tokenizer()
                .count(sim.tokenizer().renderChat(List.of(new SimTokenizer.Message("user", user)), true, false));
        sim.settings().maxModelLen(prompt + 100);
        sim.settings().faults().refuseConnections(false);
        await().atMost(Duration.ofSeconds(5))
                .until(() -> io.vgate.testing.Management.given()
                                .get("/q/health/ready")
                                .statusCode()
                        == 200);

        Response after = chat(user, 500);

        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(after.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("100");
    }

    private static Response chat(String user, int maxTokens) {
        return given().contentType("application/json")
                .body(Json.chat(user, false, Map.of("max_tokens", maxTokens)))
                .post("/v1/chat/completions");
    }
}
