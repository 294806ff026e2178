package io.vgate.auth;

/**
 * Per-caller limits that override {@code vgate.rate-limit.per-key.*}; a {@code null} field keeps the
 * configured default.
 *
 * @param requestsPerMinute requests a caller may start per minute, or {@code null}
 * @param tokensPerMinute prompt plus completion tokens a caller may use per minute, or {@code null}
 */
public record Limits(Long requestsPerMinute, Long tokensPerMinute) {

    /** No overrides. */
    public static final Limits DEFAULTS = new Limits(null, null);
}
