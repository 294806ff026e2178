package io.vgate.shaping;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vgate.api.ApiError;
import io.vgate.streaming.RelayProgress;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Watches a request from the moment it is sent to vLLM and ends it when vLLM is too slow:
 * <ul>
 * <li>a stream whose first event does not come within {@code time-to-first-token}
 * ({@code first_token_timeout});</li>
 * <li>a stream that goes silent for {@code idle-between-events} ({@code stream_idle_timeout});</li>
 * <li>a non-streaming answer that does not come within {@code non-streaming-response}
 * ({@code upstream_timeout});</li>
 * <li>when set, any request older than {@code total} ({@code request_timeout}).</li>
 * </ul>
 * A stream that keeps producing events is never cut (unless {@code total} is set). Ending a request closes
 * its upstream request, so vLLM aborts the generation and frees its slot, and tells the client: the data
 * path's {@code onTimeout} handler does that with the error this step decided.
 * <p>
 * One timer per request, on the request's event loop; it fires at the next deadline and re-arms itself
 * when events moved the deadline, so a stream costs a timer callback per idle period, not per event.
 */
@Singleton
public class ExchangeTimeouts {

    private final Limits limits;
    private final ShapingConfig.Timeouts config;
    private final Vertx vertx;

    public ExchangeTimeouts(ShapingConfig config, Vertx vertx) {
        this.config = config.timeouts();
        this.limits = new Limits(
                this.config.timeToFirstToken().toNanos(),
                this.config.idleBetweenEvents().toNanos(),
                this.config.nonStreamingResponse().toNanos(),
                this.config.total().map(Duration::toNanos).orElse(0L));
        this.vertx = vertx;
    }

    /**
     * Starts watching a request; call on its event loop right before the request goes to vLLM, and
     * {@link Watch#cancel} the watch when the request ends.
     *
     * @param progress the relay's view of the response, read when a deadline comes
     * @param stream whether the client asked for a stream
     * @param startNanos when the request reached vgate
     * @param onTimeout ends the request with the timeout's error; called at most once
     */
    public Watch watch(RelayProgress progress, boolean stream, long startNanos, Handler<ApiError> onTimeout) {
        var watch = new Watch(progress, stream, startNanos, System.nanoTime(), onTimeout);
        watch.arm(watch.armedAt);
        return watch;
    }

    /** Which limit a request runs into next. */
    enum Limit {
        FIRST_TOKEN,
        IDLE,
        NON_STREAMING,
        TOTAL
    }

    /** The next deadline of a request ({@link System#nanoTime()} based) and the limit it belongs to. */
    record Deadline(Limit limit, long at) {}

    /** The configured limits in nanoseconds; {@code totalNanos} 0 when there is no total cap. */
    record Limits(long firstTokenNanos, long idleNanos, long nonStreamingNanos, long totalNanos) {

        /**
         * The deadline that applies to a request in its current state.
         *
         * @param armedAt when the request was sent to vLLM
         * @param startedAt when the request reached vgate
         * @param streaming whether the answer is (or, before vLLM's head, will be) a stream
         * @param events SSE events relayed so far
         * @param lastEventAt when the last one was relayed
         */
        Deadline next(long armedAt, long startedAt, boolean streaming, int events, long lastEventAt) {
            Deadline deadline;
            if (!streaming) {
                deadline = new Deadline(Limit.NON_STREAMING, armedAt + nonStreamingNanos);
            } else if (events == 0) {
                deadline = new Deadline(Limit.FIRST_TOKEN, armedAt + firstTokenNanos);
            } else {
                deadline = new Deadline(Limit.IDLE, lastEventAt + idleNanos);
            }
            if (totalNanos > 0 && startedAt + totalNanos - deadline.at() < 0) {
                return new Deadline(Limit.TOTAL, startedAt + totalNanos);
            }
            return deadline;
        }
    }

    ApiError error(Limit limit) {
        return switch (limit) {
            case FIRST_TOKEN -> ShapingErrors.firstTokenTimeout(config.timeToFirstToken());
            case IDLE -> ShapingErrors.streamIdleTimeout(config.idleBetweenEvents());
            case NON_STREAMING -> ShapingErrors.upstreamTimeout(config.nonStreamingResponse());
            case TOTAL -> ShapingErrors.requestTimeout(config.total().orElseThrow());
        };
    }

    /** The timer of one request; cancelled when the request ends. */
    public final class Watch implements Handler<Long> {
        private final RelayProgress progress;
        private final boolean stream;
        private final long startNanos;
        private final long armedAt;
        private final Handler<ApiError> onTimeout;
        private long timerId = -1;
        private boolean cancelled;

        Watch(RelayProgress progress, boolean stream, long startNanos, long armedAt, Handler<ApiError> onTimeout) {
            this.progress = progress;
            this.stream = stream;
            this.startNanos = startNanos;
            this.armedAt = armedAt;
            this.onTimeout = onTimeout;
        }

        /** Timer fired. */
        @Override
        public void handle(Long id) {
            timerId = -1;
            if (cancelled) {
                return;
            }
            long now = System.nanoTime();
            Deadline deadline = deadline();
            if (deadline.at() - now <= 0) {
                cancelled = true;
                onTimeout.handle(error(deadline.limit()));
            } else {
                arm(now);
            }
        }

        /** Stops watching: the request is over. Idempotent. */
        public void cancel() {
            cancelled = true;
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
                timerId = -1;
            }
        }

        void arm(long now) {
            long delayMillis = Math.max(1, (deadline().at() - now + 999_999) / 1_000_000);
            timerId = vertx.setTimer(delayMillis, this);
        }

        private Deadline deadline() {
            // A JSON answer to a stream request (vLLM's error) is judged like a non-streaming one.
            boolean streaming = stream && (progress.responseHeadNanos() == 0 || progress.streaming());
            return limits.next(armedAt, startNanos, streaming, progress.events(), progress.lastEventNanos());
        }
    }
}
