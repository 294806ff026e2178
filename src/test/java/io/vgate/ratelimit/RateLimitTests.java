package io.vgate.ratelimit;

import static io.vgate.security.SecuredFixture.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.security.SecuredFixture;
import io.vgate.security.SecuredProfile;
import io.vgate.testing.Burst;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.RawHttp;
import io.vgate.testing.RecordingObserver;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Limits per client address (a token bucket of 20, refilled at 10 per second) and per API key (requests
 * and tokens per minute), kept in Redis, with the client address taken from {@code X-Forwarded-For} only
 * when the peer is a trusted proxy.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class RateLimitTests {

    private static final int BURST = 20;
    private static final int RATE = 10;
    /** Bursts go through the JDK client: RestAssured is too slow to send many requests at once. */
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Inject
    RecordingObserver observer;

    @TestHTTPResource("/")
    URI root;

    @Test
    void admitsAnAddressItsBurstThenTellsWhenToComeBack() {
        String address = SecuredFixture.freshAddress();
        HttpRequest request = HttpRequest.newBuilder(root.resolve("/v1/models"))
                .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .header("X-Forwarded-For", address)
                .build();
        long start = System.nanoTime();
        // Bursts until one is refused: on a loaded machine one burst can take long enough for the bucket to
        // refill, which the bound below allows for, so only the count admitted is held to the limit.
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int round = 0; round < 5 && responses.stream().noneMatch(r -> r.statusCode() == 429); round++) {
            responses.addAll(Burst.of(2 * BURST, () -> HTTP.send(request, BodyHandlers.ofString())));
        }
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;

        long admitted = responses.stream()
                .filter(response -> response.statusCode() == 200)
                .count();
        assertThat(admitted)
                .as("at most the burst plus what refilled in %.2f s", elapsedSeconds)
                .isBetween((long) BURST, BURST + (long) Math.ceil(RATE * elapsedSeconds));
        HttpResponse<String> rejected = responses.stream()
                .filter(response -> response.statusCode() == 429)
                .findFirst()
                .orElseThrow();
        JsonNode error = OpenAiErrorSchema.assertValid(rejected.body());
        assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(rejected.headers().firstValue("RateLimit-Limit")).hasValue("20");
        assertThat(rejected.headers().firstValue("RateLimit-Remaining")).hasValue("0");
        assertThat(rejected.headers().firstValueAsLong("RateLimit-Reset").orElseThrow())
                .isBetween(1L, 2L);

        await().atMost(Duration.ofSeconds(3))
                .untilAsserted(() -> SecuredFixture.from(address)
                        .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                        .get("/v1/models")
                        .then()
                        .statusCode(200));
    }

    @Test
    void sendsRateLimitHeadersOnEveryResponse() {
        String address = SecuredFixture.freshAddress();
        Response stream = SecuredFixture.from(address)
                .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .contentType("application/json")
                .body(Json.chat("hi", true, Map.of("max_tokens", 2)))
                .post("/v1/chat/completions");
        Response unauthorized = SecuredFixture.from(address).get("/v1/models");
        Response badJson = SecuredFixture.from(address)
                .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .contentType("application/json")
                .body("{")
                .post("/v1/completions");

        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        assertThat(List.of(stream, unauthorized, badJson)).allSatisfy(response -> {
            assertThat(response.header("RateLimit-Limit")).isEqualTo("20");
            assertThat(Long.parseLong(response.header("RateLimit-Remaining"))).isBetween(16L, 19L);
            assertThat(Long.parseLong(response.header("RateLimit-Reset"))).isBetween(0L, 1L);
        });
    }

    @Test
    void believesForwardedForOnlyAsFarAsTheTrustedProxies() {
        String client = SecuredFixture.freshAddress();

        assertThat(clientIpSeenFor("203.0.113.66, " + client)).isEqualTo(client);
        assertThat(clientIpSeenFor(client + ", 127.0.0.1"))
                .as("trusted hops are skipped")
                .isEqualTo(client);
        assertThat(clientIpSeenFor("not-an-address"))
                .as("garbage never becomes an identity")
                .isEqualTo("127.0.0.1");
    }

    @Test
    void ignoresForwardedForFromAnUntrustedPeer() {
        // 127.0.0.2 is not a trusted proxy: whatever X-Forwarded-For it sends, it stays 127.0.0.2, one bucket.
        int port = root.getPort();
        List<String> requestIds = new ArrayList<>();
        List<RawHttp.Response> responses = Burst.of(2 * BURST, () -> {
            String requestId = "spoof-" + UUID.randomUUID();
            synchronized (requestIds) {
                requestIds.add(requestId);
            }
            return RawHttp.exchange(
                    port,
                    "127.0.0.2",
                    RawHttp.request(
                            "GET",
                            "/v1/models",
                            List.of(
                                    "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY,
                                    "X-Request-Id: " + requestId,
                                    "X-Forwarded-For: " + SecuredFixture.freshAddress()),
                            null));
        });

        assertThat(responses).extracting(RawHttp.Response::status).contains(200, 429);
        String requestId = requestIds.getLast();
        RecordingObserver.Facts facts =
                await().atMost(Duration.ofSeconds(5)).until(() -> observer.get(requestId), found -> found != null);
        assertThat(facts.clientIp()).isEqualTo("127.0.0.2");
    }

    @Test
    void limitsRequestsPerKey() {
        List<Response> responses = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            responses.add(as(SecuredFixture.RPM_KEY).get("/v1/models"));
        }

        assertThat(responses).extracting(Response::statusCode).containsExactly(200, 200, 200, 429);
        assertThat(responses)
                .extracting(response -> response.header("RateLimit-Remaining"))
                .containsExactly("2", "1", "0", "0");
        assertThat(responses)
                .allSatisfy(response ->
                        assertThat(response.header("RateLimit-Limit")).isEqualTo("3"));
        Response rejected = responses.get(3);
        assertThat(OpenAiErrorSchema.assertValid(rejected.asString())
                        .get("code")
                        .asText())
                .isEqualTo("rate_limit_exceeded");
        assertThat(Long.parseLong(rejected.header("Retry-After"))).isBetween(15L, 20L);
    }

    @Test
    void chargesTokensFromUsageAndStopsTheNextRequest() {
        String longPrompt = "Please summarise the following words for me. ".repeat(4);
        as(SecuredFixture.TPM_KEY)
                .contentType("application/json")
                .body(Json.chat(longPrompt, false, Map.of("max_tokens", 4)))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        assertTokenLimitReached(SecuredFixture.TPM_KEY);
    }

    @Test
    void countsTheTokensOfStreamsToo() {
        String longPrompt = "Stream a short answer about token buckets, please. ".repeat(4);
        String body = as(SecuredFixture.TPM_STREAM_KEY)
                .contentType("application/json")
                .body(Json.chat(longPrompt, true, Map.of("max_tokens", 4)))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        assertThat(body).as("the usage chunk vgate asked for is not forwarded").doesNotContain("\"usage\"");

        assertTokenLimitReached(SecuredFixture.TPM_STREAM_KEY);
    }

    private static void assertTokenLimitReached(String key) {
        // The very next request: the tokens are charged before the client has the end of its answer.
        Response rejected = as(key).contentType("application/json")
                .body(Json.chat("again", false, Map.of("max_tokens", 2)))
                .post("/v1/chat/completions");
        assertThat(rejected.statusCode()).isEqualTo(429);
        JsonNode error = OpenAiErrorSchema.assertValid(rejected.asString());
        assertThat(error.get("code").asText()).isEqualTo("tokens_per_minute_exceeded");
        assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
        // Tokens come back at 20 a minute; the debt of one request takes a while to repay.
        assertThat(Long.parseLong(rejected.header("Retry-After"))).isBetween(1L, 600L);
        assertThat(rejected.header("RateLimit-Limit")).isEqualTo("20");
        assertThat(rejected.header("RateLimit-Remaining")).isEqualTo("0");
    }

    private String clientIpSeenFor(String forwardedFor) {
        String requestId = "xff-" + UUID.randomUUID();
        SecuredFixture.from(SecuredFixture.freshAddress())
                .header("X-Forwarded-For", forwardedFor)
                .header("X-Request-Id", requestId)
                .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .get("/v1/models")
                .then()
                .statusCode(200);
        return await().atMost(Duration.ofSeconds(5))
                .until(() -> observer.get(requestId), found -> found != null)
                .clientIp();
    }
}
