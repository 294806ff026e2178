package io.vgate.streaming;

/** Learns how a relayed response ended. Called once, on the response's event loop. */
@FunctionalInterface
public interface RelayListener {

    /** The response is over, one way or another. Called exactly once. */
    void onEnd(RelayOutcome outcome);
}
