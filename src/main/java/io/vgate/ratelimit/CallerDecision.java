package io.vgate.ratelimit;

import io.vertx.core.MultiMap;

/**
 * What the caller's own limits decided for an admitted request: the {@code RateLimit-*} headers to write
 * when the caller's limit is closer to exhaustion than the address's, and the token limit to charge with
 * vLLM's usage when the request ends ({@link RateLimiter#charge}).
 */
public final class CallerDecision {

    /** No caller limits apply (limits off, or no caller). */
    public static final CallerDecision NONE = new CallerDecision(null, null, null);

    private final Quota quota;
    final Limit tokens;
    final String limitKey;

    CallerDecision(Quota quota, Limit tokens, String limitKey) {
        this.quota = quota;
        this.tokens = tokens;
        this.limitKey = limitKey;
    }

    /** The caller's quota when it replaces the address's in the headers, else {@code null}. */
    public Quota quota() {
        return quota;
    }

    /** True when the request's tokens count against a limit once it ends. */
    public boolean chargesTokens() {
        return tokens != null;
    }

    /** Writes the {@code RateLimit-*} headers when the caller's quota is the one to describe. */
    public void writeHeaders(MultiMap headers) {
        if (quota != null) {
            quota.write(headers);
        }
    }
}
