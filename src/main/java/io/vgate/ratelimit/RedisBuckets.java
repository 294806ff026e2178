package io.vgate.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.redis.client.Redis;
import io.vgate.metrics.MetricNames;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Buckets shared by every replica through Redis, so a limit holds cluster-wide however many replicas run.
 * <p>
 * When Redis does not answer (a command fails or times out) the replica falls back to its own
 * {@link LocalBuckets} at once: each replica then enforces the limits alone, which is looser across the
 * cluster but never turns traffic away because Redis is gone. The state is visible as the gauge
 * {@code vgate_rate_limit_redis_up} (1/0), decisions taken locally count in
 * {@code vgate_rate_limit_fallback_total{reason="unreachable"}}, and each transition is logged once. A
 * request that finds every pooled Redis connection busy is decided locally too
 * ({@code reason="busy"}) without declaring Redis gone; size {@code quarkus.redis.max-pool-size} for the
 * replica's request rate. Redis is pinged every
 * {@code vgate.rate-limit.redis.probe-interval}; the first answer switches back to shared buckets.
 */
final class RedisBuckets implements BucketStore {

    /** Whether Redis answers; {@code UNKNOWN} until the first probe, during which buckets are local. */
    private enum State {
        UNKNOWN,
        UP,
        DOWN
    }

    private static final Logger LOG = Logger.getLogger(RedisBuckets.class);
    private static final long FIRST_PROBE_TIMEOUT_MILLIS = 2000;

    private final AsyncProxyManager<String> buckets;
    private final RedisCasProxyManager manager;
    private final LocalBuckets fallback;
    private final String keyPrefix;
    private final Vertx vertx;
    private final Duration probeInterval;
    private final long timeoutMillis;
    private final Counter unreachableFallbacks;
    private final Counter busyFallbacks;
    private final AtomicReference<State> state = new AtomicReference<>(State.UNKNOWN);
    private long probeTimer = -1;

    RedisBuckets(
            Redis redis, Vertx vertx, RateLimitConfig.Redis config, LocalBuckets fallback, MeterRegistry registry) {
        // Buckets expire from Redis once they would have refilled, plus a margin for clock skew between replicas.
        this.timeoutMillis = Math.max(1, config.timeout().toMillis());
        this.manager = new RedisCasProxyManager(
                redis,
                vertx,
                timeoutMillis,
                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(5)));
        this.buckets = manager.asAsync();
        this.fallback = fallback;
        this.keyPrefix = config.keyPrefix();
        this.vertx = vertx;
        this.probeInterval = config.probeInterval();
        Gauge.builder(MetricNames.RATE_LIMIT_REDIS_UP, state, current -> current.get() == State.UP ? 1 : 0)
                .description("1 while rate-limit buckets are shared through Redis, 0 while this replica limits alone")
                .register(registry);
        this.unreachableFallbacks = fallbackCounter(registry, "unreachable");
        this.busyFallbacks = fallbackCounter(registry, "busy");
    }

    /** Starts probing Redis; the first probe runs now. */
    void start() {
        // The first command also opens the connection, in a JVM that is still warming up: allow it longer.
        probe(Math.max(timeoutMillis, FIRST_PROBE_TIMEOUT_MILLIS));
        long interval = Math.max(1, probeInterval.toMillis());
        probeTimer = vertx.setPeriodic(interval, id -> probe(timeoutMillis));
    }

    void stop() {
        if (probeTimer >= 0) {
            vertx.cancelTimer(probeTimer);
        }
    }

    /** True while buckets are shared through Redis. */
    boolean up() {
        return state.get() == State.UP;
    }

    @Override
    public CompletableFuture<ConsumptionProbe> tryConsume(Limit limit, String identity, long tokens) {
        return shared(
                () -> proxy(limit, identity).tryConsumeAndReturnRemaining(tokens),
                () -> fallback.tryConsume(limit, identity, tokens));
    }

    @Override
    public CompletableFuture<EstimationProbe> estimate(Limit limit, String identity, long tokens) {
        return shared(
                () -> proxy(limit, identity).estimateAbilityToConsume(tokens),
                () -> fallback.estimate(limit, identity, tokens));
    }

    @Override
    public void consumeIgnoringLimits(Limit limit, String identity, long tokens) {
        shared(() -> proxy(limit, identity).consumeIgnoringRateLimits(tokens), () -> {
            fallback.consumeIgnoringLimits(limit, identity, tokens);
            return CompletableFuture.completedFuture(0L);
        });
    }

    private <T> CompletableFuture<T> shared(
            Supplier<CompletableFuture<T>> remote, Supplier<CompletableFuture<T>> local) {
        if (state.get() != State.UP) {
            unreachableFallbacks.increment();
            return local.get();
        }
        CompletableFuture<T> answer;
        try {
            answer = remote.get();
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.exceptionallyCompose(failure -> {
            if (unwrap(failure) instanceof ConnectionPoolTooBusyException) {
                // Every pooled connection is busy and the wait queue is full: Redis is fine, this replica is
                // asking too much at once. Decide this request locally without declaring Redis gone.
                busyFallbacks.increment();
            } else {
                markDown(failure);
                unreachableFallbacks.increment();
            }
            return local.get();
        });
    }

    private AsyncBucketProxy proxy(Limit limit, String identity) {
        return buckets.builder().build(keyPrefix + limit.bucket(identity), limit.configuration());
    }

    private void probe(long timeoutMillis) {
        manager.ping(timeoutMillis).whenComplete((pong, failure) -> {
            if (failure == null) {
                markUp();
            } else {
                markDown(failure);
            }
        });
    }

    private void markUp() {
        State before = state.getAndSet(State.UP);
        if (before == State.DOWN) {
            LOG.info("Redis answers again: rate limits are shared by all replicas again");
        } else if (before == State.UNKNOWN) {
            LOG.info("Rate limits are shared by all replicas through Redis");
        }
    }

    private void markDown(Throwable failure) {
        if (state.getAndSet(State.DOWN) != State.DOWN) {
            LOG.warnf(
                    "Redis is unreachable (%s): this replica enforces rate limits on its own until Redis answers",
                    describe(failure));
        }
    }

    private static Counter fallbackCounter(MeterRegistry registry, String reason) {
        return Counter.builder(MetricNames.RATE_LIMIT_FALLBACK)
                .tag(MetricNames.REASON, reason)
                .description("Rate-limit decisions taken from local buckets because Redis could not be used: "
                        + "unreachable (down or timing out) or busy (connection pool exhausted)")
                .register(registry);
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        return cause.getMessage() != null
                ? cause.getMessage()
                : cause.getClass().getSimpleName();
    }
}
