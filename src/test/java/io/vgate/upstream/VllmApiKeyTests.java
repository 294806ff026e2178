package io.vgate.upstream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * vLLM started with {@code --api-key} (the simulator with the same key) refuses every inference request
 * that does not carry it, while vgate, which holds the key as {@code vgate.upstream.api-key}, is served:
 * relayed requests and vgate's own calls alike. Clients never learn the key.
 */
@QuarkusTest
@TestProfile(VllmApiKeyTests.Profile.class)
class VllmApiKeyTests {

    private static final String KEY = "vllm-key-" + Long.toHexString(System.nanoTime());

    /** vLLM and vgate share the key, as the manifests do through one Secret. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("vgate.simulator.serving.api-key", KEY, "vgate.upstream.api-key", KEY);
        }
    }

    @Inject
    VllmSimulator sim;

    @Test
    void vllmRefusesARequestWithoutItsKey() {
        var direct = given().baseUri(sim.baseUri().toString())
                .contentType("application/json")
                .body(Json.chat("hi", false, Map.of("max_tokens", 2)))
                .post("/v1/chat/completions");

        assertThat(direct.statusCode()).isEqualTo(401);
        assertThat(direct.asString()).isEqualTo("{\"error\":\"Unauthorized\"}");
        assertThat(given().baseUri(sim.baseUri().toString())
                        .header("Authorization", "Bearer not-" + KEY)
                        .get("/v1/models")
                        .statusCode())
                .as("a wrong key")
                .isEqualTo(401);
    }

    @Test
    void vgateIsServedWithTheKeyItHolds() {
        var relayed = given().contentType("application/json")
                .body(Json.chat("hi", false, Map.of("max_tokens", 2)))
                .post("/v1/chat/completions");

        assertThat(relayed.statusCode()).as(relayed.asString()).isEqualTo(200);
        assertThat(Json.parse(relayed.asString()).path("choices").size()).isEqualTo(1);
        assertThat(given().get("/v1/models").statusCode()).isEqualTo(200);
        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(200);
    }
}
