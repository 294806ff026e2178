package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.testing.Management;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.PrometheusText;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * vgate is the door to vLLM's inference routes and to nothing else: vLLM's control and utility routes get
 * vgate's own 404 and never reach the upstream, which here only listens and records. Table routes go to vLLM
 * under the path the client used.
 */
@QuarkusTest
@TestProfile(RecordingUpstream.Profile.class)
class ClosedRoutesTests {

    @ConfigProperty(name = "vgate.upstream.url")
    String upstream;

    private List<String> recorded() {
        String lines = given().baseUri(upstream)
                .get("/__recorded")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return lines.isEmpty() ? List.of() : Arrays.asList(lines.split("\n"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/pause",
                "/resume",
                "/sleep",
                "/wake_up",
                "/is_sleeping",
                "/collective_rpc",
                "/invocations",
                "/reset_prefix_cache",
                "/metrics",
                "/server_info",
                "/health",
                "/ping",
                "/version",
                "/load",
                "/scale_elastic_ep",
                "/update_weights",
                "/start_profile",
                "/generative_scoring",
                "/v1/realtime",
                "/v1/chat/completions/render",
                "/inference/v1/generate",
                "/v2/tokenize",
                "/tokenize/../pause"
            })
    void vllmsOtherRoutesNeverReachIt(String path) {
        String id = "closed-" + UUID.randomUUID();
        for (String method : new String[] {"GET", "POST"}) {
            Response response = given().contentType("application/json")
                    .header("X-Request-Id", id)
                    .body("{}")
                    .request(method, path);

            assertThat(response.statusCode()).as(method + " " + path).isEqualTo(404);
            assertThat(OpenAiErrorSchema.assertValid(response.asString())
                            .get("code")
                            .asText())
                    .isEqualTo("unknown_url");
        }
        assertThat(recorded()).noneMatch(line -> line.contains(id) || line.contains("pause"));
    }

    @Test
    void aWrongMethodOnATablePathIsNotForwardedEither() {
        Response response = given().header("X-Request-Id", "wrong-method-1").get("/v1/rerank");

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(recorded()).noneMatch(line -> line.contains("wrong-method-1") || line.startsWith("GET /v1/rerank"));
    }

    @Test
    void anOddResponseIdIsNotForwarded() {
        given().get("/v1/responses/a%20b").then().statusCode(404);
        given().post("/v1/responses/..%2F..%2Fpause/cancel").then().statusCode(404);

        assertThat(recorded()).noneMatch(line -> line.contains("/v1/responses/"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/rerank", "/rerank", "/v2/rerank", "/v1/score", "/score", "/classify", "/pooling"})
    void poolingRoutesGoToVllmUnderThePathTheClientUsed(String path) {
        given().contentType("application/json")
                .body("{\"model\":\"" + RecordingUpstream.MODEL + "\",\"query\":\"q\",\"documents\":[\"d\"]}")
                .post(path)
                .then()
                .statusCode(200);

        assertThat(recorded()).anyMatch(line -> line.startsWith("POST " + path + " id="));
    }

    @Test
    void poolingRoutesAreCountedUnderTheirOwnLabelWithTheirPromptTokens() {
        double rerankBefore = tokens("rerank");
        double embedBefore = tokens("embed_v2");

        for (String path : new String[] {"/v2/rerank", "/rerank"}) {
            given().contentType("application/json")
                    .body("{\"model\":\"" + RecordingUpstream.MODEL + "\",\"query\":\"q\",\"documents\":[\"d\"]}")
                    .post(path)
                    .then()
                    .statusCode(200);
        }
        given().contentType("application/json")
                .body("{\"model\":\"" + RecordingUpstream.MODEL + "\",\"texts\":[\"hello\"]}")
                .post("/v2/embed")
                .then()
                .statusCode(200);

        assertThat(tokens("rerank") - rerankBefore).isEqualTo(26.0);
        assertThat(tokens("embed_v2") - embedBefore).isEqualTo(11.0);
        assertThat(scrape().sum("vgate_requests_total", Map.of("route", "rerank", "status_class", "2xx")))
                .isGreaterThanOrEqualTo(2.0);
    }

    @Test
    void tokenizeIsForwardedWithoutAQueueSlot() {
        given().contentType("application/json")
                .body("{\"prompt\":\"hi\"}")
                .post("/tokenize")
                .then()
                .statusCode(200);

        assertThat(recorded()).anyMatch(line -> line.startsWith("POST /tokenize id="));
    }

    private static double tokens(String route) {
        return scrape().sum("gen_ai_client_token_usage_sum", Map.of("route", route, "gen_ai_token_type", "input"));
    }

    private static PrometheusText scrape() {
        return PrometheusText.parse(Management.given()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString());
    }
}
