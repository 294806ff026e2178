package io.vgate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import org.junit.jupiter.api.Test;

/** Buckets in one replica's memory: burst, refill arithmetic, token debts, and separate limits per config. */
class LocalBucketsTests {

    private final LocalBuckets buckets = new LocalBuckets(1000);

    @Test
    void admitsTheBurstThenRefusesWithTheTimeToWait() {
        Limit limit = Limit.perMinute("rpm", 3);

        for (int i = 2; i >= 0; i--) {
            ConsumptionProbe probe = buckets.tryConsume(limit, "key:a", 1).join();
            assertThat(probe.isConsumed()).isTrue();
            assertThat(probe.getRemainingTokens()).isEqualTo(i);
        }
        ConsumptionProbe refused = buckets.tryConsume(limit, "key:a", 1).join();

        assertThat(refused.isConsumed()).isFalse();
        assertThat(refused.getNanosToWaitForRefill()).isBetween(19_000_000_000L, 20_000_000_000L);
        assertThat(buckets.tryConsume(limit, "key:b", 1).join().isConsumed())
                .as("other identities are separate")
                .isTrue();
        assertThat(buckets.tryConsume(Limit.perMinute("rpm", 4), "key:a", 1)
                        .join()
                        .isConsumed())
                .as("a changed limit starts a fresh bucket")
                .isTrue();
    }

    @Test
    void tokenDebtsDelayTheNextRequest() {
        Limit limit = Limit.perMinute("tpm", 100);

        assertThat(buckets.estimate(limit, "key:t", 1).join().canBeConsumed()).isTrue();
        buckets.consumeIgnoringLimits(limit, "key:t", 250);
        EstimationProbe probe = buckets.estimate(limit, "key:t", 1).join();

        assertThat(probe.canBeConsumed()).isFalse();
        // 151 tokens at 100 a minute.
        assertThat(probe.getNanosToWaitForRefill()).isBetween(90_000_000_000L, 91_000_000_000L);
    }

    @Test
    void knowsHowLongABucketTakesToFill() {
        Limit perIp = Limit.perSecond("ip", 10, 20);

        assertThat(perIp.fillNanos()).isEqualTo(2_000_000_000L);
        assertThat(perIp.fillNanos(1)).isEqualTo(100_000_000L);
        assertThat(perIp.bucket("198.51.100.1")).isEqualTo("ip:20/10/1000:198.51.100.1");
    }
}
