package io.vgate.streaming;

/** How a relayed response ended. */
public enum RelayOutcome {
    /** Everything vLLM sent reached the client. */
    COMPLETED,
    /** The client went away first; the upstream request was closed so vLLM aborts. */
    CLIENT_GONE,
    /**
     * vLLM broke the connection, or vgate gave up on it (a timeout, shutdown) and closed it; the client got
     * an error (a status, or an SSE error event) whose code the exchange records.
     */
    UPSTREAM_FAILED
}
