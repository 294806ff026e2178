package io.vgate.ratelimit;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

/**
 * What is left of one limit after a request, sent as the IETF draft's {@code RateLimit-Limit},
 * {@code RateLimit-Remaining} and {@code RateLimit-Reset} headers (draft-ietf-httpapi-ratelimit-headers,
 * the three-header form): the bucket size, what it holds now, and the seconds until it is full again.
 * When several limits apply, the responses carry the one with the fewest requests remaining.
 *
 * @param limit bucket size
 * @param remaining tokens left (never negative here)
 * @param resetSeconds whole seconds until the bucket is full, rounded up
 */
public record Quota(long limit, long remaining, long resetSeconds) {

    private static final CharSequence LIMIT = HttpHeaders.createOptimized("RateLimit-Limit");
    private static final CharSequence REMAINING = HttpHeaders.createOptimized("RateLimit-Remaining");
    private static final CharSequence RESET = HttpHeaders.createOptimized("RateLimit-Reset");

    static Quota of(long limit, long remaining, long nanosToFull) {
        return new Quota(limit, Math.max(0, remaining), (Math.max(0, nanosToFull) + 999_999_999L) / 1_000_000_000L);
    }

    /** True when this quota is closer to exhaustion than {@code other} (or there is no other). */
    boolean tighterThan(Quota other) {
        return other == null || remaining < other.remaining;
    }

    /** Sets the three {@code RateLimit-*} headers. */
    public void write(MultiMap headers) {
        headers.set(LIMIT, Long.toString(limit));
        headers.set(REMAINING, Long.toString(remaining));
        headers.set(RESET, Long.toString(resetSeconds));
    }
}
