package io.vgate.shaping;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.InferenceRequest;
import io.vgate.shaping.ShapingMetrics.Outcome;

/**
 * One request's claim on a slot, as {@link Admission} hands it out: its place in the queue, then its slot, and
 * the tenant's slot it holds meanwhile. Released by the data path exactly once; later releases find it
 * {@link State#DONE} and do nothing. Its fields are guarded by the admission's monitor, except what only the
 * request's own context touches ({@link #waitedNanos}, the emitter).
 */
final class Claim extends FairQueue.Entry implements Ticket {

    /** Where the claim stands. */
    enum State {
        NEW,
        QUEUED,
        ADMITTED,
        DONE
    }

    private final Admission admission;
    final Handler<ApiError> abort;
    final Context context;
    final Promise<Void> emitter = Promise.promise();
    long enqueuedNanos;
    long waitedNanos;
    long timerId = -1;
    State state = State.NEW;
    boolean releaseCalled;
    /** True while the claim holds one of its tenant's capped slots. */
    boolean tenantSlot;

    Claim prev;
    Claim next;

    Claim(Admission admission, String tenant, int rank, Handler<ApiError> abort, Context context) {
        super(tenant, rank);
        this.admission = admission;
        this.abort = abort;
        this.context = context;
    }

    @Override
    public Future<Void> granted() {
        return emitter.future();
    }

    @Override
    public void release() {
        admission.finished(this);
    }

    @Override
    public long waitedNanos() {
        return waitedNanos;
    }

    @Override
    public void applyTo(InferenceRequest request) {
        admission.vllmPriorities.applyTo(request, rank);
    }

    void expire(long timerId) {
        admission.expire(this);
    }

    /** Hands the granted slot to the waiting request; on its own context. */
    void deliver() {
        if (timerId >= 0) {
            admission.vertx.cancelTimer(timerId);
        }
        long waited = System.nanoTime() - enqueuedNanos;
        waitedNanos = waited;
        admission.metrics.queueWait(rank, Outcome.ADMITTED, waited);
        emitter.complete();
    }

    /** Answers a request that leaves the queue without a slot; from any thread. */
    void reject(ApiError error, Outcome outcome) {
        if (timerId >= 0) {
            admission.vertx.cancelTimer(timerId);
        }
        long waited = System.nanoTime() - enqueuedNanos;
        admission.metrics.queueWait(rank, outcome, waited);
        context.runOnContext(ignored -> {
            waitedNanos = waited;
            emitter.fail(new ApiException(error));
        });
    }
}
