package io.vgate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vgate.security.SecuredFixture;
import io.vgate.testing.Burst;
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
    private static final Path APP =
            Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
    private static final int RATE = 10;
    private static final int BURST = 10;
    private static final String KEY = "vgk-it-" + Long.toHexString(System.nanoTime());
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private static RedisServer redis;
    private static final List<Process> replicas = new ArrayList<>();
    private static final List<URI> bases = new ArrayList<>();

    private static final List<URI> managementBases = new ArrayList<>();

    @BeforeAll
    static void startRedisAndTwoReplicas() throws IOException {
        assertThat(APP).as("run after package").exists();
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
            int port = RedisServer.freePort();
            env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
            env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
            int managementPort = RedisServer.freePort();
            env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
            env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
            replicas.add(launch(env, DIR.resolve("replica-" + i + ".log")));
            bases.add(URI.create("http://127.0.0.1:" + port));
            managementBases.add(URI.create("http://127.0.0.1:" + managementPort));
        }
        for (int i = 0; i < 2; i++) {
            awaitReady(replicas.get(i), managementBases.get(i), DIR.resolve("replica-" + i + ".log"));
        }
    }

    @AfterAll
    static void stopEverything() {
        for (Process replica : replicas) {
            replica.destroy();
        }
        for (Process replica : replicas) {
            try {
                if (!replica.waitFor(15, TimeUnit.SECONDS)) {
                    replica.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
            String metrics = get(managementBases.get(bases.indexOf(base)).resolve("/q/metrics"));
            assertThat(metrics)
                    .contains("vgate_rate_limit_redis_up 1.0")
                    .contains("vgate_rate_limit_fallback_total{reason=\"unreachable\"} 0.0")
                    .contains("vgate_rate_limit_fallback_total{reason=\"busy\"} 0.0");
        });
    }

    @Test
    void productionRefusesToStartWithAuthOnAndNoCredentials() throws Exception {
        Path log = DIR.resolve("no-credentials.log");
        Process process = launch(
                Map.of(
                        "QUARKUS_HTTP_HOST",
                        "127.0.0.1",
                        "QUARKUS_HTTP_PORT",
                        Integer.toString(RedisServer.freePort()),
                        "QUARKUS_MANAGEMENT_PORT",
                        Integer.toString(RedisServer.freePort()),
                        "VGATE_SIMULATOR_ENABLED",
                        "true",
                        "VGATE_SIMULATOR_PORT",
                        "0"),
                log);
        try {
            assertThat(process.waitFor(60, TimeUnit.SECONDS))
                    .as("start-up fails")
                    .isTrue();
            assertThat(process.exitValue()).isNotZero();
            assertThat(Files.readString(log)).contains("vgate.auth.enabled is true but no credentials are configured");
        } finally {
            process.destroyForcibly();
        }
    }

    private static Process launch(Map<String, String> env, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        var builder = new ProcessBuilder(java, "-Xmx256m", "-jar", APP.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    private static void awaitReady(Process replica, URI base, Path log) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!replica.isAlive()) {
                throw new AssertionError("replica exited during start-up:\n" + Files.readString(log));
            }
            try {
                if (HTTP.send(
                                        HttpRequest.newBuilder(base.resolve("/q/health/ready"))
                                                .build(),
                                        BodyHandlers.discarding())
                                .statusCode()
                        == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("replica not ready within 90 s:\n" + Files.readString(log));
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
