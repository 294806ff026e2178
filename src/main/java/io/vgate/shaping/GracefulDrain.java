package io.vgate.shaping;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Graceful shutdown. On SIGTERM, before Quarkus stops its HTTP server:
 * <ol>
 * <li>readiness turns DOWN and no request is admitted any more: new ones get {@code 503 shutting_down}
 * with {@code Retry-After}, so clients go to another replica;</li>
 * <li>every request still waiting in the queue gets the same answer at once;</li>
 * <li>requests in flight, streams included, run to their end, for up to {@code vgate.shaping.drain-timeout};
 * any still running then get a {@code shutting_down} error (an SSE error event and {@code [DONE]} for
 * streams) and their vLLM requests are closed.</li>
 * </ol>
 * It runs in Quarkus's pre-shutdown phase ({@code quarkus.shutdown.delay-enabled=true} fires
 * {@link ShutdownDelayInitiatedEvent} there), while the HTTP server still serves; Quarkus's own graceful
 * shutdown ({@code quarkus.shutdown.timeout}) would come after that and would answer new requests with a
 * bare 503 instead. {@link ShutdownEvent} is observed too, for builds without the pre-shutdown phase.
 */
@ApplicationScoped
public class GracefulDrain {

    private static final Logger LOG = Logger.getLogger(GracefulDrain.class);
    /** Time given to exchanges ended by force to send their last bytes. */
    private static final Duration AFTER_ABORT = Duration.ofSeconds(5);

    private final Admission admission;
    private final Duration drainTimeout;

    public GracefulDrain(Admission admission, ShapingConfig config) {
        this.admission = admission;
        this.drainTimeout = config.drainTimeout();
    }

    void onPreShutdown(@Observes ShutdownDelayInitiatedEvent event) {
        drain();
    }

    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        drain();
    }

    /** True once shutdown has begun: readiness is DOWN and nothing is admitted. */
    public boolean draining() {
        return admission.draining();
    }

    /**
     * Drains: stops admissions, answers the queue, and waits (blocking the shutdown thread) for the requests
     * in flight. Returns once none is left.
     */
    void drain() {
        if (admission.draining() && admission.inFlight() == 0) {
            return;
        }
        long start = System.nanoTime();
        int queued = admission.queued();
        admission.beginDrain();
        int inFlight = admission.inFlight();
        if (inFlight > 0 || queued > 0) {
            LOG.infof(
                    "Draining: %d waiting requests answered 503, waiting up to %ss for %d in flight",
                    queued, drainTimeout.toSeconds(), inFlight);
        }
        try {
            if (!admission.awaitIdle(drainTimeout)) {
                int left = admission.abortInFlight(ShapingErrors.shuttingDown(Admission.SHUTDOWN_RETRY_AFTER));
                LOG.warnf(
                        "Drain timeout of %ss reached; ended %d requests still in flight",
                        drainTimeout.toSeconds(), left);
                admission.awaitIdle(AFTER_ABORT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (inFlight > 0) {
            LOG.infof("Drained in %d ms", (System.nanoTime() - start) / 1_000_000);
        }
    }

    /** Ends the drain; only tests reuse an instance after draining it. */
    void resume() {
        admission.endDrain();
    }
}
