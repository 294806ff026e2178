package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every OpenAI route through vgate against the simulator: what the client gets is what vLLM sent.
 */
@QuarkusTest
class OpenAiRoutesTests {

    @Inject
    VllmSimulator sim;

    @AfterEach
    void restoreSimulator() {
        sim.settings().reset();
    }

    @Test
    void listsTheServedModelsWithTheirContextLength() {
        JsonNode models = Json.parse(given().get("/v1/models")
                .then()
                .statusCode(200)
                .contentType("application/json")
                .extract()
                .asString());

        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.at("/data/0/max_model_len").asInt())
                .isEqualTo(sim.settings().maxModelLen());
        assertThat(withoutVolatileFields(models))
                .isEqualTo(withoutVolatileFields(
                        Json.parse(given().baseUri(sim.baseUri().toString())
                                .port(sim.baseUri().getPort())
                                .get("/v1/models")
                                .asString())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v1/completions", "/v1/embeddings"})
    void relaysNonStreamingAnswersUnchanged(String path) {
        String body = switch (path) {
            case "/v1/chat/completions" -> Json.chat("Tell me about relays.", false, Map.of("max_tokens", 12));
            case "/v1/completions" -> "{\"prompt\":\"Once upon a time\",\"max_tokens\":9}";
            default -> "{\"input\":[\"first text\",\"second text\"]}";
        };
        String requestId = "same-" + UUID.randomUUID();

        Response direct = post(true, path, body, requestId);
        Response relayed = post(false, path, body, requestId);

        assertThat(relayed.statusCode()).isEqualTo(200);
        assertThat(relayed.contentType()).isEqualTo(direct.contentType());
        assertThat(relayed.header("X-Request-Id")).isEqualTo(requestId);
        assertThat(withoutVolatileFields(Json.parse(relayed.asString())))
                .isEqualTo(withoutVolatileFields(Json.parse(direct.asString())));
        assertThat(Json.parse(relayed.asString()).get("id").asText()).endsWith(requestId);
    }

    @Test
    void generatesARequestIdAndSendsItToVllm() {
        Response response = given().contentType("application/json")
                .body(Json.chat("hi", false, Map.of("max_tokens", 2)))
                .post("/v1/chat/completions");

        String id = response.header("X-Request-Id");
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(Json.parse(response.asString()).get("id").asText()).isEqualTo("chatcmpl-" + id);
    }

    @Test
    void replacesAnUnsafeClientRequestId() {
        Response response = given().contentType("application/json")
                .header("X-Request-Id", "bad id;<script>")
                .body(Json.chat("hi", false, Map.of("max_tokens", 2)))
                .post("/v1/chat/completions");

        assertThat(response.header("X-Request-Id")).matches("[0-9a-f]{32}");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream_options\":{\"include_usage\":true}}",
                // An oversized max_tokens no longer reaches vLLM: context fitting clamps it
                // (vgate.shaping.context.policy).
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":-1}"
            })
    void passesVllmErrorsThroughUnchanged(String body) {
        Response direct = post(true, "/v1/chat/completions", body, "err-1");
        Response relayed = post(false, "/v1/chat/completions", body, "err-1");

        assertThat(direct.statusCode()).isBetween(400, 499);
        assertThat(relayed.statusCode()).isEqualTo(direct.statusCode());
        assertThat(relayed.asString()).isEqualTo(direct.asString());
    }

    @Test
    void rejectsMalformedJsonItself() {
        String body = given().contentType("application/json")
                .body("{\"messages\": [")
                .post("/v1/chat/completions")
                .then()
                .statusCode(400)
                .extract()
                .asString();

        JsonNode error = OpenAiErrorSchema.assertValid(body);
        assertThat(error.get("code").asText()).isEqualTo("invalid_json");
    }

    @Test
    void rejectsANonJsonContentType() {
        String body = given().contentType("text/plain")
                .body("{\"prompt\":\"x\"}")
                .post("/v1/completions")
                .then()
                .statusCode(415)
                .extract()
                .asString();

        assertThat(OpenAiErrorSchema.assertValid(body).get("code").asText()).isEqualTo("unsupported_media_type");
    }

    @Test
    void rejectsABodyOverTheSizeLimit() {
        String huge = "{\"prompt\":\"" + "a".repeat(9 * 1024 * 1024) + "\"}";

        String body = given().contentType("application/json")
                .body(huge)
                .post("/v1/completions")
                .then()
                .statusCode(413)
                .extract()
                .asString();

        assertThat(OpenAiErrorSchema.assertValid(body).get("code").asText()).isEqualTo("request_too_large");
    }

    @Test
    void answersUnknownRoutesAndMethodsInOpenAiShape() {
        String unknown =
                given().get("/v1/engines").then().statusCode(404).extract().asString();
        String wrongMethod = given().delete("/v1/chat/completions")
                .then()
                .statusCode(405)
                .extract()
                .asString();

        assertThat(OpenAiErrorSchema.assertValid(unknown).get("code").asText()).isEqualTo("unknown_url");
        assertThat(OpenAiErrorSchema.assertValid(wrongMethod).get("code").asText())
                .isEqualTo("method_not_allowed");
    }

    @Test
    void neverForwardsRoutesOutsideTheOpenAiApi() {
        given().contentType("application/json")
                .body("{\"prompt\":\"x\"}")
                .post("/v1/tokenize")
                .then()
                .statusCode(404);
        given().contentType("application/json")
                .body("{\"method\":\"x\"}")
                .post("/collective_rpc")
                .then()
                .statusCode(404);
    }

    private Response post(boolean direct, String path, String body, String requestId) {
        var request = given().contentType("application/json")
                .header("X-Request-Id", requestId)
                .body(body);
        if (direct) {
            request.baseUri("http://" + sim.baseUri().getHost())
                    .port(sim.baseUri().getPort());
        }
        return request.post(path);
    }

    /** Drops what differs between two identical requests: timestamps and random permission ids. */
    static JsonNode withoutVolatileFields(JsonNode node) {
        JsonNode copy = node.deepCopy();
        strip(copy);
        return copy;
    }

    private static void strip(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove("created");
            if (object.has("id") && object.get("id").asText().startsWith("modelperm-")) {
                object.remove("id");
            }
            object.forEach(OpenAiRoutesTests::strip);
        } else if (node.isArray()) {
            node.forEach(OpenAiRoutesTests::strip);
        }
    }
}
