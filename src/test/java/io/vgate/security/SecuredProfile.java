package io.vgate.security;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * vgate as deployed: API keys from a file, JWTs, per-address and per-key limits shared through a real
 * Redis, CORS for one web origin, tight body limits. One profile for every auth, rate-limit and
 * hostile-input test class, so the application starts once for all of them.
 * <p>
 * 127.0.0.1 is the trusted proxy, so tests choose their client address with {@code X-Forwarded-For}
 * (see {@link SecuredFixture#freshAddress()}); a connection from 127.0.0.2 is an untrusted client.
 */
public class SecuredProfile implements QuarkusTestProfile {

    /** The web origin allowed by CORS. */
    public static final String WEB_ORIGIN = "https://chat.example.com";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("vgate.auth.enabled", "true"),
                Map.entry("vgate.auth.reload-interval", "100ms"),
                Map.entry("vgate.auth.jwt.enabled", "true"),
                // Set here, not by the test resource, so that the build sees a key is configured and
                // smallrye-jwt does not generate its dev/test key pair (which would win over a location).
                Map.entry(
                        "mp.jwt.verify.publickey.location",
                        SecuredFixture.JWT_PUBLIC_KEY.toUri().toString()),
                Map.entry("mp.jwt.verify.issuer", SecuredFixture.ISSUER),
                Map.entry("mp.jwt.verify.audiences", SecuredFixture.AUDIENCE),
                Map.entry("vgate.rate-limit.enabled", "true"),
                Map.entry("vgate.rate-limit.store", "redis"),
                Map.entry("vgate.rate-limit.trusted-proxies", "127.0.0.1/32"),
                Map.entry("vgate.rate-limit.redis.probe-interval", "100ms"),
                // The build machine is small and shared: a first connection can take longer than production's 250 ms.
                Map.entry("vgate.rate-limit.redis.timeout", "2s"),
                Map.entry("vgate.api.max-body-size", "256K"),
                Map.entry("vgate.api.body-read-timeout", "1s"),
                // Connection limits small enough to test (HostileConnectionsTests); 127.0.0.1 is exempt as the
                // trusted proxy, so only tests that connect from another loopback address meet the cap, which is above
                // the per-address bursts RateLimitTests sends from 127.0.0.2.
                Map.entry("vgate.connections.request-head-timeout", "2s"),
                Map.entry("vgate.connections.keep-alive-timeout", "4s"),
                Map.entry("vgate.connections.max-per-address", "48"),
                // The production throttle: HostileRequestsTests shows it keeps one client from flooding the log.
                Map.entry("vgate.metrics.rejection-log-interval", "10s"),
                Map.entry("quarkus.http.cors.enabled", "true"),
                Map.entry("quarkus.http.cors.origins", WEB_ORIGIN),
                // Credentials must stay out of every log line, debug included.
                Map.entry("quarkus.log.category.\"io.vgate\".level", "DEBUG"));
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(SecuredResources.class));
    }
}
