package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request bodies held at once are bounded ({@code vgate.api.max-held-bodies}, 1M here): while a large body's
 * answer is streaming, another large body is refused unread with 503 and {@code Retry-After}, and once the first
 * answer ends its bytes are free again.
 */
@QuarkusTest
@TestProfile(HeldBodiesTests.SmallBudget.class)
class HeldBodiesTests {

    /** A budget of 1 MiB of bodies. */
    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("vgate.api.max-held-bodies", "1M");
        }
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/v1/chat/completions")
    URI chat;

    private SseClient client;

    @BeforeEach
    void slowGeneration() {
        sim.settings().interTokenLatency(Duration.ofMillis(20)).timeToFirstToken(Duration.ZERO);
        client = new SseClient(vertx);
    }

    @AfterEach
    void restore() {
        client.close();
        sim.settings().reset();
    }

    /** A chat request of about {@code bytes} bytes, the bulk in the {@code user} field that vLLM ignores. */
    private static String body(int bytes, boolean stream, int maxTokens) {
        return Json.chat(
                "Hello.", stream, Map.of("max_tokens", maxTokens, "ignore_eos", true, "user", "u".repeat(bytes)));
    }

    private HttpResponse<String> post(String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(chat)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void refusesALargeBodyUnreadWhileAnotherIsHeldThenServesItOnceThatAnswerEnds() throws Exception {
        var held = client.post(chat, body(700_000, true, 3000), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> held.events().size() >= 2);

        HttpResponse<String> refused = post(body(700_000, false, 4));

        assertThat(refused.statusCode()).isEqualTo(503);
        JsonNode error = OpenAiErrorSchema.assertValid(refused.body());
        assertThat(error.get("code").asText()).isEqualTo("request_bodies_full");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(post(body(1_000, false, 4)).statusCode())
                .as("a small body still fits beside the held one")
                .isEqualTo(200);

        client.close(); // the held answer ends: its bytes are given back
        await().atMost(Duration.ofSeconds(10)).until(() -> sim.running() == 0);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() ->
                        assertThat(post(body(700_000, false, 4)).statusCode()).isEqualTo(200));
        assertThat(post(body(700_000, false, 4)).statusCode())
                .as("every answer gave its bytes back once")
                .isEqualTo(200);
    }

    /** The same request sent chunked: no Content-Length, so vgate learns its size only by reading it. */
    private HttpRequest chunked(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(chat)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build();
    }

    @Test
    void countsAChunkedBodyOnceItIsReadWhileItsAnswerLasts() throws Exception {
        // 500 tokens at 20 ms: the answer lasts 10 s, far longer than the two requests made meanwhile.
        var held = HTTP.sendAsync(chunked(body(700_000, true, 500)), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> sim.running() == 1);

        HttpResponse<String> refused = post(body(700_000, false, 4));
        assertThat(refused.statusCode())
                .as("the held chunked body counts against the budget")
                .isEqualTo(503);
        HttpResponse<String> chunkedRefused =
                HTTP.send(chunked(body(700_000, false, 4)), HttpResponse.BodyHandlers.ofString());
        assertThat(chunkedRefused.statusCode())
                .as("a chunked body that does not fit is refused once read")
                .isEqualTo(503);
        assertThat(OpenAiErrorSchema.assertValid(chunkedRefused.body())
                        .get("code")
                        .asText())
                .isEqualTo("request_bodies_full");
        assertThat(chunkedRefused.headers().firstValue("Retry-After")).hasValue("1");

        assertThat(held.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                HTTP.send(chunked(body(700_000, false, 4)), HttpResponse.BodyHandlers.ofString())
                                        .statusCode())
                        .as("the held body's bytes were given back when its answer ended")
                        .isEqualTo(200));
    }

    @Test
    void letsOneBodyLargerThanTheBudgetThroughWhenNoneIsHeld() throws Exception {
        HttpResponse<String> answered = post(body(1_500_000, false, 4));

        assertThat(answered.statusCode()).isEqualTo(200);
        assertThat(Json.parse(answered.body()).get("choices")).hasSize(1);
    }
}
