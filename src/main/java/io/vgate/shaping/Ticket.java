package io.vgate.shaping;

import io.vertx.core.Future;
import io.vgate.api.InferenceRequest;

/**
 * One request's claim on a slot on the GPU, as {@link Admission#enter} hands it to the data path: first a
 * place in the queue, then the slot (and, under a per-tenant cap, one of its tenant's slots throughout). The data path must {@link #release} it exactly once on every exit,
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
     * Completes on the request's event loop when the request holds a slot, or fails with an
     * {@link io.vgate.api.ApiException} ({@code 429} at its tenant's cap, else {@code 503}; {@code Retry-After}
     * set) when it cannot get one.
     */
    Future<Void> granted();

    /** Leaves the queue, or gives the slot back; later calls do nothing. Call on the request's event loop. */
    void release();

    /** How long the request waited in the queue, in nanoseconds (0 when admitted at once). */
    long waitedNanos();

    /**
     * Makes admission's edit in the body of the request it was granted for: vLLM's {@code priority} for the
     * request's class when {@code vgate.shaping.priority.to-vllm} is on. A no-op otherwise. Call once the slot is
     * granted, before the request is sent.
     */
    default void applyTo(InferenceRequest request) {
        // Nothing to change by default.
    }
}
