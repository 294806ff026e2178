package io.vgate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vgate.testing.LocalRedis;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Redis bucket store on its own, against a real {@code redis-server}: state is shared through Redis,
 * and an outage falls back to local buckets and recovers.
 */
class RedisBucketsTests {

    private static final Path DIR = Path.of("target", "redis-buckets-test").toAbsolutePath();

    @RegisterExtension
    static final LocalRedis redis = LocalRedis.in(DIR);

    @Test
    void replicasShareOneBucket() {
        var registry = new SimpleMeterRegistry();
        RedisBuckets first = store(registry);
        RedisBuckets second = store(registry);
        Limit limit = Limit.perSecond("ip", 1, 5);
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> first.up() && second.up());

            int admitted = 0;
            for (int i = 0; i < 10; i++) {
                RedisBuckets replica = i % 2 == 0 ? first : second;
                ConsumptionProbe probe = replica.tryConsume(limit, "client-a", 1)
                        .orTimeout(5, TimeUnit.SECONDS)
                        .join();
                admitted += probe.isConsumed() ? 1 : 0;
            }

            assertThat(admitted).isBetween(5, 6);
            assertThat(redis.server().command("KEYS", "vgate:rl:*")).contains("client-a");
        } finally {
            first.stop();
            second.stop();
        }
    }

    private static RedisBuckets store(SimpleMeterRegistry registry) {
        var config = new RateLimitConfig.Redis() {
            @Override
            public String keyPrefix() {
                return "vgate:rl:";
            }

            @Override
            public Duration timeout() {
                return Duration.ofMillis(250);
            }

            @Override
            public Duration probeInterval() {
                return Duration.ofMillis(100);
            }
        };
        var store = new RedisBuckets(redis.client(), redis.vertx(), config, new LocalBuckets(1000), registry);
        store.start();
        return store;
    }
}
