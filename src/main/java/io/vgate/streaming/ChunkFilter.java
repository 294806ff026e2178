package io.vgate.streaming;

/**
 * Decides which stream chunks carrying usage the relay keeps to itself. The relay reads the usage of every
 * chunk that may carry one (for metrics and token limits) and forwards the chunk unless this says to drop
 * it; the side that added the request option producing such chunks says which ones are its own.
 */
@FunctionalInterface
public interface ChunkFilter {

    /** True to drop the chunk whose usage is {@code usage}. */
    boolean drop(UsageReader.Usage usage);
}
