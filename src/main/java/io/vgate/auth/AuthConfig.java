package io.vgate.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Who may call the OpenAI routes ({@code vgate.auth.*}). Health ({@code /q/health}) and metrics
 * ({@code /q/metrics}) are never authenticated: NetworkPolicy protects them.
 */
@ConfigMapping(prefix = "vgate.auth")
public interface AuthConfig {

    /**
     * Whether {@code /v1/*} requires an API key or a JWT (env {@code VGATE_AUTH_ENABLED}). Defaults to
     * {@code true}; dev mode keeps it on and accepts the documented dev key.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * The API keys file, YAML, usually mounted from a Kubernetes Secret (e.g.
     * {@code /etc/vgate/auth/api-keys.yaml}); see {@link KeyFile} for the format. It is re-read when its
     * content changes. No default.
     */
    Optional<Path> keysFile();

    /** How often the keys file is checked for changes (on a worker thread). Defaults to {@code 10s}. */
    @WithDefault("10s")
    Duration reloadInterval();

    /**
     * A plain-text key accepted as tenant {@code dev}, for dev mode and tests only: it is ignored, with a
     * warning, in production. Dev mode sets it to {@code vgate-dev-key}. No default.
     */
    Optional<String> devKey();

    /** JSON Web Tokens from an identity provider. */
    Jwt jwt();

    /** JWT authentication ({@code vgate.auth.jwt.*}); verification keys come from {@code mp.jwt.verify.*}. */
    interface Jwt {

        /**
         * Whether bearer tokens shaped like a JWT are verified with smallrye-jwt. Requires
         * {@code mp.jwt.verify.publickey.location} (a PEM/JWK file or a JWKS URL),
         * {@code mp.jwt.verify.issuer} and {@code mp.jwt.verify.audiences}. Defaults to {@code false}.
         */
        @WithDefault("false")
        boolean enabled();

        /** Claim naming the caller's tenant; when absent the {@code sub} claim is used. Defaults to {@code tenant}. */
        @WithDefault("tenant")
        String tenantClaim();

        /**
         * Claim carrying the caller's priority class, one of {@code vgate.shaping.priority.classes}; other
         * values and a missing claim mean the default class ({@code interactive}). Defaults to
         * {@code priority}.
         */
        @WithDefault("priority")
        String priorityClaim();

        /**
         * Claim carrying the most requests the caller's tenant may have in flight and queued at once (a positive
         * integer); without it {@code vgate.shaping.tenant-max-concurrency} applies. Defaults to
         * {@code max_concurrency}.
         */
        @WithDefault("max_concurrency")
        String maxConcurrencyClaim();

        /**
         * Claim carrying the caller's role: {@code admin} (as a string, or among a list of strings) may load and
         * unload LoRA adapters; anything else, or no claim, is the {@code user} role. Defaults to {@code role}.
         */
        @WithDefault("role")
        String roleClaim();

        /**
         * Claim listing the only models the caller may use (a list of strings, or one string of names separated by
         * spaces or commas); without it the caller may use every model. Defaults to {@code models}.
         */
        @WithDefault("models")
        String modelsClaim();
    }
}
