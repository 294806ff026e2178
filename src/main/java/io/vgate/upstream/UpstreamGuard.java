package io.vgate.upstream;

import io.smallrye.faulttolerance.api.CircuitBreakerState;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vgate.api.ApiError;
import jakarta.enterprise.util.TypeLiteral;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * SmallRye Fault Tolerance around the requests vgate relays to vLLM: a circuit breaker (named
 * {@value #BREAKER}) and bounded retries with exponential backoff and jitter (see
 * {@link UpstreamConfig.Breaker} and {@link UpstreamConfig.Retry}).
 * <p>
 * The guarded action ends when vLLM's response head arrives, so a retry can only happen before any byte of
 * an answer reached vgate, let alone the client; a stream that breaks later is never sent again. The
 * programmatic {@link TypedGuard} is used because the relay works with Vert.x callbacks, not annotated
 * methods.
 */
@Singleton
public class UpstreamGuard {

    /** Name of the circuit breaker, as {@code CircuitBreakerMaintenance} and the {@code ft_*} metrics know it. */
    public static final String BREAKER = "vllm";

    /** Error code of {@link #breakerOpen()}: vgate's refusal while the breaker is open, not a failure of vLLM's. */
    public static final String CIRCUIT_OPEN = "circuit_open";

    private static final Logger LOG = Logger.getLogger(UpstreamGuard.class);

    private final TypedGuard<CompletionStage<HttpClientResponse>> guard;
    private final long breakerDelayNanos;
    private volatile long openedAt;

    public UpstreamGuard(UpstreamConfig config) {
        var breaker = config.breaker();
        var retry = config.retry();
        this.breakerDelayNanos = breaker.delay().toNanos();
        this.guard = TypedGuard.create(new TypeLiteral<CompletionStage<HttpClientResponse>>() {})
                .withDescription("vLLM relay")
                .withThreadOffload(true)
                .withThreadOffloadExecutor(UpstreamGuard::afterCurrentTask)
                .withRetry()
                .maxRetries(retry.maxRetries())
                .delay(retry.delay().toMillis(), ChronoUnit.MILLIS)
                .jitter(retry.jitter().toMillis(), ChronoUnit.MILLIS)
                .maxDuration(
                        Math.max(1, retry.maxDelay().toMillis() * (retry.maxRetries() + 1) + 1000), ChronoUnit.MILLIS)
                .whenException(failure -> failure instanceof UpstreamFailure upstream && upstream.retryable())
                .withExponentialBackoff()
                .factor(2)
                .maxDelay(retry.maxDelay().toMillis(), ChronoUnit.MILLIS)
                .done()
                .done()
                .withCircuitBreaker()
                .name(BREAKER)
                .requestVolumeThreshold(breaker.requestVolumeThreshold())
                .failureRatio(breaker.failureRatio())
                .delay(breaker.delay().toMillis(), ChronoUnit.MILLIS)
                .successThreshold(breaker.successThreshold())
                .when(UpstreamGuard::countsAgainstVllm)
                .onStateChange(this::stateChanged)
                .done()
                .build();
    }

    /**
     * Where an attempt starts: on the caller's event loop once its current task is done, with no context captured.
     * <p>
     * Sending at once, inside the client request's read, measured dearer than one hop through the event loop's
     * task queue ({@code load-tests/bench.sh --only throughput}, three alternating runs each: 67–83 against
     * 61–64 µs of CPU per request). SmallRye's own choice for an event-loop caller with thread offload off makes
     * that hop and a second one for the result, each with a captured context; this single hop without one measured
     * the same (60–71 against 60–69 µs). A retry after its backoff starts on the fault-tolerance timer's thread,
     * where {@link UpstreamCall} moves it to the event loop.
     */
    private static void afterCurrentTask(Runnable attempt) {
        Context context = Vertx.currentContext();
        if (context == null) {
            attempt.run();
        } else {
            context.runOnContext(ignored -> attempt.run());
        }
    }

    /**
     * Runs {@code attempt} under the breaker and retry policy. {@code attempt} may be called more than once
     * and on another thread than the caller's (after a retry delay). The returned stage fails with the
     * last attempt's failure, or at once when the breaker is open (see {@link #isBreakerOpen(Throwable)}).
     */
    public CompletionStage<HttpClientResponse> call(Supplier<CompletionStage<HttpClientResponse>> attempt) {
        try {
            return guard.get(attempt);
        } catch (Exception e) {
            // Asynchronous guards report failures through the stage; this is only for the checked signature.
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Counts a failure vLLM made after the guarded call had succeeded (its head arrived): a stream it cut, or
     * its in-band error event. Goes through the same breaker as a failed call, not retried; while the breaker is
     * open nothing is recorded.
     */
    public void recordFailure(UpstreamFailure.FailedAfterHead failure) {
        call(() -> CompletableFuture.failedFuture(failure));
    }

    /**
     * Refused connections and 5xx answers say vLLM is failing. A pooled connection found closed does not:
     * it happens when vgate itself reset a request on it (a client left), and is retried on a new one; if
     * vLLM really died, the retry's refused connection is what gets counted.
     */
    static boolean countsAgainstVllm(Throwable failure) {
        return failure instanceof UpstreamFailure && !(failure instanceof UpstreamFailure.ConnectionLost);
    }

    /** True when {@code failure} means the breaker turned the request away without trying. */
    public static boolean isBreakerOpen(Throwable failure) {
        return failure instanceof org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
    }

    /** {@code 503 circuit_open}, with {@code Retry-After} set to when the breaker lets trial requests through. */
    public ApiError breakerOpen() {
        long left = openedAt + breakerDelayNanos - System.nanoTime();
        return new ApiError(
                503,
                ApiError.SERVER,
                CIRCUIT_OPEN,
                "The model server is failing; vgate stopped sending it requests for a moment. Retry after the time in Retry-After.",
                null,
                Duration.ofNanos(Math.max(left, 1)));
    }

    private void stateChanged(CircuitBreakerState state) {
        if (state == CircuitBreakerState.OPEN) {
            openedAt = System.nanoTime();
            LOG.warnf(
                    "Circuit breaker '%s' opened: vLLM is failing; requests get 503 for %d ms",
                    BREAKER, breakerDelayNanos / 1_000_000);
        } else if (state == CircuitBreakerState.CLOSED) {
            LOG.infof("Circuit breaker '%s' closed: vLLM answers again", BREAKER);
        }
    }
}
