package io.vgate.proxy;

import static io.vgate.proxy.TenantsProfile.ADMIN_KEY;
import static io.vgate.proxy.TenantsProfile.USER_KEY;
import static io.vgate.proxy.TenantsProfile.as;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.smallrye.jwt.build.Jwt;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.OpenAiErrorSchema;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The LoRA administration routes: an admin credential only, whatever the body. */
@QuarkusTest
@TestProfile(TenantsProfile.class)
class AdminRoutesTests {

    @Inject
    VllmSimulator sim;

    @AfterEach
    void restoreSimulator() {
        sim.settings().reset();
    }

    @Test
    void anAdminLoadsAnAdapterAndVgateKnowsItBeforeTheAnswer() {
        sim.settings().serving().allowRuntimeLoraUpdating(true);
        String adapter = "sql-lora-" + System.nanoTime();

        Response loaded = as(ADMIN_KEY)
                .contentType("application/json")
                .body("{\"lora_name\":\"" + adapter + "\",\"lora_path\":\"adapters/sql\"}")
                .post("/v1/load_lora_adapter");

        assertThat(loaded.statusCode()).isEqualTo(200);
        assertThat(loaded.asString()).isEqualTo("Success: LoRA adapter '" + adapter + "' added successfully.");
        // Context fitting knows the adapter's window at once: the model list was read again before the 200.
        Response chat = as(USER_KEY)
                .contentType("application/json")
                .body("{\"model\":\"" + adapter + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        + "\"max_tokens\":100000}")
                .post("/v1/chat/completions");
        assertThat(chat.statusCode()).as(chat.asString()).isEqualTo(200);
        assertThat(chat.header("X-Vgate-Context")).isEqualTo("clamped");
        assertThat(as(USER_KEY).get("/v1/models").jsonPath().getList("data.id", String.class))
                .contains(adapter);

        Response unloaded = as(ADMIN_KEY)
                .contentType("application/json")
                .body("{\"lora_name\":\"" + adapter + "\"}")
                .post("/v1/unload_lora_adapter");

        assertThat(unloaded.statusCode()).isEqualTo(200);
        assertThat(as(USER_KEY).get("/v1/models").jsonPath().getList("data.id", String.class))
                .doesNotContain(adapter);
    }

    @Test
    void vllmsOwnRefusalReachesTheAdminUnchanged() {
        sim.settings().serving().allowRuntimeLoraUpdating(true);

        Response missing = as(ADMIN_KEY)
                .contentType("application/json")
                .body("{\"lora_name\":\"never-loaded\"}")
                .post("/v1/unload_lora_adapter");

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.jsonPath().getString("error.type")).isEqualTo("NotFoundError");
    }

    private static final String LOAD = "{\"lora_name\":\"sql-lora\",\"lora_path\":\"/adapters/sql\"}";

    private static String jwt(Object role) {
        var token = Jwt.issuer(TenantsProfile.ISSUER)
                .audience(TenantsProfile.AUDIENCE)
                .subject("ops-" + role)
                .expiresIn(300);
        if (role != null) {
            token.claim("role", role);
        }
        return token.sign(TenantsProfile.signingKey());
    }

    private static void assertForbidden(Response response) {
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(OpenAiErrorSchema.assertValid(response.asString())
                        .get("code")
                        .asText())
                .isEqualTo("permission_denied");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/load_lora_adapter", "/v1/unload_lora_adapter"})
    void aUserCredentialGetsForbidden(String path) {
        assertForbidden(as(USER_KEY).contentType("application/json").body(LOAD).post(path));
        assertForbidden(as(jwt(null)).contentType("application/json").body(LOAD).post(path));
        assertForbidden(
                as(jwt("user")).contentType("application/json").body(LOAD).post(path));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/load_lora_adapter", "/v1/unload_lora_adapter"})
    void noCredentialIsUnauthorisedFirst(String path) {
        RestAssured.given()
                .contentType("application/json")
                .body(LOAD)
                .post(path)
                .then()
                .statusCode(401);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/load_lora_adapter", "/v1/unload_lora_adapter"})
    void anAdminCredentialReachesVllm(String path) {
        for (String credential : new String[] {ADMIN_KEY, jwt("admin"), jwt(java.util.List.of("reader", "admin"))}) {
            Response response =
                    as(credential).contentType("application/json").body(LOAD).post(path);

            assertThat(response.statusCode()).as(credential).isNotIn(401, 403);
        }
    }
}
