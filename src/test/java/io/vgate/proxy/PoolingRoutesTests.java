package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.Management;
import io.vgate.testing.PrometheusText;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pooling family through vgate against the simulator playing a pooling model: each route answers as vLLM does,
 * under the path the client used, and is counted under its own label with the prompt tokens of its own usage.
 */
@QuarkusTest
class PoolingRoutesTests {

    private static final String RERANK = "{\"query\":\"capital of France\","
            + "\"documents\":[\"Paris is the capital of France.\",\"Berlin is in Germany.\"]}";

    @Inject
    VllmSimulator sim;

    @AfterEach
    void restoreSimulator() {
        sim.settings().reset();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "score|/v1/rerank|rerank|" + RERANK + "|/usage/prompt_tokens",
                "score|/rerank|rerank|" + RERANK + "|/usage/prompt_tokens",
                "score|/v2/rerank|rerank|" + RERANK + "|/usage/prompt_tokens",
                "score|/v1/score|score|{\"queries\":\"a cat\",\"documents\":[\"a dog\",\"a cat\"]}|/usage/prompt_tokens",
                "score|/score|score|{\"queries\":\"a cat\",\"documents\":[\"a dog\"]}|/usage/prompt_tokens",
                "classify|/classify|classify|{\"input\":\"I love it\"}|/usage/prompt_tokens",
                "embed|/pooling|pooling|{\"input\":\"alpha beta\"}|/usage/prompt_tokens",
                "embed|/v2/embed|embed_v2|{\"texts\":[\"hello world\"],\"input_type\":\"search_document\","
                        + "\"embedding_types\":[\"float\"]}|/meta/billed_units/input_tokens"
            })
    void answersAsVllmAndCountsThePromptTokensUnderItsLabel(
            String task, String path, String label, String body, String usage) {
        sim.settings().serving().task(task);
        String requestId = "pool-" + UUID.randomUUID();
        double tokensBefore = tokens(label);
        double requestsBefore = requests(label);

        Response relayed = post(false, path, body, requestId);
        Response direct = post(true, path, body, requestId);

        assertThat(relayed.statusCode()).as(relayed.asString()).isEqualTo(200);
        assertThat(relayed.header("X-Request-Id")).isEqualTo(requestId);
        JsonNode answer = Json.parse(relayed.asString());
        assertThat(comparable(answer)).isEqualTo(comparable(Json.parse(direct.asString())));
        long prompt = answer.at(usage).asLong();
        assertThat(prompt).isPositive();
        assertThat(requests(label) - requestsBefore).isEqualTo(1.0);
        assertThat(tokens(label) - tokensBefore).isEqualTo((double) prompt);
    }

    /** Without what differs between two identical requests: timestamps, and /v2/embed's random id. */
    private static JsonNode comparable(JsonNode answer) {
        JsonNode copy = OpenAiRoutesTests.withoutVolatileFields(answer);
        if (copy.path("id").asText().startsWith("embd-")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) copy).remove("id");
        }
        return copy;
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

    private static double tokens(String route) {
        return scrape().sum("gen_ai_client_token_usage_sum", Map.of("route", route, "gen_ai_token_type", "input"));
    }

    private static double requests(String route) {
        return scrape().sum("vgate_requests_total", Map.of("route", route, "status_class", "2xx"));
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
