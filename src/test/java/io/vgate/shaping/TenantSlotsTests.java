package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import io.vgate.api.ApiError;
import io.vgate.api.ApiErrors;
import io.vgate.testing.OpenAiErrorSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Per-tenant concurrency caps: counting, refusing at the cap, forgetting idle tenants, the retry hint. */
class TenantSlotsTests {

    private final TenantSlots slots = new TenantSlots();

    @Test
    void aTenantGetsUpToItsCapAndNoMore() {
        assertThat(slots.tryAcquire("a", 2)).isTrue();
        assertThat(slots.tryAcquire("a", 2)).isTrue();
        assertThat(slots.tryAcquire("a", 2)).isFalse();
        assertThat(slots.held("a")).isEqualTo(2);
    }

    @Test
    void anotherTenantIsNotAffectedByOneAtItsCap() {
        slots.tryAcquire("a", 1);

        assertThat(slots.tryAcquire("a", 1)).isFalse();
        assertThat(slots.tryAcquire("b", 1)).isTrue();
    }

    @Test
    void aReleasedSlotCanBeTakenAgain() {
        slots.tryAcquire("a", 1);
        slots.release("a");

        assertThat(slots.tryAcquire("a", 1)).isTrue();
    }

    @Test
    void withoutACapNothingIsCountedOrRefused() {
        for (int i = 0; i < 1000; i++) {
            assertThat(slots.tryAcquire("a", 0)).isTrue();
        }
        assertThat(slots.held("a")).isZero();
        assertThat(slots.tenants()).isZero();
    }

    @Test
    void tenantsHoldingNothingAreForgotten() {
        slots.tryAcquire("a", 3);
        slots.tryAcquire("b", 3);
        slots.release("a");
        slots.release("b");
        slots.release("c");

        assertThat(slots.tenants()).isZero();
    }

    @Test
    void aCapHoldsUnderConcurrentCallers() throws InterruptedException {
        int threads = 8;
        AtomicInteger granted = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    if (slots.tryAcquire("a", 5)) {
                        granted.incrementAndGet();
                        assertThat(slots.held("a")).isLessThanOrEqualTo(5);
                        slots.release("a");
                    }
                }
            });
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }

        assertThat(granted.get()).isPositive();
        assertThat(slots.held("a")).isZero();
    }

    @Test
    void theRetryHintIsWhenOneOfTheTenantsRequestsShouldFinish() {
        // 40 requests on vLLM finishing 20 a second; the tenant holds 4 of them: one ends in about 0.5 s → 1 s.
        assertThat(TenantSlots.retryAfter(4, 40, 20)).isEqualTo(Duration.ofSeconds(1));
        // It holds 2 of 100 finishing 5 a second: about 10 s.
        assertThat(TenantSlots.retryAfter(2, 100, 5)).isEqualTo(Duration.ofSeconds(10));
        // Nothing finished lately: the longest hint.
        assertThat(TenantSlots.retryAfter(2, 100, 0)).isEqualTo(Duration.ofSeconds(60));
        assertThat(TenantSlots.retryAfter(1, 10_000, 0.001)).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aTenantAtItsCapIsAnsweredWithAnOpenAiRateLimitError() {
        ApiError error = ShapingErrors.concurrencyLimitExceeded(4, TenantSlots.retryAfter(4, 40, 20));

        assertThat(error.status()).isEqualTo(429);
        assertThat(error.retryAfterSeconds()).isEqualTo(1);
        var body = OpenAiErrorSchema.assertValid(ApiErrors.toJson(error).toString());
        assertThat(body.get("type").asText()).isEqualTo("rate_limit_error");
        assertThat(body.get("code").asText()).isEqualTo("concurrency_limit_exceeded");
        assertThat(body.get("message").asText()).contains("4 requests");
    }
}
