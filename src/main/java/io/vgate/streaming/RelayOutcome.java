package io.vgate.streaming;

/**
 * How an exchange ended. Every ending is classified by {@link #of}, and only there: the relay and the data
 * path report what they saw (did the client leave first, did the whole answer reach it), and this decides
 * what the metrics and the access log call it.
 */
public enum RelayOutcome {
    /** Everything vLLM sent (or vgate's own answer) reached the client. */
    COMPLETED,
    /** The client went away first; the upstream request was closed so vLLM aborts. */
    CLIENT_GONE,
    /**
     * vLLM failed — it was unreachable, broke the connection, or sent its in-band error event after a 200 —
     * or vgate gave up on it (a timeout, shutdown) and closed it; the client got an error (a status, an SSE
     * error event, or vLLM's own error event) whose code the exchange records.
     */
    UPSTREAM_FAILED;

    /**
     * The one place that classifies an ending.
     *
     * @param clientLeft the client's connection closed (or reset, or a write to it failed) before its answer
     *     was complete, and before anything else failed
     * @param answerComplete the client got a whole answer (vLLM's, or vgate's own error); a stream that ended
     *     with vLLM's in-band error event is not one
     */
    public static RelayOutcome of(boolean clientLeft, boolean answerComplete) {
        if (clientLeft) {
            return CLIENT_GONE;
        }
        return answerComplete ? COMPLETED : UPSTREAM_FAILED;
    }
}
