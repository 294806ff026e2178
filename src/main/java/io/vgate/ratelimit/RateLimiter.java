package io.vgate.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.redis.client.Redis;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.auth.Caller;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rate-limit steps of the data path.
 * <ol>
 * <li>{@link #admitAddress} runs first of all: it resolves the client address (trusted-proxy aware) and
 * takes one token from that address's bucket. It is the cheapest check and it comes before
 * authentication, so guessing keys costs the guesser its own quota.</li>
 * <li>{@link #admitCaller} runs once the caller is known: the key's token budget must not be spent
 * (tokens are charged when a request ends, from vLLM's usage), then one request is taken from its
 * requests-per-minute bucket.</li>
 * </ol>
 * Rejections are 429s with {@code Retry-After}; every response of the OpenAI routes carries
 * {@code RateLimit-*} headers for the limit closest to exhaustion. Reason codes: {@code rate_limit_exceeded}
 * (address or key request limit) and {@code tokens_per_minute_exceeded} (key token limit).
 */
@Singleton
public class RateLimiter {

    private static final Future<Quota> NO_QUOTA = Future.succeededFuture();
    private static final Future<CallerDecision> NO_LIMITS = Future.succeededFuture(CallerDecision.NONE);

    static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";
    static final String TOKENS_EXCEEDED = "tokens_per_minute_exceeded";

    private final RateLimitConfig config;
    private final ClientAddresses addresses;
    private final Limit perIp;
    private final LocalBuckets local;
    private final RedisBuckets redis;
    private final BucketStore store;
    private final Map<Long, Limit> requestLimits = new ConcurrentHashMap<>();
    private final Map<Long, Limit> tokenLimits = new ConcurrentHashMap<>();

    public RateLimiter(RateLimitConfig config, Instance<Redis> redisClient, Vertx vertx, MeterRegistry registry) {
        this.config = config;
        this.addresses = new ClientAddresses(
                config.trustedProxies().orElse(List.of()), config.perIp().ipv6PrefixLength());
        this.perIp = Limit.perSecond(
                "ip", config.perIp().requestsPerSecond(), config.perIp().burst());
        this.local = new LocalBuckets(config.localMaxBuckets());
        this.redis = config.enabled() && config.store() == RateLimitConfig.Store.REDIS
                ? new RedisBuckets(redisClient.get(), vertx, config.redis(), local, registry)
                : null;
        this.store = redis != null ? redis : local;
    }

    void start(@Observes StartupEvent event) {
        if (redis != null) {
            redis.start();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (redis != null) {
            redis.stop();
        }
    }

    /** The caller's address: the socket peer, or the client behind a trusted proxy ({@code X-Forwarded-For}). */
    public String clientAddress(HttpServerRequest request) {
        return addresses.resolve(request);
    }

    /**
     * Takes a token from the bucket of {@code client} (from {@link #clientAddress}). Completes on the request's
     * event loop with the address's quota ({@code null} when limits are off); fails with a 429
     * {@link ApiException} that carries the quota's headers.
     */
    public Future<Quota> admitAddress(String client) {
        if (!config.enabled()) {
            return NO_QUOTA;
        }
        return onThisContext(store.tryConsume(perIp, addresses.bucketIdentity(client), 1))
                .map(probe -> {
                    Quota quota =
                            Quota.of(perIp.capacity(), probe.getRemainingTokens(), probe.getNanosToWaitForReset());
                    if (!probe.isConsumed()) {
                        throw rejected(
                                RATE_LIMIT_EXCEEDED,
                                "Too many requests from this address: the limit is "
                                        + config.perIp().requestsPerSecond() + " requests per second.",
                                probe.getNanosToWaitForRefill(),
                                quota);
                    }
                    return quota;
                });
    }

    /**
     * Applies the caller's per-key limits. {@code addressQuota} is what {@link #admitAddress} decided; the
     * returned decision names the caller's quota when it has fewer requests left, so the headers describe
     * whichever limit is closer to exhaustion.
     */
    public Future<CallerDecision> admitCaller(Caller caller, Quota addressQuota) {
        if (!config.enabled() || caller == null) {
            return NO_LIMITS;
        }
        Limit requests = limit(
                requestLimits,
                "rpm",
                caller.limits().requestsPerMinute(),
                config.perKey().requestsPerMinute());
        Limit tokens = limit(
                tokenLimits,
                "tpm",
                caller.limits().tokensPerMinute(),
                config.perKey().tokensPerMinute());
        Future<Quota> steps = NO_QUOTA;
        if (tokens != null) {
            steps = onThisContext(store.estimate(tokens, caller.limitKey(), 1)).map(probe -> {
                checkTokens(tokens, probe);
                return null;
            });
        }
        if (requests != null) {
            steps = steps.compose(ignored -> onThisContext(store.tryConsume(requests, caller.limitKey(), 1)))
                    .map(probe -> checkRequests(requests, probe, addressQuota));
        }
        if (tokens == null && requests == null) {
            return NO_LIMITS;
        }
        return steps.map(quota -> new CallerDecision(quota, tokens, caller.limitKey()));
    }

    private static void checkTokens(Limit tokens, EstimationProbe probe) {
        if (probe.canBeConsumed()) {
            return;
        }
        // Full again once the debt is repaid (the wait for one token) and the rest of the bucket refilled.
        long nanosToFull = probe.getNanosToWaitForRefill() + tokens.fillNanos(tokens.capacity() - 1);
        throw rejected(
                TOKENS_EXCEEDED,
                "Token limit reached for this API key: " + tokens.capacity()
                        + " tokens per minute (prompt plus completion).",
                probe.getNanosToWaitForRefill(),
                Quota.of(tokens.capacity(), 0, nanosToFull));
    }

    /** The caller's quota when the headers should describe it, else {@code null}; throws the 429. */
    private static Quota checkRequests(Limit requests, ConsumptionProbe probe, Quota address) {
        Quota quota = Quota.of(requests.capacity(), probe.getRemainingTokens(), probe.getNanosToWaitForReset());
        if (!probe.isConsumed()) {
            throw rejected(
                    RATE_LIMIT_EXCEEDED,
                    "Too many requests for this API key: the limit is " + requests.capacity() + " requests per minute.",
                    probe.getNanosToWaitForRefill(),
                    quota);
        }
        return quota.tighterThan(address) ? quota : null;
    }

    /**
     * Charges the tokens vLLM reported (streamed or not) once the request is over; a no-op when the
     * decision has no token limit or nothing was used.
     */
    public void charge(CallerDecision decision, long usedTokens) {
        if (decision.tokens != null && usedTokens > 0) {
            store.consumeIgnoringLimits(decision.tokens, decision.limitKey, usedTokens);
        }
    }

    private static Limit limit(Map<Long, Limit> cache, String name, Long own, OptionalLong fallback) {
        long amount = own != null ? own : fallback.orElse(0);
        if (amount <= 0) {
            return null;
        }
        return cache.computeIfAbsent(amount, value -> Limit.perMinute(name, value));
    }

    private static ApiException rejected(String code, String message, long nanosToWait, Quota quota) {
        var error =
                new ApiError(429, ApiError.RATE_LIMIT, code, message, null, Duration.ofNanos(Math.max(nanosToWait, 1)));
        return new RateLimited(
                new ApiError(
                        429,
                        ApiError.RATE_LIMIT,
                        code,
                        message + " Retry after " + error.retryAfterSeconds() + " s.",
                        null,
                        error.retryAfter()),
                quota);
    }

    /**
     * The store's answer as a future on the calling request's event loop: already complete when the answer
     * is (local buckets, no hop at all), else Vert.x's own conversion delivers it back on this context.
     */
    private static <T> Future<T> onThisContext(CompletableFuture<T> answer) {
        if (answer.isDone()) {
            try {
                return Future.succeededFuture(answer.join());
            } catch (CompletionException e) {
                return Future.failedFuture(e.getCause());
            }
        }
        var context = Vertx.currentContext();
        return context == null ? Future.fromCompletionStage(answer) : Future.fromCompletionStage(answer, context);
    }
}
