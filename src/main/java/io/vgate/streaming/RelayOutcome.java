package io.vgate.streaming;

/** How a relayed response ended. */
public enum RelayOutcome {
    /** Everything vLLM sent reached the client. */
    COMPLETED,
    /** The client went away first; the upstream request was closed so vLLM aborts. */
    CLIENT_GONE,
    /** vLLM broke the connection; the client got an error (a status, or an SSE error event). */
    UPSTREAM_FAILED
}
