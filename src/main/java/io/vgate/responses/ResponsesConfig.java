package io.vgate.responses;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Who owns the responses vLLM stores ({@code vgate.responses.*}): vLLM keeps stored responses in one
 * process and checks no owner, so vgate records, for each response id it saw created, the tenant that
 * created it and the replica whose vLLM holds it. Retrievals, cancels and {@code previous_response_id}
 * follow-ups from another tenant get 404 without reaching vLLM; with the shared store, those for another
 * replica are forwarded to it.
 */
@ConfigMapping(prefix = "vgate.responses")
public interface ResponsesConfig {

    /** Where owners are recorded. */
    enum Store {
        /** In this replica's memory: right for one replica (a follow-up elsewhere finds no owner: 404). */
        LOCAL,
        /** In Redis ({@code quarkus.redis.hosts}), shared by every replica, which also forward follow-ups. */
        REDIS
    }

    /** Where owners are recorded: {@code local} or {@code redis}. Defaults to {@code local}. */
    @WithDefault("local")
    Store store();

    /**
     * How long an owner is remembered after the response was created. vLLM itself never forgets a stored
     * response until it restarts; past this, a follow-up gets 404. Defaults to {@code 7d}.
     */
    @WithDefault("7d")
    Duration ttl();

    /** Most owners kept by the {@code local} store; the least recently used are forgotten first. Defaults to {@code 200000}. */
    @WithDefault("200000")
    int maxLocalEntries();

    /** Prefix of vgate's owner keys in Redis. Defaults to {@code vgate:resp:}. */
    @WithDefault("vgate:resp:")
    String keyPrefix();

    /** How long one Redis command may take. Defaults to {@code 500ms}. */
    @WithDefault("500ms")
    Duration redisTimeout();

    /** How replicas reach each other. */
    Replica replica();

    /** {@code vgate.responses.replica.*}: how this replica is reached by the others, and how they prove who they are. */
    interface Replica {

        /**
         * This replica's API address as the other replicas reach it, e.g. {@code http://10.1.2.3:8080} (the
         * manifests set it from the pod IP). Unset: follow-ups are never forwarded, only answered here.
         */
        Optional<URI> address();

        /**
         * This replica's host as the others reach it, usually the pod IP (the manifests set it from
         * {@code status.podIP}); the replica's own HTTP port is added. Used when {@link #address()} is unset.
         */
        Optional<String> host();

        /**
         * The secret all replicas share to sign the requests they forward to each other (from a Secret);
         * forwarding is off without it, and a forwarded request without a valid signature is refused.
         */
        Optional<String> secret();

        /** How old a forwarded request's signature may be. Defaults to {@code 30s}. */
        @WithDefault("30s")
        Duration maxSkew();

        /** How long a forwarded request may take to be answered, head first. Defaults to {@code 30s}. */
        @WithDefault("30s")
        Duration forwardTimeout();
    }
}
