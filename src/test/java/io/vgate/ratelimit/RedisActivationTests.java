package io.vgate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.arc.ActiveResult;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.redis.client.Redis;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Redis client exists only when a store uses it: {@code quarkus.redis.active} as {@link RedisActivation} derives
 * it on a real SmallRye Config, and the running test application, whose stores are local, has no Redis client. The
 * secured suites ({@link RateLimitTests}, {@link RedisOutageTests}) run with the Redis store and its client.
 */
@QuarkusTest
class RedisActivationTests {

    private static final int ENV_ORDINAL = 300;

    @Inject
    InjectableInstance<Redis> redis;

    @Test
    void localStoresBuildNoRedisClient() {
        ActiveResult active = redis.getHandle().getBean().checkActive();

        assertThat(active.value()).isFalse();
        assertThat(active.inactiveReason()).contains(RedisActivation.ACTIVE);
        assertThat(redis.listActive()).isEmpty();
    }

    @Test
    void inactiveByDefault() {
        assertThat(active(Map.of())).isFalse();
        assertThat(active(Map.of(RedisActivation.RATE_LIMIT_STORE, "local", RedisActivation.RESPONSES_STORE, "local")))
                .isFalse();
    }

    @Test
    void activeWhenAStoreIsRedis() {
        assertThat(active(Map.of(RedisActivation.RATE_LIMIT_STORE, "redis"))).isTrue();
        assertThat(active(Map.of(RedisActivation.RESPONSES_STORE, "REDIS"))).isTrue();
    }

    @Test
    void aRedisRateLimitStoreWithRateLimitingOffNeedsNoClient() {
        assertThat(active(
                        Map.of(RedisActivation.RATE_LIMIT_STORE, "redis", RedisActivation.RATE_LIMIT_ENABLED, "false")))
                .isFalse();
        assertThat(active(Map.of(
                        RedisActivation.RATE_LIMIT_STORE, "redis",
                        RedisActivation.RATE_LIMIT_ENABLED, "false",
                        RedisActivation.RESPONSES_STORE, "redis")))
                .isTrue();
    }

    @Test
    void anExplicitChoiceWins() {
        assertThat(active(Map.of(RedisActivation.ACTIVE, "true"))).isTrue();
        assertThat(active(Map.of(RedisActivation.ACTIVE, "false", RedisActivation.RATE_LIMIT_STORE, "redis")))
                .isFalse();
    }

    @Test
    void readsEnvironmentStyleNames() {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withInterceptors(new RedisActivation())
                .withDefaultValue(RedisActivation.ACTIVE, "true")
                .withSources(new EnvConfigSource(Map.of("VGATE_RESPONSES_STORE", "redis"), ENV_ORDINAL))
                .build();

        assertThat(config.getValue(RedisActivation.ACTIVE, Boolean.class)).isTrue();
    }

    private static boolean active(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withInterceptors(new RedisActivation())
                // Quarkus registers the mapping's own default (true), which must not count as a choice.
                .withDefaultValue(RedisActivation.ACTIVE, "true")
                .withSources(new PropertiesConfigSource(new HashMap<>(properties), "test", ENV_ORDINAL))
                .build();
        return config.getValue(RedisActivation.ACTIVE, Boolean.class);
    }
}
