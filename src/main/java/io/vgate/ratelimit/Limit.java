package io.vgate.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import java.time.Duration;

/**
 * One kind of budget: a token bucket of {@code capacity} that refills {@code capacity} tokens every
 * {@code period}, greedily (a little at a time, not in one lump at the end).
 * <p>
 * The limit's numbers are part of its buckets' names, so a changed limit (a new config, an edited keys
 * file) starts fresh buckets rather than reusing state kept under another configuration; the old ones
 * expire.
 */
final class Limit {

    private final String name;
    private final long capacity;
    private final long refillTokens;
    private final Duration refillPeriod;
    private final Bandwidth bandwidth;
    private final BucketConfiguration configuration;
    private final String bucketPrefix;

    private Limit(String name, long capacity, long refillTokens, Duration refillPeriod) {
        if (capacity < 1 || refillTokens < 1) {
            throw new IllegalArgumentException(name + " limit must be at least 1");
        }
        this.name = name;
        this.capacity = capacity;
        this.refillTokens = refillTokens;
        this.refillPeriod = refillPeriod;
        this.bandwidth = Bandwidth.builder()
                .capacity(capacity)
                .refillGreedy(refillTokens, refillPeriod)
                .build();
        this.configuration = BucketConfiguration.builder().addLimit(bandwidth).build();
        this.bucketPrefix = name + ':' + capacity + '/' + refillTokens + '/' + refillPeriod.toMillis() + ':';
    }

    /** {@code rate} per second with room for {@code burst} at once. */
    static Limit perSecond(String name, long rate, long burst) {
        return new Limit(name, burst, rate, Duration.ofSeconds(1));
    }

    /** {@code amount} per minute, all of which may be spent at once. */
    static Limit perMinute(String name, long amount) {
        return new Limit(name, amount, amount, Duration.ofMinutes(1));
    }

    String name() {
        return name;
    }

    long capacity() {
        return capacity;
    }

    Bandwidth bandwidth() {
        return bandwidth;
    }

    BucketConfiguration configuration() {
        return configuration;
    }

    /** Name of the bucket of {@code identity} under this limit. */
    String bucket(String identity) {
        return bucketPrefix + identity;
    }

    /** Time an empty bucket takes to fill up; an idle bucket older than this is full and can be forgotten. */
    long fillNanos() {
        return fillNanos(capacity);
    }

    /** Time needed to regain {@code tokens}. */
    long fillNanos(long tokens) {
        if (tokens <= 0) {
            return 0;
        }
        return (long) Math.ceil((double) tokens * refillPeriod.toNanos() / refillTokens);
    }
}
