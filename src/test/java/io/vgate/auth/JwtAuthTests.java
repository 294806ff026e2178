package io.vgate.auth;

import static io.vgate.security.SecuredFixture.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import io.vgate.security.SecuredFixture;
import io.vgate.security.SecuredProfile;
import io.vgate.testing.RecordingObserver;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * JWTs from an identity provider: signature, expiry, issuer and audience are all checked, and a claim
 * names the tenant. The tests sign their own tokens with the key pair the application was given.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class JwtAuthTests {

    @Inject
    RecordingObserver observer;

    @Test
    void acceptsAValidTokenAndMapsItsClaims() {
        String token = valid("alice@example.com")
                .claim("tenant", "research")
                .claim("priority", "batch")
                .sign(SecuredFixture.signingKey());

        RecordingObserver.Facts facts = call(token, 200);

        assertThat(facts.tenant()).isEqualTo("research");
        assertThat(facts.keyId()).isEqualTo("alice@example.com");
        assertThat(facts.priority()).isEqualTo("batch");
    }

    @Test
    void fallsBackToTheSubjectWhenThereIsNoTenantClaim() {
        String token = valid("svc-reporting").claim("priority", "urgent").sign(SecuredFixture.signingKey());

        RecordingObserver.Facts facts = call(token, 200);

        assertThat(facts.tenant()).isEqualTo("svc-reporting");
        assertThat(facts.priority()).as("unknown priority classes fall back").isEqualTo("interactive");
    }

    @Test
    void rejectsAnExpiredToken() {
        long now = Instant.now().getEpochSecond();
        String token = valid("bob").issuedAt(now - 7200).expiresAt(now - 3600).sign(SecuredFixture.signingKey());

        ApiKeyAuthTests.assertUnauthorized(as(token).get("/v1/models"));
    }

    @Test
    void rejectsATokenSignedByAnotherKey() {
        String token = valid("mallory").sign(SecuredFixture.forgerKey());

        ApiKeyAuthTests.assertUnauthorized(as(token).get("/v1/models"));
    }

    @Test
    void rejectsATokenWhosePayloadWasChanged() {
        String[] parts = valid("eve")
                .claim("tenant", "small")
                .sign(SecuredFixture.signingKey())
                .split("\\.");
        String payload =
                new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("small", "admin");
        String tampered = parts[0] + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "."
                + parts[2];

        ApiKeyAuthTests.assertUnauthorized(as(tampered).get("/v1/models"));
    }

    @Test
    void rejectsAnUnsignedToken() {
        String header =
                Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes());
        String claims = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(("{\"iss\":\"" + SecuredFixture.ISSUER + "\",\"aud\":\"vgate\",\"sub\":\"x\",\"exp\":"
                                + (Instant.now().getEpochSecond() + 600) + "}")
                        .getBytes());

        ApiKeyAuthTests.assertUnauthorized(as(header + "." + claims + ".AA").get("/v1/models"));
    }

    @Test
    void rejectsAnHmacTokenKeyedWithThePublicKey() throws Exception {
        // The classic algorithm confusion: HS256 with the RSA public key as the shared secret.
        String publicPem = Files.readString(SecuredFixture.JWT_PUBLIC_KEY);
        String token = valid("oscar").signWithSecret(publicPem + publicPem);

        ApiKeyAuthTests.assertUnauthorized(as(token).get("/v1/models"));
    }

    @Test
    void rejectsATokenFromAnotherIssuer() {
        String token = Jwt.issuer("https://other-idp.example.test")
                .audience(SecuredFixture.AUDIENCE)
                .subject("trent")
                .expiresIn(300)
                .sign(SecuredFixture.signingKey());

        ApiKeyAuthTests.assertUnauthorized(as(token).get("/v1/models"));
    }

    @Test
    void rejectsATokenMeantForAnotherService() {
        String token = Jwt.issuer(SecuredFixture.ISSUER)
                .audience("billing")
                .subject("trent")
                .expiresIn(300)
                .sign(SecuredFixture.signingKey());
        String noAudience = Jwt.issuer(SecuredFixture.ISSUER)
                .subject("trent")
                .expiresIn(300)
                .sign(SecuredFixture.signingKey());

        ApiKeyAuthTests.assertUnauthorized(as(token).get("/v1/models"));
        ApiKeyAuthTests.assertUnauthorized(as(noAudience).get("/v1/models"));
    }

    private static JwtClaimsBuilder valid(String subject) {
        return Jwt.issuer(SecuredFixture.ISSUER)
                .audience(SecuredFixture.AUDIENCE)
                .subject(subject)
                .expiresIn(300);
    }

    private RecordingObserver.Facts call(String token, int status) {
        String requestId = "jwt-" + UUID.randomUUID();
        as(token).header("X-Request-Id", requestId).get("/v1/models").then().statusCode(status);
        return await().atMost(Duration.ofSeconds(5)).until(() -> observer.get(requestId), found -> found != null);
    }
}
