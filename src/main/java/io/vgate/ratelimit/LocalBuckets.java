package io.vgate.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets in this replica's memory: lock-free Bucket4j buckets in a bounded Caffeine cache. A bucket is
 * forgotten once it has been idle long enough to be full again, so forgetting it changes nothing; past
 * {@code vgate.rate-limit.local-max-buckets} the least recently used go first.
 */
final class LocalBuckets implements BucketStore {

    private record Entry(Bucket bucket, Limit limit) {

        /**
         * How long the bucket may sit unused before it is full again (with one more fill as margin for the
         * request being decided now); a bucket driven negative by token charges needs longer.
         */
        long idleNanos() {
            long missing = limit.capacity() - bucket.getAvailableTokens();
            return limit.fillNanos(missing) + limit.fillNanos();
        }
    }

    private final Cache<String, Entry> buckets;

    LocalBuckets(long maxBuckets) {
        this.buckets = Caffeine.newBuilder()
                .maximumSize(maxBuckets)
                // Upkeep (expiry, eviction) runs on the caller, amortised over reads, instead of a task handed to
                // the common pool on every few reads: a thread wake-up costs more than the upkeep itself.
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Entry>() {
                    @Override
                    public long expireAfterCreate(String key, Entry entry, long now) {
                        return entry.idleNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry entry, long now, long remaining) {
                        return entry.idleNanos();
                    }

                    @Override
                    public long expireAfterRead(String key, Entry entry, long now, long remaining) {
                        return entry.idleNanos();
                    }
                })
                .build();
    }

    @Override
    public CompletableFuture<ConsumptionProbe> tryConsume(Limit limit, String identity, long tokens) {
        return CompletableFuture.completedFuture(bucket(limit, identity).tryConsumeAndReturnRemaining(tokens));
    }

    @Override
    public CompletableFuture<EstimationProbe> estimate(Limit limit, String identity, long tokens) {
        return CompletableFuture.completedFuture(bucket(limit, identity).estimateAbilityToConsume(tokens));
    }

    @Override
    public void consumeIgnoringLimits(Limit limit, String identity, long tokens) {
        bucket(limit, identity).consumeIgnoringRateLimits(tokens);
    }

    private Bucket bucket(Limit limit, String identity) {
        return buckets.get(
                        limit.bucket(identity),
                        name -> new Entry(
                                Bucket.builder().addLimit(limit.bandwidth()).build(), limit))
                .bucket();
    }
}
