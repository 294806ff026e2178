package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;

/**
 * What the relay reports about one response as it passes. Called on the response's event loop; must be
 * cheap, since the relay waits for it before forwarding the next bytes.
 */
public interface RelayListener {

    /** vLLM's status line and headers arrived; {@code streaming} when the body is an SSE stream. */
    void onResponseHead(int status, boolean streaming);

    /** One SSE event is about to be forwarded (never called for events the relay drops). */
    void onEvent(Buffer event);

    /** vLLM reported token usage (from a JSON body or a stream's usage chunk). */
    void onUsage(long promptTokens, long completionTokens);

    /** The response is over, one way or another. Called exactly once. */
    void onEnd(RelayOutcome outcome);
}
