package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ServerRoutesTests extends SimSuite {

    @Test
    void listsOneModelCardPerServedName() {
        HttpResponse<String> response = client.get("/v1/models");

        JsonNode body = SimClient.parse(response.body());
        assertThat(SimClient.fieldNames(body)).containsExactly("object", "data");
        assertThat(body.get("data")).hasSize(1);
        JsonNode card = body.get("data").get(0);
        assertThat(SimClient.fieldNames(card))
                .containsExactly(
                        "id", "object", "created", "owned_by", "root", "parent", "max_model_len", "permission");
        assertThat(card.get("id").asText()).isEqualTo("vgate-sim-llama-3-8b");
        assertThat(card.get("owned_by").asText()).isEqualTo("vllm");
        assertThat(card.get("root").asText()).isEqualTo("vgate-sim-llama-3-8b");
        assertThat(card.get("max_model_len").asInt()).isEqualTo(4096);
        JsonNode permission = card.get("permission").get(0);
        assertThat(permission.get("id").asText()).matches("modelperm-[0-9a-f]{32}");
        assertThat(SimClient.fieldNames(permission))
                .containsExactly(
                        "id",
                        "object",
                        "created",
                        "allow_create_engine",
                        "allow_sampling",
                        "allow_logprobs",
                        "allow_search_indices",
                        "allow_view",
                        "allow_fine_tuning",
                        "organization",
                        "group",
                        "is_blocking");
    }

    @Test
    void answersHealthAndPingWithAnEmptyBody() {
        HttpResponse<String> health = client.get("/health");
        HttpResponse<String> pingGet = client.get("/ping");
        HttpResponse<String> pingPost = client.post("/ping", "{}");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEmpty();
        assertThat(pingGet.statusCode()).isEqualTo(200);
        assertThat(pingPost.statusCode()).isEqualTo(200);
        assertThat(pingPost.body()).isEmpty();
    }

    @Test
    void reportsVersionAndLoad() {
        assertThat(SimClient.parse(client.get("/version").body()).get("version").asText())
                .matches("\\d+\\.\\d+\\.\\d+");
        assertThat(client.get("/load").body()).isEqualTo("{\"server_load\":0}");
    }

    @Test
    void echoesTheRequestIdHeader() {
        HttpResponse<String> response = client.post(
                "/v1/completions",
                "{\"prompt\":\"Hi\",\"max_tokens\":1}",
                "content-type",
                "application/json",
                "X-Request-Id",
                "trace-42");

        assertThat(response.headers().firstValue("x-request-id")).hasValue("trace-42");
        assertThat(SimClient.parse(response.body()).get("id").asText()).isEqualTo("cmpl-trace-42");
    }

    @Test
    void readsAndChangesSettingsOverHttp() {
        JsonNode before = SimClient.parse(client.get("/sim/settings").body());

        HttpResponse<String> changed = client.post(
                "/sim/settings",
                "{\"inter-token-latency\":\"20ms\",\"mode\":\"echo\",\"faults\":{\"error-rate\":0.5}}");
        HttpResponse<String> rejected =
                client.post("/sim/settings", "{\"max-num-seqs\":3,\"faults\":{\"error-rate\":2}}");

        assertThat(before.get("inter-token-latency").asText()).isEqualTo("PT0.001S");
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(sim.settings().interTokenLatency()).isEqualTo(Duration.ofMillis(20));
        assertThat(sim.settings().mode()).isEqualTo(SimulatorConfig.Mode.ECHO);
        assertThat(sim.settings().faults().errorRate()).isEqualTo(0.5);
        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(sim.settings().maxNumSeqs()).as("rolled back").isEqualTo(256);

        HttpResponse<String> reset = client.post("/sim/settings/reset", "");
        assertThat(SimClient.parse(reset.body())).isEqualTo(before);
        assertThat(sim.settings().faults().errorRate()).isZero();
    }

    @Test
    void rejectsUnknownSettings() {
        HttpResponse<String> response = client.post("/sim/settings", "{\"inter-token-latncy\":\"20ms\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("unknown setting: inter-token-latncy");
    }

    @Test
    void returnsNormalisedDeterministicEmbeddings() {
        JsonNode first = client.postJson("/v1/embeddings", "{\"input\":[\"alpha\",\"beta\"]}");
        JsonNode again = client.postJson("/v1/embeddings", "{\"input\":\"alpha\",\"dimensions\":256}");
        JsonNode base64 = client.postJson("/v1/embeddings", "{\"input\":\"alpha\",\"encoding_format\":\"base64\"}");

        assertThat(SimClient.fieldNames(first)).containsExactly("id", "object", "created", "model", "data", "usage");
        assertThat(first.get("id").asText()).startsWith("embd-");
        assertThat(first.get("data")).hasSize(2);
        JsonNode vector = first.at("/data/0/embedding");
        assertThat(vector).hasSize(256);
        double norm = 0;
        for (JsonNode v : vector) {
            norm += v.asDouble() * v.asDouble();
        }
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(again.at("/data/0/embedding")).isEqualTo(vector);
        assertThat(java.util.Base64.getDecoder()
                        .decode(base64.at("/data/0/embedding").asText()))
                .hasSize(256 * 4);
        assertThat(first.at("/usage/completion_tokens").asInt()).isZero();
        assertThat(first.at("/usage/prompt_tokens").asInt())
                .isEqualTo(first.at("/usage/total_tokens").asInt());
    }
}
