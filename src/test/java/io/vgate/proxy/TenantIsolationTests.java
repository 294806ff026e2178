package io.vgate.proxy;

import static io.vgate.proxy.TenantsProfile.ALIAS;
import static io.vgate.proxy.TenantsProfile.ALIAS_ONLY_KEY;
import static io.vgate.proxy.TenantsProfile.BASE_MODEL;
import static io.vgate.proxy.TenantsProfile.BASE_ONLY_KEY;
import static io.vgate.proxy.TenantsProfile.OTHER_MODEL;
import static io.vgate.proxy.TenantsProfile.USER_KEY;
import static io.vgate.proxy.TenantsProfile.as;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.smallrye.jwt.build.Jwt;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What vLLM does not do itself: keep tenants apart. A key or token with a model allowlist sees and uses only
 * those models, every other model (existing or not) gets the same 404; aliases reach their served model.
 */
@QuarkusTest
@TestProfile(TenantsProfile.class)
class TenantIsolationTests {

    @Inject
    VllmSimulator sim;

    private static String chat(String model) {
        var body = new java.util.LinkedHashMap<String, Object>();
        if (model != null) {
            body.put("model", model);
        }
        body.put("messages", List.of(Map.of("role", "user", "content", "Hello there")));
        body.put("max_tokens", 3);
        return Json.write(body);
    }

    private static Response chatAs(String credential, String model) {
        return as(credential).contentType("application/json").body(chat(model)).post("/v1/chat/completions");
    }

    private static List<String> listedModels(String credential) {
        JsonNode list = Json.parse(as(credential)
                .get("/v1/models")
                .then()
                .statusCode(200)
                .extract()
                .asString());
        List<String> ids = new ArrayList<>();
        list.get("data").forEach(card -> ids.add(card.get("id").asText()));
        return ids;
    }

    private static JsonNode notFound(Response response) {
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = OpenAiErrorSchema.assertValid(response.asString());
        assertThat(error.get("code").asText()).isEqualTo("model_not_found");
        return error;
    }

    private static String jwt(Object models) {
        var token = Jwt.issuer(TenantsProfile.ISSUER)
                .audience(TenantsProfile.AUDIENCE)
                .subject("svc-" + models.hashCode())
                .claim("tenant", "jwt-tenant")
                .expiresIn(300);
        if (models != null) {
            token.claim("models", models);
        }
        return token.sign(TenantsProfile.signingKey());
    }

    @Test
    void anUnrestrictedKeyUsesAndSeesEveryModel() {
        assertThat(listedModels(USER_KEY)).containsExactly(BASE_MODEL, OTHER_MODEL);
        chatAs(USER_KEY, OTHER_MODEL).then().statusCode(200);
        chatAs(USER_KEY, BASE_MODEL).then().statusCode(200);
    }

    @Test
    void aModelOutsideTheAllowlistLooksExactlyLikeOneThatDoesNotExist() {
        chatAs(BASE_ONLY_KEY, BASE_MODEL).then().statusCode(200);

        JsonNode forbidden = notFound(chatAs(BASE_ONLY_KEY, OTHER_MODEL));
        JsonNode missing = notFound(chatAs(BASE_ONLY_KEY, "no-such-model"));

        assertThat(forbidden.get("message").asText())
                .isEqualTo(missing.get("message").asText().replace("no-such-model", OTHER_MODEL));
        assertThat(forbidden.get("type")).isEqualTo(missing.get("type"));
        assertThat(forbidden.get("param")).isEqualTo(missing.get("param"));
    }

    @Test
    void theModelListShowsOnlyTheAllowedModels() {
        assertThat(listedModels(BASE_ONLY_KEY)).containsExactly(BASE_MODEL);
    }

    @Test
    void aRestrictedCallerWhoNamesNoModelGetsTheDefaultOnlyIfAllowed() {
        chatAs(BASE_ONLY_KEY, null).then().statusCode(200);

        notFound(chatAs(jwt(List.of(OTHER_MODEL)), null));
    }

    @Test
    void theAllowlistCoversTheOtherModelRoutesToo() {
        notFound(as(BASE_ONLY_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + OTHER_MODEL + "\",\"prompt\":\"hi\"}")
                .post("/tokenize"));
        as(BASE_ONLY_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + BASE_MODEL + "\",\"prompt\":\"hi\"}")
                .post("/tokenize")
                .then()
                .statusCode(200);
        notFound(as(BASE_ONLY_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + OTHER_MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":2}")
                .post("/v1/completions"));
    }

    @Test
    void aJwtModelsClaimIsAnAllowlist() {
        String token = jwt(List.of(OTHER_MODEL));

        assertThat(listedModels(token)).containsExactly(OTHER_MODEL);
        chatAs(token, OTHER_MODEL).then().statusCode(200);
        notFound(chatAs(token, BASE_MODEL));
    }

    @Test
    void aJwtModelsClaimMayBeOneStringOfNames() {
        String token = jwt(BASE_MODEL + " " + OTHER_MODEL);

        assertThat(listedModels(token)).containsExactly(BASE_MODEL, OTHER_MODEL);
        notFound(chatAs(token, "third-model"));
    }

    @Test
    void anAliasIsSentToItsServedModel() {
        chatAs(USER_KEY, ALIAS).then().statusCode(200);

        // vLLM itself does not know the alias: vgate rewrote it.
        RestAssured.given()
                .baseUri("http://" + sim.baseUri().getHost())
                .port(sim.baseUri().getPort())
                .contentType("application/json")
                .body(chat(ALIAS))
                .post("/v1/chat/completions")
                .then()
                .statusCode(404);
    }

    @Test
    void vllmSeesTheServedNameOfAnAlias() {
        Response response = chatAs(USER_KEY, TenantsProfile.GHOST_ALIAS);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(Json.parse(response.asString()).at("/error/message").asText())
                .contains(TenantsProfile.GHOST_MODEL)
                .doesNotContain(TenantsProfile.GHOST_ALIAS);
    }

    @Test
    void anAllowlistedAliasReachesItsModelButNotTheOthers() {
        chatAs(ALIAS_ONLY_KEY, ALIAS).then().statusCode(200);
        notFound(chatAs(ALIAS_ONLY_KEY, BASE_MODEL));
        assertThat(listedModels(ALIAS_ONLY_KEY)).as("aliases are not listed").isEmpty();
    }

    @Test
    void aliasesAreNotListed() {
        assertThat(listedModels(USER_KEY)).doesNotContain(ALIAS);
    }

    @Test
    void anUploadNamingAModelOutsideTheAllowlistIsRefusedEvenAfterTheFile() {
        String boundary = "tenants-upload";
        String form = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n" + "x".repeat(20_000) + "\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + OTHER_MODEL + "\r\n--" + boundary
                + "--\r\n";
        long received = sim.received();

        Response response = as(BASE_ONLY_KEY)
                .contentType("multipart/form-data; boundary=" + boundary)
                .body(form.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
                .post("/v1/audio/transcriptions");

        notFound(response);
        assertThat(sim.received()).isEqualTo(received);
    }
}
