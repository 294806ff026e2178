package io.vgate.auth;

import static io.vgate.security.SecuredFixture.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.smallrye.jwt.build.Jwt;
import io.vgate.security.SecuredFixture;
import io.vgate.security.SecuredProfile;
import io.vgate.testing.Json;
import io.vgate.testing.LogCapture;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.RecordingObserver;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * API keys: hashed in a file, looked up per request, rotated without a restart; every failure looks the
 * same and says nothing about which keys exist.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class ApiKeyAuthTests {

    private static final String CHAT = Json.chat("Hello", false, Map.of("max_tokens", 3));

    @Inject
    RecordingObserver observer;

    @Inject
    ApiKeyStore keys;

    @AfterEach
    void restoreKeysFile() throws IOException {
        if (!Files.readString(SecuredFixture.KEYS_FILE).equals(SecuredFixture.KEYS_YAML)) {
            replaceKeysFile(SecuredFixture.KEYS_YAML);
            await().atMost(Duration.ofSeconds(10)).until(() -> keys.size() == 6);
        }
    }

    @Test
    void acceptsAKeyAndRecordsWhoCalled() {
        String requestId = "auth-" + UUID.randomUUID();
        as(SecuredFixture.BATCH_KEY)
                .header("X-Request-Id", requestId)
                .contentType("application/json")
                .body(CHAT)
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        RecordingObserver.Facts facts =
                await().atMost(Duration.ofSeconds(5)).until(() -> observer.get(requestId), found -> found != null);
        assertThat(facts.tenant()).isEqualTo("team-b");
        assertThat(facts.keyId()).isEqualTo("team-b-batch");
        assertThat(facts.priority()).isEqualTo("batch");
        assertThat(facts.errorCode()).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Bearer",
                "Bearer ",
                "Basic dXNlcjpwYXNz",
                "Bearer vgk-not-a-key",
                "Bearer vgk-team-a-3f9c2d71b8e04a6",
                "Bearer vgk-team-a-3f9c2d71b8e04a65x",
                "Token vgk-team-a-3f9c2d71b8e04a65",
                "Bearer a.b.c",
                "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
            })
    void rejectsEveryBadCredentialTheSameWay(String authorization) {
        var request = SecuredFixture.from(SecuredFixture.freshAddress());
        if (!authorization.isEmpty()) {
            request.header("Authorization", authorization);
        }
        Response response = request.contentType("application/json").body(CHAT).post("/v1/chat/completions");

        assertUnauthorized(response);
    }

    @Test
    void failuresAreIdenticalWhateverWasSent() {
        Response missing = SecuredFixture.from(SecuredFixture.freshAddress()).get("/v1/models");
        Response unknown = as("vgk-unknown-0000000000000").get("/v1/models");
        Response nearMiss = as(SecuredFixture.TEAM_A_KEY.substring(0, SecuredFixture.TEAM_A_KEY.length() - 1) + "0")
                .get("/v1/models");

        assertThat(missing.asString()).isEqualTo(unknown.asString()).isEqualTo(nearMiss.asString());
        assertThat(missing.header("WWW-Authenticate")).isEqualTo(unknown.header("WWW-Authenticate"));
    }

    @Test
    void acceptsTheBearerSchemeInAnyCase() {
        SecuredFixture.from(SecuredFixture.freshAddress())
                .header("Authorization", "bearer " + SecuredFixture.TEAM_A_KEY)
                .get("/v1/models")
                .then()
                .statusCode(200);
    }

    @Test
    void leavesHealthAndMetricsOpen() {
        io.vgate.testing.Management.given().get("/q/health/live").then().statusCode(200);
        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(200);
        io.vgate.testing.Management.given().get("/q/metrics").then().statusCode(200);
    }

    @Test
    void reloadsTheKeysFileWhenASecretUpdateSwapsIt() throws IOException {
        String newKey = "vgk-rotated-" + UUID.randomUUID();
        String rotated = SecuredFixture.KEYS_YAML.replace(
                SecuredFixture.hash(SecuredFixture.TEAM_A_KEY), SecuredFixture.hash(newKey));

        replaceKeysFile(rotated);

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> as(newKey).get("/v1/models").then().statusCode(200));
        assertUnauthorized(as(SecuredFixture.TEAM_A_KEY).get("/v1/models"));
    }

    @Test
    void keepsTheKeysItHasWhenTheNewFileIsBroken() throws IOException {
        double failuresBefore = reloadFailures();

        replaceKeysFile(SecuredFixture.KEYS_YAML + "- id: broken\n  tenant: x\n  hash: md5:abc\n");

        await().atMost(Duration.ofSeconds(10)).until(() -> reloadFailures() > failuresBefore);
        as(SecuredFixture.TEAM_A_KEY).get("/v1/models").then().statusCode(200);
        assertThat(keys.size()).isEqualTo(6);
    }

    @Test
    void neverLogsKeysOrTokens() {
        String guessed = "vgk-guessed-" + UUID.randomUUID();
        String token = Jwt.issuer(SecuredFixture.ISSUER)
                .audience(SecuredFixture.AUDIENCE)
                .subject("logger-test")
                .expiresIn(300)
                .sign(SecuredFixture.signingKey());
        String forged = Jwt.issuer(SecuredFixture.ISSUER)
                .audience(SecuredFixture.AUDIENCE)
                .subject("logger-test")
                .expiresIn(300)
                .sign(SecuredFixture.forgerKey());

        try (LogCapture log = LogCapture.start()) {
            as(SecuredFixture.TEAM_A_KEY)
                    .contentType("application/json")
                    .body(CHAT)
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(200);
            as(guessed).get("/v1/models").then().statusCode(401);
            as(token).get("/v1/models").then().statusCode(200);
            as(forged).get("/v1/models").then().statusCode(401);
            as(SecuredFixture.TEAM_A_KEY)
                    .contentType("application/json")
                    .body("{\"messages\": [")
                    .post("/v1/chat/completions")
                    .then()
                    .statusCode(400);

            assertThat(log.lines())
                    .as("the requests above were logged at debug level or not at all, never with credentials")
                    .noneMatch(line -> line.contains(SecuredFixture.TEAM_A_KEY)
                            || line.contains(guessed)
                            || line.contains(token.substring(token.lastIndexOf('.') + 1))
                            || line.contains(forged.substring(forged.lastIndexOf('.') + 1))
                            || line.contains(token.substring(0, token.indexOf('.', token.indexOf('.') + 1))));
        }
    }

    static void assertUnauthorized(Response response) {
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"vgate\"");
        JsonNode error = OpenAiErrorSchema.assertValid(response.asString());
        assertThat(error.get("type").asText()).isEqualTo("authentication_error");
        assertThat(error.get("code").asText()).isEqualTo("invalid_api_key");
        assertThat(response.asString()).doesNotContain("vgk-").doesNotContain("team-");
    }

    private static void replaceKeysFile(String content) {
        SecuredFixture.updateSecret(content);
    }

    private static double reloadFailures() {
        String metrics = io.vgate.testing.Management.given().get("/q/metrics").asString();
        return metrics.lines()
                .filter(line ->
                        line.startsWith("vgate_auth_keys_reloads_total{") && line.contains("result=\"failure\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
