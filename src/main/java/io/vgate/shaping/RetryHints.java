package io.vgate.shaping;

import java.time.Duration;
import java.util.Map;

/**
 * The {@code Retry-After} admission tells a request it turns away, from how fast vLLM has been finishing
 * requests lately ({@link DrainRate}): never the in-flight limit, which the adaptive controller moves, so the
 * hint stays right whatever the limit is. Between 1 and 60 seconds. Not thread-safe: {@link Admission}
 * serialises access.
 */
final class RetryHints {

    private static final long MIN_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long MAX_NANOS = Duration.ofSeconds(60).toNanos();

    private final long[] maxQueueWaitNanos;
    private final DrainRate drainRate;

    RetryHints(ShapingConfig config, PriorityClasses classes, long nowNanos) {
        this.maxQueueWaitNanos = new long[classes.count()];
        Map<String, Duration> waits = config.priority().maxQueueWait();
        for (int rank = 0; rank < classes.count(); rank++) {
            maxQueueWaitNanos[rank] = waits.getOrDefault(classes.name(rank), config.maxQueueWait())
                    .toNanos();
        }
        this.drainRate = new DrainRate(nowNanos);
    }

    /** Longest a request of class {@code rank} waits in the queue. */
    long maxQueueWaitNanos(int rank) {
        return maxQueueWaitNanos[rank];
    }

    /** Counts a request that finished on vLLM at {@code nowNanos}. */
    void finished(long nowNanos) {
        drainRate.mark(nowNanos);
    }

    /**
     * When a request of class {@code rank} arriving now, with {@code ahead} requests admitted before it, is
     * likely to get a slot: those requests plus itself divided by the rate at which vLLM has been finishing
     * requests; the class's longest wait when nothing finished lately.
     */
    Duration queued(int rank, int ahead, long nowNanos) {
        double perSecond = drainRate.perSecond(nowNanos);
        long nanos = perSecond <= 0 ? maxQueueWaitNanos[rank] : (long) ((ahead + 1) / perSecond * 1e9);
        return clamp(nanos);
    }

    /**
     * When a tenant holding {@code held} slots (in flight or queued) of the {@code inFlight} requests on vLLM is
     * likely to have one back (see {@link TenantSlots#retryAfter}).
     */
    Duration tenant(int held, int inFlight, long nowNanos) {
        return TenantSlots.retryAfter(held, inFlight, drainRate.perSecond(nowNanos));
    }

    private static Duration clamp(long nanos) {
        return Duration.ofNanos(Math.clamp(nanos, MIN_NANOS, MAX_NANOS));
    }
}
