package io.vgate.security;

import static io.vgate.security.SecuredFixture.as;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.testing.Json;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stored responses belong to their creator: vLLM serves a stored response to anyone who names its id, so vgate
 * remembers which tenant created it, and another tenant's lookup, cancel or follow-up gets 404 from vgate,
 * without reaching vLLM.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class StoredResponsesOwnershipTests {

    private static final String OWNER = SecuredFixture.TEAM_A_KEY;
    private static final String OTHER = SecuredFixture.BATCH_KEY;

    private String model;

    @BeforeEach
    void findModel() {
        model = as(OWNER).get("/v1/models").jsonPath().getString("data[0].id");
    }

    private String create(String key) {
        Response created = as(key).contentType("application/json")
                .body(Map.of("model", model, "input", "Remember this.", "max_output_tokens", 4))
                .post("/v1/responses");
        assertThat(created.statusCode()).isEqualTo(200);
        return created.jsonPath().getString("id");
    }

    @Test
    void theCreatorReadsItsStoredResponse() {
        String id = create(OWNER);

        Response read = as(OWNER).get("/v1/responses/" + id);

        assertThat(id).matches("resp_[0-9a-f]{32}");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.jsonPath().getString("id")).isEqualTo(id);
    }

    @Test
    void anotherTenantGetsNotFoundForALookupACancelAndAFollowUp() {
        String id = create(OWNER);

        Response read = as(OTHER).get("/v1/responses/" + id);
        Response cancel = as(OTHER).post("/v1/responses/" + id + "/cancel");
        Response followUp = as(OTHER)
                .contentType("application/json")
                .body(Map.of("model", model, "input", "And then?", "previous_response_id", id))
                .post("/v1/responses");

        for (Response refused : new Response[] {read, cancel, followUp}) {
            assertThat(refused.statusCode()).isEqualTo(404);
            JsonNode error = Json.parse(refused.asString()).get("error");
            // vgate's own answer (a string code), not vLLM's (whose code is the integer 404).
            assertThat(error.get("code").asText()).isEqualTo("response_not_found");
            assertThat(error.get("message").asText()).isEqualTo("Response with id '" + id + "' not found.");
        }
        // The creator's follow-up goes through.
        Response own = as(OWNER)
                .contentType("application/json")
                .body(Map.of("model", model, "input", "And then?", "previous_response_id", id, "max_output_tokens", 4))
                .post("/v1/responses");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.jsonPath().getString("previous_response_id")).isEqualTo(id);
    }

    @Test
    void aClientCannotTakeAnotherTenantsResponseId() {
        String id = create(OWNER);

        Response taken = as(OTHER)
                .contentType("application/json")
                .body(Map.of("model", model, "input", "Overwrite it.", "request_id", id))
                .post("/v1/responses");

        assertThat(taken.statusCode()).isEqualTo(400);
        assertThat(Json.parse(taken.asString()).at("/error/param").asText()).isEqualTo("request_id");
        assertThat(as(OWNER).get("/v1/responses/" + id).jsonPath().getString("id"))
                .isEqualTo(id);
    }
}
