package io.vgate.shaping;

import io.vgate.api.ApiRoute;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Prefix-cache isolation between tenants ({@code vgate.shaping.cache-salt.*}): every request on a route that
 * takes vLLM's {@code cache_salt} ({@link ApiRoute#takesCacheSalt()}) is sent with a salt derived from its
 * tenant, replacing any salt the client sent. vLLM salts the prefix cache's block hashes with it, so requests
 * of different tenants never share cached blocks and one tenant cannot learn from time to first token
 * whether another has sent a prompt; requests of one tenant still share theirs.
 * <p>
 * The salt is HMAC-SHA256 of the tenant under a secret key, base64url without padding (43 characters, the
 * 256 bits vLLM's documentation recommends). The key keeps the salts unguessable and stable across replicas
 * and restarts that share it. Off by default; when on, the key is required.
 */
@Singleton
public class PrefixCacheIsolation {

    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    @Inject
    PrefixCacheIsolation(ShapingConfig config) {
        this(config.cacheSalt().enabled(), config.cacheSalt().key());
    }

    /**
     * @param enabled whether requests get a salt
     * @param key the secret key; required when enabled
     * @throws IllegalStateException when enabled without a key
     */
    PrefixCacheIsolation(boolean enabled, Optional<String> key) {
        if (!enabled) {
            this.key = null;
            this.macs = null;
            return;
        }
        String secret = key.map(String::strip).orElse("");
        if (secret.isEmpty()) {
            throw new IllegalStateException("vgate.shaping.cache-salt.enabled=true needs a secret"
                    + " vgate.shaping.cache-salt.key (e.g. 32 random bytes, base64)");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** Whether requests get a salt. */
    public boolean enabled() {
        return key != null;
    }

    /**
     * The {@code cache_salt} for a request of {@code tenant} on {@code route}, or {@code null} when isolation is
     * off or the route does not take a salt.
     *
     * @param tenant the tenant (the caller's, else the client's address); {@code null} counts as {@code ""}
     */
    public String saltFor(ApiRoute route, String tenant) {
        if (key == null || !route.takesCacheSalt()) {
            return null;
        }
        return salt(tenant);
    }

    /** The tenant's salt: HMAC-SHA256 of the tenant, base64url without padding. */
    String salt(String tenant) {
        Mac mac = macs.get();
        byte[] digest = mac.doFinal((tenant == null ? "" : tenant).getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            // Every Java runtime provides HmacSHA256.
            throw new IllegalStateException(e);
        }
    }
}
