package io.vgate.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.auth.Caller;
import io.vgate.proxy.ProxyExchange;
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
    private static final Future<Void> ADMITTED = Future.succeededFuture();

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

    /**
     * Resolves the client address onto the exchange and takes a token from its bucket. Completes on the
     * request's event loop with the address quota ({@code null} when limits are off); fails with a 429.
     */
    public Future<Quota> admitAddress(ProxyExchange exchange) {
        String client = addresses.resolve(exchange.request());
        exchange.clientIp(client);
        if (!config.enabled()) {
            return NO_QUOTA;
        }
        return onThisContext(store.tryConsume(perIp, addresses.bucketIdentity(client), 1))
                .map(probe -> {
                    Quota quota =
                            Quota.of(perIp.capacity(), probe.getRemainingTokens(), probe.getNanosToWaitForReset());
                    quota.write(exchange.response());
                    if (!probe.isConsumed()) {
                        throw rejected(
                                RATE_LIMIT_EXCEEDED,
                                "Too many requests from this address: the limit is "
                                        + config.perIp().requestsPerSecond() + " requests per second.",
                                probe.getNanosToWaitForRefill());
                    }
                    return quota;
                });
    }

    /**
     * Applies the caller's per-key limits. {@code addressQuota} is what {@link #admitAddress} returned;
     * the headers end up describing whichever of the limits has fewer requests left.
     */
    public Future<Void> admitCaller(ProxyExchange exchange, Caller caller, Quota addressQuota) {
        if (!config.enabled() || caller == null) {
            return ADMITTED;
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
        Future<Void> steps = ADMITTED;
        if (tokens != null) {
            steps = steps.compose(ignored -> onThisContext(store.estimate(tokens, caller.limitKey(), 1)))
                    .map(probe -> {
                        checkTokens(exchange, tokens, probe);
                        return null;
                    });
        }
        if (requests != null) {
            steps = steps.compose(ignored -> onThisContext(store.tryConsume(requests, caller.limitKey(), 1)))
                    .map(probe -> {
                        checkRequests(exchange, requests, probe, addressQuota);
                        return null;
                    });
        }
        if (tokens != null) {
            steps = steps.onSuccess(ignored -> exchange.onComplete(() -> charge(exchange, tokens, caller)));
        }
        return steps;
    }

    private static void checkTokens(ProxyExchange exchange, Limit tokens, EstimationProbe probe) {
        if (probe.canBeConsumed()) {
            return;
        }
        // Full again once the debt is repaid (the wait for one token) and the rest of the bucket refilled.
        long nanosToFull = probe.getNanosToWaitForRefill() + tokens.fillNanos(tokens.capacity() - 1);
        Quota.of(tokens.capacity(), 0, nanosToFull).write(exchange.response());
        throw rejected(
                TOKENS_EXCEEDED,
                "Token limit reached for this API key: " + tokens.capacity()
                        + " tokens per minute (prompt plus completion).",
                probe.getNanosToWaitForRefill());
    }

    private static void checkRequests(ProxyExchange exchange, Limit requests, ConsumptionProbe probe, Quota address) {
        Quota quota = Quota.of(requests.capacity(), probe.getRemainingTokens(), probe.getNanosToWaitForReset());
        if (!probe.isConsumed() || quota.tighterThan(address)) {
            quota.write(exchange.response());
        }
        if (!probe.isConsumed()) {
            throw rejected(
                    RATE_LIMIT_EXCEEDED,
                    "Too many requests for this API key: the limit is " + requests.capacity() + " requests per minute.",
                    probe.getNanosToWaitForRefill());
        }
    }

    /** Charges the tokens vLLM reported (streamed or not) once the request is over. */
    private void charge(ProxyExchange exchange, Limit tokens, Caller caller) {
        long used = Math.max(0, exchange.promptTokens()) + Math.max(0, exchange.completionTokens());
        if (used > 0) {
            store.consumeIgnoringLimits(tokens, caller.limitKey(), used);
        }
    }

    private static Limit limit(Map<Long, Limit> cache, String name, Long own, OptionalLong fallback) {
        long amount = own != null ? own : fallback.orElse(0);
        if (amount <= 0) {
            return null;
        }
        return cache.computeIfAbsent(amount, value -> Limit.perMinute(name, value));
    }

    private static ApiException rejected(String code, String message, long nanosToWait) {
        var error =
                new ApiError(429, ApiError.RATE_LIMIT, code, message, null, Duration.ofNanos(Math.max(nanosToWait, 1)));
        return new ApiException(new ApiError(
                429,
                ApiError.RATE_LIMIT,
                code,
                message + " Retry after " + error.retryAfterSeconds() + " s.",
                null,
                error.retryAfter()));
    }

    /**
     * The store's answer as a future that completes on the calling request's event loop: at once when the
     * answer is already there (local buckets), else by hopping back from Redis's event loop.
     */
    private static <T> Future<T> onThisContext(CompletableFuture<T> answer) {
        Context context = Vertx.currentContext();
        if (answer.isDone() || context == null) {
            try {
                return Future.succeededFuture(answer.join());
            } catch (CompletionException e) {
                return Future.failedFuture(e.getCause());
            }
        }
        Promise<T> promise = Promise.promise();
        answer.whenComplete((value, failure) -> {
            Runnable deliver = () -> {
                if (failure != null) {
                    promise.fail(
                            failure instanceof CompletionException && failure.getCause() != null
                                    ? failure.getCause()
                                    : failure);
                } else {
                    promise.complete(value);
                }
            };
            if (Vertx.currentContext() == context) {
                deliver.run();
            } else {
                context.runOnContext(ignored -> deliver.run());
            }
        });
        return promise.future();
    }
}
