package io.vgate.ratelimit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.security.SecuredFixture;
import io.vgate.security.SecuredProfile;
import io.vgate.testing.Burst;
import io.vgate.testing.LogCapture;
import io.vgate.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Redis goes away and comes back: vgate keeps serving and keeps limiting (per replica) while it is gone,
 * says so once in the log and in {@code vgate_rate_limit_redis_up}, and shares buckets again once Redis
 * answers.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class RedisOutageTests {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String UNREACHABLE = "Redis is unreachable";
    private static final String BACK = "Redis answers again";

    @TestHTTPResource("/v1/models")
    URI models;

    private final RedisServer redis = RedisServer.attach(SecuredFixture.REDIS_DIR);

    @AfterEach
    void redisRunsAgain() {
        if (!redis.answers()) {
            redis.restart();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("vgate_rate_limit_redis_up") == 1.0);
    }

    @Test
    void fallsBackToLocalLimitsWhileRedisIsDownAndSharesAgainWhenItReturns() {
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("vgate_rate_limit_redis_up") == 1.0);
        double fallbacksBefore = metric("vgate_rate_limit_fallback_total{reason=\"unreachable\"}");

        try (LogCapture log = LogCapture.start()) {
            redis.stop();

            await().atMost(Duration.ofSeconds(10)).until(() -> metric("vgate_rate_limit_redis_up") == 0.0);
            String address = SecuredFixture.freshAddress();
            List<Integer> statuses = Burst.of(
                    40,
                    () -> HTTP.send(request(address), BodyHandlers.discarding()).statusCode());
            assertThat(statuses).as("still serving, still limiting").contains(200, 429);
            assertThat(metric("vgate_rate_limit_fallback_total{reason=\"unreachable\"}"))
                    .isGreaterThanOrEqualTo(fallbacksBefore + 40);
            assertThat(log.count(UNREACHABLE))
                    .as("one line per outage, not one per request")
                    .isEqualTo(1);
            assertThat(log.lines())
                    .filteredOn(line -> line.contains(UNREACHABLE))
                    .allMatch(line -> line.startsWith("WARN"));

            redis.restart();

            await().atMost(Duration.ofSeconds(10)).until(() -> metric("vgate_rate_limit_redis_up") == 1.0);
            assertThat(log.count(BACK)).isEqualTo(1);
            String later = SecuredFixture.freshAddress();
            given().header("X-Forwarded-For", later)
                    .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                    .get("/v1/models")
                    .then()
                    .statusCode(200);
            assertThat(redis.command("KEYS", "vgate:rl:ip:*"))
                    .as("buckets are in Redis again")
                    .contains(later);
            assertThat(log.count(UNREACHABLE)).isEqualTo(1);
        }
    }

    private HttpRequest request(String address) {
        return HttpRequest.newBuilder(models)
                .header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .header("X-Forwarded-For", address)
                .build();
    }

    private static double metric(String series) {
        return io.vgate.testing.Management.given()
                .get("/q/metrics")
                .asString()
                .lines()
                .filter(line -> line.startsWith(series + " ") || line.startsWith(series + "{") && !series.contains("{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
