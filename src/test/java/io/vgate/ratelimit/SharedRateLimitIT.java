package io.vgate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vgate.security.SecuredFixture;
import io.vgate.testing.Burst;
import io.vgate.testing.PackagedVgate;
import io.vgate.testing.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two vgate replicas, each its own process started from the packaged application, sharing one real
 * {@code redis-server}: together they admit no more than one address's bucket allows (10 at once, then 10
 * per second here), where two unshared replicas would admit twice that. Runs in {@code verify}, after
 * {@code package}. Each replica serves the embedded simulator as its vLLM.
 */
class SharedRateLimitIT {

    private static final Path DIR = Path.of("target", "shared-rate-limit-it").toAbsolutePath();
    private static final int RATE = 10;
    private static final int BURST = 10;
    private static final String KEY = "vgk-it-" + Long.toHexString(System.nanoTime());
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private static RedisServer redis;
    private static final List<PackagedVgate> replicas = new ArrayList<>();
    private static final List<URI> bases = new ArrayList<>();

    @BeforeAll
    static void startRedisAndTwoReplicas() throws IOException {
        Files.createDirectories(DIR);
        Files.writeString(
                DIR.resolve("api-keys.yaml"), "- {id: it, tenant: it, hash: '" + SecuredFixture.hash(KEY) + "'}\n");
        redis = RedisServer.start(DIR.resolve("redis"));
        Map<String, String> env = new HashMap<>(Map.of(
                "VGATE_AUTH_KEYS_FILE",
                DIR.resolve("api-keys.yaml").toString(),
                "VGATE_RATE_LIMIT_STORE",
                "redis",
                // Three JVMs and Redis on a small shared machine: allow slow answers rather than test the fallback.
                "VGATE_RATE_LIMIT_REDIS_TIMEOUT",
                "2s",
                "QUARKUS_REDIS_HOSTS",
                redis.url(),
                "VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND",
                Integer.toString(RATE),
                "VGATE_RATE_LIMIT_PER_IP_BURST",
                Integer.toString(BURST),
                "VGATE_SIMULATOR_ENABLED",
                "true",
                "VGATE_SIMULATOR_PORT",
                "0"));
        for (int i = 0; i < 2; i++) {
            PackagedVgate replica = PackagedVgate.start(env, DIR.resolve("replica-" + i + ".log"));
            replicas.add(replica);
            bases.add(replica.base());
        }
        replicas.forEach(PackagedVgate::awaitReady);
    }

    @AfterAll
    static void stopEverything() {
        replicas.forEach(PackagedVgate::close);
        if (redis != null) {
            redis.stop();
        }
    }

    @Test
    void twoReplicasTogetherAdmitOneAddressOnlyItsLimit() {
        Map<URI, AtomicInteger> admitted = new ConcurrentHashMap<>();
        Map<URI, AtomicInteger> rejected = new ConcurrentHashMap<>();
        AtomicInteger turn = new AtomicInteger();
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(2000);
        Burst.of(8, () -> {
            while (System.nanoTime() < deadline) {
                URI base = bases.get(turn.getAndIncrement() % 2);
                int status = HTTP.send(
                                HttpRequest.newBuilder(base.resolve("/v1/models"))
                                        .header("Authorization", "Bearer " + KEY)
                                        .build(),
                                BodyHandlers.discarding())
                        .statusCode();
                assertThat(status).isIn(200, 429);
                (status == 200 ? admitted : rejected)
                        .computeIfAbsent(base, ignored -> new AtomicInteger())
                        .incrementAndGet();
            }
            return null;
        });
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;

        int total = admitted.values().stream().mapToInt(AtomicInteger::get).sum();
        assertThat(total)
                .as("admitted by both replicas in %.2f s: %s (rejected %s)", elapsedSeconds, admitted, rejected)
                .isLessThanOrEqualTo(BURST + (int) Math.ceil(RATE * elapsedSeconds) + 1)
                .isGreaterThanOrEqualTo((int) (RATE * elapsedSeconds * 0.6));
        assertThat(bases).allSatisfy(base -> {
            assertThat(admitted.get(base)).as("admitted by %s", base).isNotNull();
            assertThat(rejected.get(base)).as("rejected by %s", base).isNotNull();
            String metrics = get(replicas.get(bases.indexOf(base)).management().resolve("/q/metrics"));
            assertThat(metrics)
                    .contains("vgate_rate_limit_redis_up 1.0")
                    .contains("vgate_rate_limit_fallback_total{reason=\"unreachable\"} 0.0")
                    .contains("vgate_rate_limit_fallback_total{reason=\"busy\"} 0.0");
        });
    }

    @Test
    void productionRefusesToStartWithAuthOnAndNoCredentials() throws Exception {
        try (PackagedVgate vgate = PackagedVgate.start(
                Map.of("VGATE_SIMULATOR_ENABLED", "true", "VGATE_SIMULATOR_PORT", "0"),
                DIR.resolve("no-credentials.log"))) {
            assertThat(vgate.process().waitFor(60, TimeUnit.SECONDS))
                    .as("start-up fails")
                    .isTrue();
            assertThat(vgate.process().exitValue()).isNotZero();
            assertThat(vgate.log()).contains("vgate.auth.enabled is true but no credentials are configured");
        }
    }

    private static String get(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString())
                    .body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
