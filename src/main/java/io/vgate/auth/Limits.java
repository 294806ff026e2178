package io.vgate.auth;

/**
 * Per-caller limits that override {@code vgate.rate-limit.per-key.*} and {@code vgate.shaping.tenant-max-concurrency};
 * a {@code null} field keeps the configured default.
 *
 * @param requestsPerMinute requests a caller may start per minute, or {@code null}
 * @param tokensPerMinute prompt plus completion tokens a caller may use per minute, or {@code null}
 * @param maxConcurrency requests the caller's tenant may have in flight and queued at once, or {@code null}
 */
public record Limits(Long requestsPerMinute, Long tokensPerMinute, Integer maxConcurrency) {

    /** No overrides. */
    public static final Limits DEFAULTS = new Limits(null, null, null);

    /** Rate limits only; the concurrency cap keeps its default. */
    public Limits(Long requestsPerMinute, Long tokensPerMinute) {
        this(requestsPerMinute, tokensPerMinute, null);
    }
}
