package io.vgate.ratelimit;

import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.Priorities;
import io.vgate.config.DerivedDefault;
import jakarta.annotation.Priority;

/**
 * Builds the Quarkus Redis client only when a store uses it.
 * <p>
 * Quarkus's Redis extension creates its default client at start whenever the application can inject one, and
 * vgate can (the rate limiter's and the response ledger's shared stores), even though both stores are
 * {@code local} by default. This interceptor answers {@code quarkus.redis.active} when nobody set it:
 * {@code true} when {@code vgate.rate-limit.store=redis} (with rate limiting on, {@code vgate.rate-limit.enabled})
 * or {@code vgate.responses.store=redis}, {@code false} otherwise. An inactive client is never created: no
 * connection pool, no Redis codec classes, nothing at start. An explicit {@code quarkus.redis.active} always
 * wins (set it to {@code false} with a Redis store and vgate fails at start, saying which property to set).
 * <p>
 * Registered in {@code META-INF/services/io.smallrye.config.ConfigSourceInterceptor}.
 */
@Priority(Priorities.APPLICATION)
public class RedisActivation extends DerivedDefault {

    static final String ACTIVE = "quarkus.redis.active";
    static final String RATE_LIMIT_ENABLED = "vgate.rate-limit.enabled";
    static final String RATE_LIMIT_STORE = "vgate.rate-limit.store";
    static final String RESPONSES_STORE = "vgate.responses.store";

    public RedisActivation() {
        super(ACTIVE);
    }

    @Override
    protected String derive(ConfigSourceInterceptorContext context) {
        boolean rateLimitShared = !"false".equalsIgnoreCase(text(context.proceed(RATE_LIMIT_ENABLED)))
                && "redis".equalsIgnoreCase(text(context.proceed(RATE_LIMIT_STORE)));
        boolean ownersShared = "redis".equalsIgnoreCase(text(context.proceed(RESPONSES_STORE)));
        return Boolean.toString(rateLimitShared || ownersShared);
    }
}
