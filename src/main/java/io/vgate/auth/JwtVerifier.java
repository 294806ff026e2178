package io.vgate.auth;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.vgate.shaping.PriorityClasses;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Verifies JSON Web Tokens with smallrye-jwt's {@link JWTParser}: signature against
 * {@code mp.jwt.verify.publickey.location} (a key file or JWKS URL), expiry (with
 * {@code mp.jwt.verify.clock.skew}), issuer ({@code mp.jwt.verify.issuer}) and audience
 * ({@code mp.jwt.verify.audiences}). Issuer and audience are required: without them any token signed by
 * a shared identity provider, meant for another service, would be accepted.
 * <p>
 * {@link #verify} may block (a JWKS URL is fetched and refreshed over HTTP), so callers run it on a
 * worker thread.
 */
@Singleton
public class JwtVerifier {

    private final AuthConfig.Jwt config;
    private final PriorityClasses classes;
    private final Instance<JWTParser> parser;
    private final Config mpConfig;

    public JwtVerifier(AuthConfig config, PriorityClasses classes, Instance<JWTParser> parser, Config mpConfig) {
        this.config = config.jwt();
        this.classes = classes;
        this.parser = parser;
        this.mpConfig = mpConfig;
    }

    void checkConfiguration(@Observes StartupEvent event, AuthConfig auth) {
        if (!auth.enabled() || !config.enabled()) {
            return;
        }
        boolean key = present("mp.jwt.verify.publickey.location") || present("mp.jwt.verify.publickey");
        if (!key || !present("mp.jwt.verify.issuer") || !present("mp.jwt.verify.audiences")) {
            throw new IllegalStateException("vgate.auth.jwt.enabled=true needs mp.jwt.verify.publickey.location "
                    + "(or mp.jwt.verify.publickey), mp.jwt.verify.issuer and mp.jwt.verify.audiences");
        }
    }

    /** True when JWT authentication is switched on. */
    public boolean enabled() {
        return config.enabled();
    }

    /**
     * Verifies {@code token} and maps it to a caller, or returns empty when it is not acceptable (bad
     * signature, expired, wrong issuer or audience, no tenant). Blocking; never on the event loop.
     */
    public Optional<Caller> verify(String token) {
        JsonWebToken jwt;
        try {
            jwt = parser.get().parse(token);
        } catch (ParseException | RuntimeException e) {
            return Optional.empty();
        }
        String subject = jwt.getSubject();
        String tenant = claim(jwt, config.tenantClaim());
        if (tenant == null) {
            tenant = subject;
        }
        if (tenant == null || tenant.isBlank()) {
            return Optional.empty();
        }
        String priority = claim(jwt, config.priorityClaim());
        if (priority == null || !classes.known(priority)) {
            priority = classes.defaultClass();
        }
        String id = subject != null ? subject : tenant;
        return Optional.of(new Caller(id, tenant, priority, Limits.DEFAULTS, "tenant:" + tenant));
    }

    private static String claim(JsonWebToken jwt, String name) {
        Object value = jwt.getClaim(name);
        if (value instanceof jakarta.json.JsonString string) {
            return string.getString();
        }
        return value instanceof String text ? text : null;
    }

    private boolean present(String property) {
        return mpConfig.getOptionalValue(property, String.class)
                .filter(value -> !value.isBlank())
                .isPresent();
    }
}
