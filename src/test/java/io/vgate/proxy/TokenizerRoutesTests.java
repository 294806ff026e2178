package io.vgate.proxy;

import static io.vgate.proxy.TenantsProfile.USER_KEY;
import static io.vgate.proxy.TenantsProfile.as;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import jakarta.inject.Inject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code /tokenize} and {@code /detokenize}: vLLM leaves them open, vgate asks for a credential. */
@QuarkusTest
@TestProfile(TenantsProfile.class)
class TokenizerRoutesTests {

    @Inject
    VllmSimulator sim;

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/tokenize|{\"prompt\":\"Count these words please\"}",
                "/detokenize|{\"tokens\":[72,101,108,108,111]}"
            })
    void needACredentialAndAnswerAsVllmDoes(String path, String body) {
        RestAssured.given()
                .contentType("application/json")
                .body(body)
                .post(path)
                .then()
                .statusCode(401);

        String relayed = as(USER_KEY)
                .contentType("application/json")
                .body(body)
                .post(path)
                .then()
                .statusCode(200)
                .extract()
                .asString();
        String direct = RestAssured.given()
                .baseUri("http://" + sim.baseUri().getHost())
                .port(sim.baseUri().getPort())
                .contentType("application/json")
                .body(body)
                .post(path)
                .then()
                .statusCode(200)
                .extract()
                .asString();

        assertThat(Json.parse(relayed)).isEqualTo(Json.parse(direct));
    }
}
