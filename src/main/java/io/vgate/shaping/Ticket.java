package io.vgate.shaping;

import io.vertx.core.Future;

/**
 * One request's claim on a slot on the GPU, as {@link Admission#enter} hands it to the data path: first a
 * place in the queue, then the slot. The data path must {@link #release} it exactly once on every exit,
 * however the request ends; releasing leaves the queue or frees the slot for the next request.
 */
public interface Ticket {

    /** A ticket for requests that do not run the model: granted at once, nothing to release. */
    Ticket NONE = new Ticket() {
        private static final Future<Void> GRANTED = Future.succeededFuture();

        @Override
        public Future<Void> granted() {
            return GRANTED;
        }

        @Override
        public void release() {
            // Nothing was taken.
        }

        @Override
        public long waitedNanos() {
            return 0;
        }
    };

    /**
     * Completes on the request's event loop when the request holds a slot, or fails with a 503
     * {@link io.vgate.api.ApiException} ({@code Retry-After} set) when it cannot get one.
     */
    Future<Void> granted();

    /** Leaves the queue, or gives the slot back; later calls do nothing. Call on the request's event loop. */
    void release();

    /** How long the request waited in the queue, in nanoseconds (0 when admitted at once). */
    long waitedNanos();
}
