package io.vgate.shaping;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-tenant concurrency caps: how many requests each tenant has in flight to vLLM or waiting in vgate's queue,
 * and whether one more may join them. A tenant at its cap gets {@code 429 concurrency_limit_exceeded}, so one
 * tenant's long streams cannot hold every GPU slot and every queue place while others wait.
 *
 * <p>Only tenants that hold something are remembered, so the map stays as small as the set of active tenants.
 * Thread-safe; the critical sections are a map lookup and an increment.
 */
final class TenantSlots {

    private static final long MIN_RETRY_AFTER_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long MAX_RETRY_AFTER_NANOS = Duration.ofSeconds(60).toNanos();

    private final Map<String, int[]> held = new HashMap<>();

    /**
     * Takes one of {@code tenant}'s slots.
     *
     * @param cap the tenant's cap; {@code 0} or less means no cap (nothing is counted then)
     * @return false when the tenant already holds {@code cap} slots
     */
    synchronized boolean tryAcquire(String tenant, int cap) {
        if (cap <= 0) {
            return true;
        }
        int[] count = held.computeIfAbsent(tenant, ignored -> new int[1]);
        if (count[0] >= cap) {
            return false;
        }
        count[0]++;
        return true;
    }

    /** Gives back a slot taken with a positive cap. */
    synchronized void release(String tenant) {
        int[] count = held.get(tenant);
        if (count == null) {
            return;
        }
        if (--count[0] <= 0) {
            held.remove(tenant);
        }
    }

    /** Slots {@code tenant} holds now. */
    synchronized int held(String tenant) {
        int[] count = held.get(tenant);
        return count == null ? 0 : count[0];
    }

    /** Tenants holding at least one slot now. */
    synchronized int tenants() {
        return held.size();
    }

    /**
     * When a tenant holding {@code tenantHeld} of the {@code inFlight} requests on vLLM is likely to have a slot
     * back: vLLM finishes {@code finishedPerSecond} requests a second, the tenant's share of them in proportion to
     * what it holds, so one of its requests ends after about {@code inFlight / (finishedPerSecond × tenantHeld)}
     * seconds. Between 1 and 60 seconds; 60 when nothing has finished lately.
     */
    static Duration retryAfter(int tenantHeld, int inFlight, double finishedPerSecond) {
        if (finishedPerSecond <= 0 || tenantHeld <= 0) {
            return Duration.ofNanos(MAX_RETRY_AFTER_NANOS);
        }
        double seconds = Math.max(inFlight, tenantHeld) / (finishedPerSecond * tenantHeld);
        long nanos = (long) Math.min(MAX_RETRY_AFTER_NANOS, seconds * 1e9);
        return Duration.ofNanos(Math.clamp(nanos, MIN_RETRY_AFTER_NANOS, MAX_RETRY_AFTER_NANOS));
    }
}
