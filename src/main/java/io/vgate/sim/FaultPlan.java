package io.vgate.sim;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The faults one request meets (see {@link SimulatorConfig.Faults}): an injected error status before generation, a
 * slow first token, and a connection reset or an in-stream error after a number of SSE events (fixed when the request
 * arrives). Counts the events written so far and says when the answer is cut.
 */
final class FaultPlan {

    /** How an answer is cut after the event just written. */
    enum Cut {
        NONE,
        /** The connection is reset without ending the body. */
        RESET,
        /** An error event and {@code [DONE]} end the stream. */
        ERROR
    }

    private final int resetAfterEvents;
    private final int errorAfterEvents;
    private final FaultSettings faults;
    private int events;

    FaultPlan(FaultSettings faults) {
        this.resetAfterEvents = faults.resetAfterEvents();
        this.errorAfterEvents = faults.errorAfterEvents();
        this.faults = faults;
    }

    /**
     * The {@code error-rate} fault, decided before generation starts.
     *
     * @param model the model the request named, for a {@code model_not_found} error
     * @throws SimError the injected error: a typed one when {@code error-types} is set, else the configured status
     */
    static void maybeInjectError(FaultSettings faults, String model, int maxModelLen, int promptTokens) {
        double rate = faults.errorRate();
        if (rate > 0 && (rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate)) {
            List<FaultType> types = faults.errorTypeList();
            if (types.isEmpty()) {
                throw SimError.injected(faults.errorStatus());
            }
            FaultType type = types.get(ThreadLocalRandom.current().nextInt(types.size()));
            throw SimError.raw(type.status(), type.body(model, maxModelLen, promptTokens));
        }
    }

    /** @return extra time before the first token (not after a preemption), as set now */
    long slowFirstTokenNanos() {
        return faults.slowFirstTokenNanos();
    }

    /** @return whether a stream is reset right after its headers, before any event */
    boolean resetsAtOnce() {
        return resetAfterEvents == 0;
    }

    /** @return whether a stream fails right after its headers, before any event */
    boolean failsAtOnce() {
        return errorAfterEvents == 0;
    }

    /** @return whether a non-streaming answer is reset instead of sent (it is one event at most) */
    boolean resetsAnswer() {
        return resetAfterEvents >= 0;
    }

    /** Counts one more event written and says whether the answer is cut after it. */
    Cut countEvent() {
        events++;
        if (resetAfterEvents > 0 && events >= resetAfterEvents) {
            return Cut.RESET;
        }
        if (errorAfterEvents > 0 && events >= errorAfterEvents) {
            return Cut.ERROR;
        }
        return Cut.NONE;
    }
}
