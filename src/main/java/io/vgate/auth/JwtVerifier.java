package io.vgate.auth;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.vgate.shaping.PriorityClasses;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
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
        Integer maxConcurrency = positiveInt(jwt.getClaim(config.maxConcurrencyClaim()));
        Limits limits = maxConcurrency == null ? Limits.DEFAULTS : new Limits(null, null, maxConcurrency);
        Role role = contains(jwt.getClaim(config.roleClaim()), "admin") ? Role.ADMIN : Role.USER;
        return Optional.of(new Caller(
                id, tenant, priority, limits, "tenant:" + tenant, role, names(jwt.getClaim(config.modelsClaim()))));
    }

    /** A positive whole number from a JSON number or numeric string claim; anything else means no override. */
    private static Integer positiveInt(Object value) {
        long n;
        if (value instanceof jakarta.json.JsonNumber number && number.isIntegral()) {
            n = number.longValue();
        } else if (value instanceof Number number && !(value instanceof Double) && !(value instanceof Float)) {
            n = number.longValue();
        } else if (value instanceof jakarta.json.JsonString string) {
            try {
                n = Long.parseLong(string.getString().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return n >= 1 && n <= Integer.MAX_VALUE ? (int) n : null;
    }

    /** True when a string claim equals {@code wanted}, or a list claim holds it (ignoring case). */
    private static boolean contains(Object value, String wanted) {
        if (value instanceof Collection<?> list) {
            return list.stream().anyMatch(item -> wanted.equalsIgnoreCase(text(item)));
        }
        return wanted.equalsIgnoreCase(text(value));
    }

    /**
     * The model names of a claim: a list of strings, or one string of names separated by spaces or commas;
     * {@code null} (every model) without the claim. A claim present but naming nothing allows no model.
     */
    private static Set<String> names(Object value) {
        if (value == null) {
            return null;
        }
        Set<String> names = new HashSet<>();
        if (value instanceof Collection<?> list) {
            for (Object item : list) {
                String name = text(item);
                if (name != null && !name.isBlank()) {
                    names.add(name.trim());
                }
            }
        } else {
            String text = text(value);
            if (text != null) {
                for (String name : text.split("[\\s,]+")) {
                    if (!name.isBlank()) {
                        names.add(name);
                    }
                }
            }
        }
        return names;
    }

    private static String text(Object value) {
        if (value instanceof jakarta.json.JsonString string) {
            return string.getString();
        }
        return value instanceof String text ? text : null;
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
