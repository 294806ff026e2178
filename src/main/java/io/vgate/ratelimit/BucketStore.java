package io.vgate.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import java.util.concurrent.CompletableFuture;

/**
 * Where token buckets live. Implementations never fail a future: a store that cannot answer decides from
 * a fallback instead. A local store answers with completed futures, so the common case stays synchronous.
 */
interface BucketStore {

    /** Takes {@code tokens} from {@code identity}'s bucket under {@code limit} if it holds that many. */
    CompletableFuture<ConsumptionProbe> tryConsume(Limit limit, String identity, long tokens);

    /** Tells whether {@code tokens} could be taken now, without taking them. */
    CompletableFuture<EstimationProbe> estimate(Limit limit, String identity, long tokens);

    /** Takes {@code tokens} whatever the bucket holds; it may go negative, delaying later requests. */
    void consumeIgnoringLimits(Limit limit, String identity, long tokens);
}
