package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
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
import org.junit.jupiter.api.Test;

/**
 * What clients see when vLLM is not there, breaks a stream, or answers with an error.
 */
@QuarkusTest
class UpstreamFailureTests {

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    @AfterEach
    void restore() {
        sim.settings().reset();
        await().atMost(Duration.ofSeconds(5))
                .until(() -> io.vgate.testing.Management.given()
                                .get("/q/health/ready")
                                .statusCode()
                        == 200);
    }

    @Test
    void answers503WithRetryAfterWhileVllmRefusesConnections() {
        sim.settings().faults().refuseConnections(true);

        var response = given().contentType("application/json")
                .body(Json.chat("hi", false, Map.of()))
                .post("/v1/chat/completions");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Integer.parseInt(response.header("Retry-After"))).isPositive();
        assertThat(OpenAiErrorSchema.assertValid(response.asString())
                        .get("code")
                        .asText())
                .isEqualTo("upstream_unavailable");
    }

    @Test
    void isNotReadyWhileVllmIsUnreachableAndReadyAgainAfter() {
        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(200);
        io.vgate.testing.Management.given().get("/q/health/live").then().statusCode(200);

        sim.settings().faults().refuseConnections(true);

        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(503);
        io.vgate.testing.Management.given().get("/q/health/live").then().statusCode(200);

        sim.settings().faults().refuseConnections(false);

        await().atMost(Duration.ofSeconds(5))
                .until(() -> io.vgate.testing.Management.given()
                                .get("/q/health/ready")
                                .statusCode()
                        == 200);
    }

    @Test
    void endsAStreamVllmBrokeWithOneErrorEventAndDone() {
        sim.settings().faults().resetAfterEvents(3);

        try (var client = new SseClient(vertx)) {
            var call = client.post(
                    chat, Json.chat("Break here.", true, Map.of("max_tokens", 50, "ignore_eos", true)), null);
            call.body();
            List<String> events =
                    call.events().stream().map(SseClient.Event::text).toList();

            assertThat(call.status()).isEqualTo(200);
            assertThat(events).hasSize(3 + 2);
            assertThat(events.getLast()).isEqualTo("data: [DONE]\n\n");
            String error = events.get(events.size() - 2);
            assertThat(error).startsWith("data: {\"error\"");
            JsonNode body = OpenAiErrorSchema.assertValid(
                    error.substring("data: ".length()).trim());
            assertThat(body.get("code").asText()).isEqualTo("upstream_reset");
        }
    }

    @Test
    void passesVllmServerErrorsThroughWithTheirStatus() {
        sim.settings().faults().errorRate(1.0).errorStatus(500);

        var relayed = given().contentType("application/json")
                .body(Json.chat("hi", false, Map.of()))
                .post("/v1/chat/completions");

        assertThat(relayed.statusCode()).isEqualTo(500);
        JsonNode error = Json.parse(relayed.asString()).get("error");
        assertThat(error.get("code").asInt()).isEqualTo(500);
        assertThat(error.get("type").asText()).isEqualTo("InternalServerError");
    }
}
