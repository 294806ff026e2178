package io.vgate.shaping;

/**
 * How fast vLLM finishes requests: completions per second over the last {@value #WINDOW_SECONDS} seconds,
 * counted in one-second buckets. Used to tell a rejected caller when a slot is likely to be free.
 * Not thread-safe: the owner serialises access.
 */
final class DrainRate {

    static final int WINDOW_SECONDS = 10;
    private static final long SECOND = 1_000_000_000L;

    private final long[] counts = new long[WINDOW_SECONDS];
    private final long[] seconds = new long[WINDOW_SECONDS];
    private final long origin;

    DrainRate(long nowNanos) {
        this.origin = nowNanos;
        java.util.Arrays.fill(seconds, -1);
    }

    /** Counts one finished request at {@code nowNanos}. */
    void mark(long nowNanos) {
        long second = (nowNanos - origin) / SECOND;
        int slot = (int) (second % WINDOW_SECONDS);
        if (seconds[slot] != second) {
            seconds[slot] = second;
            counts[slot] = 0;
        }
        counts[slot]++;
    }

    /** Finished requests per second over the window, or 0 when none finished in it. */
    double perSecond(long nowNanos) {
        long elapsed = nowNanos - origin;
        long now = elapsed / SECOND;
        long total = 0;
        for (int i = 0; i < WINDOW_SECONDS; i++) {
            if (seconds[i] >= 0 && now - seconds[i] < WINDOW_SECONDS) {
                total += counts[i];
            }
        }
        // Young processes have seen less than a full window; do not dilute their rate.
        double covered = Math.min(WINDOW_SECONDS, Math.max(1.0, elapsed / (double) SECOND));
        return total / covered;
    }
}
