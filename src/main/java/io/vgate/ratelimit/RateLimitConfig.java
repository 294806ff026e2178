package io.vgate.ratelimit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Request and token limits ({@code vgate.rate-limit.*}): a token bucket per client address, and request
 * and token budgets per API key (or per JWT tenant).
 */
@ConfigMapping(prefix = "vgate.rate-limit")
public interface RateLimitConfig {

    /**
     * Whether limits are enforced at all (env {@code VGATE_RATE_LIMIT_ENABLED}); switch off for
     * benchmarks. Client addresses are still resolved. Defaults to {@code true}.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * Where buckets live: {@code local} (this replica's memory) or {@code redis} (shared by all replicas,
     * at {@code quarkus.redis.hosts}). With {@code redis}, an unreachable Redis makes each replica fall
     * back to its local buckets until Redis answers again. Defaults to {@code local}.
     */
    @WithDefault("local")
    Store store();

    /**
     * CIDRs of the proxies in front of vgate (the Ingress controller), e.g. {@code 10.0.0.0/8}. When the
     * socket peer is in this list, the client is the right-most {@code X-Forwarded-For} address that is
     * not; otherwise {@code X-Forwarded-For} is ignored. Empty by default: no proxy is trusted.
     */
    Optional<List<String>> trustedProxies();

    /** The per-address bucket. */
    PerIp perIp();

    /** Default budgets of each API key (JWT callers: of each tenant). */
    PerKey perKey();

    /** The shared store. */
    Redis redis();

    /**
     * Most buckets kept in memory per kind (address, key); idle buckets are dropped once they would have
     * refilled anyway, and beyond this size the least recently used go first. Defaults to {@code 100000}.
     */
    @WithDefault("100000")
    int localMaxBuckets();

    /** Where buckets are kept. */
    enum Store {
        LOCAL,
        REDIS
    }

    /** {@code vgate.rate-limit.per-ip.*} */
    interface PerIp {

        /** Sustained requests per second per client address. Defaults to {@code 10}. */
        @WithDefault("10")
        int requestsPerSecond();

        /**
         * Bucket size: how many requests an idle client may send at once (a page load plus a retry or
         * two). Defaults to {@code 20}.
         */
        @WithDefault("20")
        int burst();

        /**
         * IPv6 clients are limited per network of this prefix length, since one host can hold a whole
         * /64. {@code 128} limits each address. Defaults to {@code 64}.
         */
        @WithDefault("64")
        int ipv6PrefixLength();
    }

    /** {@code vgate.rate-limit.per-key.*}; a key's own {@code limits} in the keys file win. */
    interface PerKey {

        /** Requests per minute per key. Unset by default: no limit. */
        OptionalLong requestsPerMinute();

        /**
         * Prompt plus completion tokens per minute per key, counted from vLLM's usage once a request ends,
         * so the limit stops the next request rather than the one that crossed it. Unset by default: no limit.
         */
        OptionalLong tokensPerMinute();
    }

    /** {@code vgate.rate-limit.redis.*}; the connection itself is {@code quarkus.redis.hosts}. */
    interface Redis {

        /** Prefix of vgate's bucket keys in Redis. Defaults to {@code vgate:rl:}. */
        @WithDefault("vgate:rl:")
        String keyPrefix();

        /**
         * How long one Redis command may take before Redis counts as unreachable and the replica falls back
         * to local buckets. Defaults to {@code 250ms}.
         */
        @WithDefault("250ms")
        Duration timeout();

        /** How often Redis is pinged to notice that it went away or came back. Defaults to {@code 1s}. */
        @WithDefault("1s")
        Duration probeInterval();
    }
}
