package io.vgate.auth;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * The auth step of the data path: finds out who is calling from {@code Authorization: Bearer <credential>}
 * (or, on Anthropic's Messages routes, {@code x-api-key: <key>} as Anthropic's SDKs send it) and records it on
 * the exchange (tenant, key id, priority class).
 * <p>
 * A credential shaped like a JWT (three dot-separated parts) is verified as one when JWT authentication is
 * on; anything else is looked up as an API key. Every failure (no header, unknown key, bad signature,
 * expired token, wrong issuer or audience) gets the same 401, so a client learns nothing about which
 * keys exist. Credentials are never logged.
 */
@Singleton
public class Authenticator {

    /** Longer credentials are refused before any work is spent on them. */
    static final int MAX_CREDENTIAL_LENGTH = 8192;

    private static final String BEARER = "Bearer ";
    private static final CharSequence WWW_AUTHENTICATE = HttpHeaders.createOptimized("WWW-Authenticate");
    private static final CharSequence CHALLENGE = HttpHeaders.createOptimized("Bearer realm=\"vgate\"");
    private static final ApiError INVALID = new ApiError(
            401,
            ApiError.AUTHENTICATION,
            "invalid_api_key",
            "Invalid or missing credentials. Send an API key or token as 'Authorization: Bearer <credential>'.",
            null,
            null);

    private static final ApiError INVALID_API_KEY_HEADER = new ApiError(
            401,
            ApiError.AUTHENTICATION,
            "invalid_api_key",
            "Invalid or missing credentials. Send an API key as 'x-api-key: <key>' or a key or token as"
                    + " 'Authorization: Bearer <credential>'.",
            null,
            null);

    private final AuthConfig config;
    private final ApiKeyStore keys;
    private final JwtVerifier jwt;
    private static final Future<Caller> NO_CALLER = Future.succeededFuture();
    private static final Future<Caller> REJECTED = Future.failedFuture(new Unauthenticated(INVALID));
    private static final Future<Caller> REJECTED_API_KEY_HEADER =
            Future.failedFuture(new Unauthenticated(INVALID_API_KEY_HEADER));

    private final Vertx vertx;

    public Authenticator(AuthConfig config, ApiKeyStore keys, JwtVerifier jwt, Vertx vertx) {
        this.config = config;
        this.keys = keys;
        this.jwt = jwt;
        this.vertx = vertx;
    }

    void checkConfiguration(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        boolean devKey = config.devKey().isPresent() && LaunchMode.current() != LaunchMode.NORMAL;
        if (config.keysFile().isEmpty() && !jwt.enabled() && !devKey) {
            throw new IllegalStateException("vgate.auth.enabled is true but no credentials are configured: set "
                    + "vgate.auth.keys-file and/or vgate.auth.jwt.enabled, or VGATE_AUTH_ENABLED=false");
        }
    }

    /** The 401 every authentication failure gets. */
    public static ApiError invalidCredentials() {
        return INVALID;
    }

    /**
     * Authenticates a request by its {@code Authorization} header. Completes on the request's event loop with
     * the caller, or with {@code null} when authentication is switched off; fails with a 401
     * {@link ApiException} that adds the {@code WWW-Authenticate} challenge.
     */
    public Future<Caller> authenticate(String authorization) {
        if (!config.enabled()) {
            return NO_CALLER;
        }
        return verify(credential(authorization), REJECTED);
    }

    /**
     * Authenticates a request that may carry its key as {@code x-api-key} instead (Anthropic's header): the
     * {@code Authorization: Bearer} credential when there is one, else the {@code x-api-key} value, checked
     * exactly as a Bearer credential would be. Same completion and 401 as {@link #authenticate(String)}.
     */
    public Future<Caller> authenticate(String authorization, String apiKey) {
        if (!config.enabled()) {
            return NO_CALLER;
        }
        String credential = credential(authorization);
        if (credential == null) {
            credential = apiKeyCredential(apiKey);
        }
        return verify(credential, REJECTED_API_KEY_HEADER);
    }

    private Future<Caller> verify(String credential, Future<Caller> rejected) {
        if (credential == null) {
            return rejected;
        }
        if (jwt.enabled() && looksLikeJwt(credential)) {
            // A JWKS URL may be fetched: verify on a worker; Vert.x completes back on this request's event loop.
            return vertx.<Optional<Caller>>executeBlocking(() -> jwt.verify(credential), false)
                    .compose(found -> accept(found, rejected));
        }
        return accept(keys.lookup(credential), rejected);
    }

    private static Future<Caller> accept(Optional<Caller> found, Future<Caller> rejected) {
        return found.isEmpty() ? rejected : Future.succeededFuture(found.get());
    }

    /** The credential of an {@code x-api-key} header, or {@code null} when there is no usable one. */
    static String apiKeyCredential(String header) {
        if (header == null || header.length() > MAX_CREDENTIAL_LENGTH) {
            return null;
        }
        String credential = header.trim();
        return credential.isEmpty() ? null : credential;
    }

    /** The 401 with its {@code WWW-Authenticate} challenge. */
    static final class Unauthenticated extends ApiException {
        Unauthenticated(ApiError error) {
            super(error);
        }

        @Override
        public void writeHeaders(MultiMap headers) {
            headers.set(WWW_AUTHENTICATE, CHALLENGE);
        }
    }

    /** The credential of a {@code Bearer} header, or {@code null} when there is no usable one. */
    static String credential(String header) {
        if (header == null
                || header.length() <= BEARER.length()
                || header.length() > MAX_CREDENTIAL_LENGTH
                || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String credential = header.substring(BEARER.length()).trim();
        return credential.isEmpty() ? null : credential;
    }

    static boolean looksLikeJwt(String credential) {
        int first = credential.indexOf('.');
        int second = first < 0 ? -1 : credential.indexOf('.', first + 1);
        return first > 0
                && second > first + 1
                && credential.indexOf('.', second + 1) < 0
                && second < credential.length() - 1;
    }
}
