package io.vgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vgate.security.SecuredFixture;
import io.vgate.shaping.PriorityClasses;
import io.vgate.testing.LogCapture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A keys file without a single key is a mistake, never "no callers allowed": the store refuses to start
 * with one, and a reload to one keeps the keys in force, logs an error and counts a failed reload.
 */
class EmptyKeysFileTests {

    private static final String ONE_KEY = "- {id: app, tenant: t, hash: '" + SecuredFixture.hash("sk-one") + "'}\n";

    @TempDir
    Path dir;

    private Vertx vertx;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void stopVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "# keys go here\n", "[]\n"})
    void refusesToStartWithAFileThatHoldsNoKey(String content) throws IOException {
        Path file = Files.writeString(dir.resolve("api-keys.yaml"), content);
        ApiKeyStore store =
                new ApiKeyStore(config(file), new PriorityClasses(List.of("interactive", "batch")), vertx, registry);

        assertThatThrownBy(() -> store.start(null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("vgate.auth.keys-file")
                .hasMessageContaining("holds no keys");
        assertThat(store.size()).isZero();
    }

    @Test
    void keepsItsKeysWhenTheFileIsEmptiedAndCountsTheFailure() throws IOException {
        Path file = Files.writeString(dir.resolve("api-keys.yaml"), ONE_KEY);
        ApiKeyStore store =
                new ApiKeyStore(config(file), new PriorityClasses(List.of("interactive", "batch")), vertx, registry);
        store.start(null);
        try (LogCapture log = LogCapture.start()) {
            Files.writeString(file, "");
            store.reload(file);

            assertThat(store.size()).isEqualTo(1);
            assertThat(store.lookup("sk-one")).isPresent();
            assertThat(failedReloads()).isEqualTo(1.0);
            assertThat(log.lines())
                    .anyMatch(line -> line.startsWith("SEVERE") && line.contains("holds no keys")
                            || line.startsWith("ERROR") && line.contains("holds no keys"));

            store.reload(file);
            assertThat(failedReloads())
                    .as("the same broken content is reported once")
                    .isEqualTo(1.0);
        } finally {
            store.stop(null);
        }
    }

    private double failedReloads() {
        return registry.get("vgate.auth.keys.reloads")
                .tag("result", "failure")
                .counter()
                .count();
    }

    private static AuthConfig config(Path file) {
        return new AuthConfig() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public Optional<Path> keysFile() {
                return Optional.of(file);
            }

            @Override
            public Duration reloadInterval() {
                return Duration.ofHours(1);
            }

            @Override
            public Optional<String> devKey() {
                return Optional.empty();
            }

            @Override
            public Jwt jwt() {
                return new Jwt() {
                    @Override
                    public boolean enabled() {
                        return false;
                    }

                    @Override
                    public String tenantClaim() {
                        return "tenant";
                    }

                    @Override
                    public String priorityClaim() {
                        return "priority";
                    }

                    @Override
                    public String maxConcurrencyClaim() {
                        return "max_concurrency";
                    }

                    @Override
                    public String roleClaim() {
                        return "role";
                    }

                    @Override
                    public String modelsClaim() {
                        return "models";
                    }
                };
            }
        };
    }
}
