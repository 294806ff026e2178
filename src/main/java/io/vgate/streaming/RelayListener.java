package io.vgate.streaming;

/** Learns what the relay finds out that cannot wait for the end. Called on the response's event loop. */
public interface RelayListener {

    /**
     * vLLM reported token usage (a JSON body's, or a stream's usage chunk), before the client is sent the
     * end of the answer, so whatever depends on it (a token limit) holds for the client's next request.
     */
    default void onUsage(long promptTokens, long completionTokens) {}

    /** The response is over, one way or another. Called exactly once. */
    void onEnd(RelayOutcome outcome);
}
