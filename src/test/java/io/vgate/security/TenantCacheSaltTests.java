package io.vgate.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.PrometheusText;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With prefix-cache isolation on, vgate salts every generation request with its tenant: one tenant's prompt
 * never hits the cache another tenant's identical prompt filled (so prefix-cache timing reveals nothing across
 * tenants), while a tenant's own repeated prompt still does, whatever salt a client sends itself.
 */
@QuarkusTest
@TestProfile(TenantCacheSaltTests.Profile.class)
class TenantCacheSaltTests {

    /** vgate as deployed, with the tenant salt on. */
    public static class Profile extends SecuredProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            var overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("vgate.shaping.cache-salt.enabled", "true");
            overrides.put("vgate.shaping.cache-salt.key", "prefix-cache-isolation-test-key");
            return overrides;
        }
    }

    /** A prompt of many whole cache blocks. */
    private static final String SHARED = "The quarterly figures of the northern region. ".repeat(60);

    @jakarta.inject.Inject
    VllmSimulator sim;

    @Test
    void aTenantNeverHitsWhatAnotherTenantCachedButHitsItsOwnWhateverSaltItSends() {
        double start = hits();

        chat(SecuredFixture.TEAM_A_KEY, null);
        double afterFirst = hits();
        chat(SecuredFixture.BATCH_KEY, null);
        double afterOtherTenant = hits();
        chat(SecuredFixture.BATCH_KEY, "a-salt-of-its-own");
        double afterOwnSalt = hits();
        chat(SecuredFixture.TEAM_A_KEY, null);

        assertThat(afterFirst).as("the first prompt fills the cache").isEqualTo(start);
        assertThat(afterOtherTenant).as("another tenant, the same prompt").isEqualTo(afterFirst);
        assertThat(afterOwnSalt)
                .as("that tenant again, its own salt replaced by its tenant's")
                .isGreaterThan(afterOtherTenant);
        assertThat(hits()).as("the first tenant again").isGreaterThan(afterOwnSalt);
    }

    private void chat(String key, String salt) {
        var extra = new HashMap<String, Object>(Map.of("max_tokens", 1));
        if (salt != null) {
            extra.put("cache_salt", salt);
        }
        var response = SecuredFixture.as(key)
                .contentType("application/json")
                .body(Json.chat(SHARED, false, extra))
                .post("/v1/chat/completions");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
    }

    private double hits() {
        String metrics = RestAssured.given()
                .baseUri(sim.baseUri().toString())
                .get("/metrics")
                .asString();
        return PrometheusText.parse(metrics).sum("vllm:prefix_cache_hits_total", Map.of());
    }
}
