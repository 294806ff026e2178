package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The pooling family: rerank, score, classify, pooling and Cohere's embed, in vLLM's shapes and with its errors. */
@QuarkusTest
class PoolingTests extends SimSuite {

    private static final String RERANK = "{\"query\":\"What is the capital of France?\",\"documents\":["
            + "\"Bananas are yellow fruit.\",\"Paris is the capital of France.\",\"The Moon orbits the Earth.\"]}";

    @Test
    void reranksDocumentsBestFirstWithTwoKeyUsage() {
        sim.settings().serving().task("score");

        HttpResponse<String> response =
                client.post("/v1/rerank", RERANK, "content-type", "application/json", "X-Request-Id", "rr-1");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = SimClient.parse(response.body());
        assertThat(SimClient.fieldNames(body)).containsExactly("id", "model", "usage", "results");
        assertThat(body.get("id").asText()).isEqualTo("score-rr-1");
        assertThat(body.get("model").asText()).isEqualTo("vgate-sim-llama-3-8b");
        assertThat(SimClient.fieldNames(body.get("usage"))).containsExactly("prompt_tokens", "total_tokens");
        assertThat(body.at("/usage/prompt_tokens").asInt())
                .isPositive()
                .isEqualTo(body.at("/usage/total_tokens").asInt());
        JsonNode results = body.get("results");
        assertThat(results).hasSize(3);
        assertThat(SimClient.fieldNames(results.get(0))).containsExactly("index", "document", "relevance_score");
        assertThat(results.get(0).get("index").asInt())
                .as("the document sharing the query's words")
                .isEqualTo(1);
        assertThat(results.at("/0/document/text").asText()).isEqualTo("Paris is the capital of France.");
        assertThat(results.at("/0/document/multi_modal").isNull()).isTrue();
        for (int i = 1; i < results.size(); i++) {
            assertThat(results.get(i - 1).get("relevance_score").asDouble())
                    .isGreaterThanOrEqualTo(
                            results.get(i).get("relevance_score").asDouble());
        }
        assertThat(results.get(0).get("relevance_score").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void answersAlikeOnEveryRerankPathAndCutsToTopN() {
        sim.settings().serving().task("score");
        JsonNode v1 = client.postJson("/v1/rerank", RERANK);
        JsonNode plain = client.postJson("/rerank", RERANK);
        JsonNode v2 = client.postJson("/v2/rerank", RERANK);
        JsonNode top = client.postJson("/rerank", RERANK.replace("{\"query\"", "{\"top_n\":1,\"query\""));

        assertThat(plain.get("results")).isEqualTo(v1.get("results"));
        assertThat(v2.get("results")).isEqualTo(v1.get("results"));
        assertThat(top.get("results")).hasSize(1);
        assertThat(top.at("/results/0")).isEqualTo(v1.at("/results/0"));
        HttpResponse<String> negative = client.post("/rerank", RERANK.replace("{\"query\"", "{\"top_n\":-1,\"query\""));
        assertThat(negative.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(negative.body()).at("/error/type").asText()).isEqualTo("Bad Request");
    }

    @Test
    void scoresOneQueryAgainstManyAndPairsListsWithFullUsage() {
        sim.settings().serving().task("score");

        JsonNode oneToMany = client.postJson(
                "/score",
                "{\"queries\":\"capital of France\",\"documents\":"
                        + "[\"Paris is the capital of France\",\"Bananas\"]}");
        JsonNode pairs =
                client.postJson("/v1/score", "{\"text_1\":[\"a cat\",\"a dog\"],\"text_2\":[\"a cat\",\"x\"]}");

        assertThat(SimClient.fieldNames(oneToMany))
                .containsExactly("id", "object", "created", "model", "data", "usage");
        assertThat(oneToMany.get("id").asText()).startsWith("score-");
        assertThat(oneToMany.get("object").asText()).isEqualTo("list");
        assertThat(oneToMany.get("data")).hasSize(2);
        assertThat(SimClient.fieldNames(oneToMany.at("/data/0"))).containsExactly("index", "object", "score");
        assertThat(oneToMany.at("/data/0/object").asText()).isEqualTo("score");
        assertThat(oneToMany.at("/data/0/score").asDouble())
                .isGreaterThan(oneToMany.at("/data/1/score").asDouble());
        assertThat(SimClient.fieldNames(oneToMany.get("usage")))
                .containsExactly("prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details");
        assertThat(pairs.get("data")).hasSize(2);
        assertThat(pairs.at("/data/0/score").asDouble())
                .isGreaterThan(pairs.at("/data/1/score").asDouble());

        HttpResponse<String> mismatched =
                client.post("/score", "{\"queries\":[\"a\",\"b\"],\"documents\":[\"x\",\"y\",\"z\"]}");
        assertThat(mismatched.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(mismatched.body()).at("/error/message").asText())
                .isEqualTo("Input lengths must be either 1:1, 1:N or N:N");
    }

    @Test
    void anEmbeddingModelScoresByTheCosineOfItsEmbeddings() {
        sim.settings().serving().task("embed");

        JsonNode score = client.postJson("/score", "{\"queries\":\"red apples\",\"documents\":[\"apples are red\"]}");
        JsonNode embeddings = client.postJson("/v1/embeddings", "{\"input\":[\"red apples\",\"apples are red\"]}");

        double dot = 0;
        JsonNode a = embeddings.at("/data/0/embedding");
        JsonNode b = embeddings.at("/data/1/embedding");
        for (int i = 0; i < a.size(); i++) {
            dot += a.get(i).asDouble() * b.get(i).asDouble();
        }
        assertThat(score.at("/data/0/score").asDouble()).isCloseTo(dot, within(1e-4));
        assertThat(dot).as("shared words point alike").isGreaterThan(0.3);
    }

    @Test
    void classifiesWithTheModelsLabels() {
        sim.settings().serving().task("classify");

        HttpResponse<String> response = client.post(
                "/classify",
                "{\"input\":[\"I love it\",\"I hate it\"]}",
                "content-type",
                "application/json",
                "X-Request-Id",
                "c-1");
        JsonNode body = SimClient.parse(response.body());
        sim.settings().serving().task("score");
        JsonNode crossEncoder = client.postJson("/classify", "{\"input\":\"I love it\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(SimClient.fieldNames(body)).containsExactly("id", "object", "created", "model", "data", "usage");
        assertThat(body.get("id").asText()).isEqualTo("classify-c-1");
        assertThat(body.get("data")).hasSize(2);
        JsonNode first = body.at("/data/0");
        assertThat(SimClient.fieldNames(first)).containsExactly("index", "label", "probs", "num_classes");
        assertThat(first.get("num_classes").asInt()).isEqualTo(2);
        assertThat(first.at("/probs/0").asDouble() + first.at("/probs/1").asDouble())
                .isCloseTo(1.0, within(1e-6));
        String expected = first.at("/probs/1").asDouble() > first.at("/probs/0").asDouble() ? "positive" : "negative";
        assertThat(first.get("label").asText()).isEqualTo(expected);
        assertThat(body.at("/usage/prompt_tokens").asInt()).isPositive();
        assertThat(crossEncoder.at("/data/0/num_classes").asInt()).isEqualTo(1);
        assertThat(crossEncoder.at("/data/0/label").asText()).isEqualTo("LABEL_0");
        assertThat(crossEncoder.at("/data/0/probs/0").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void poolsTheSelectedTaskAndRejectsOthers() {
        sim.settings().serving().task("embed");

        JsonNode floats = client.postJson("/pooling", "{\"input\":\"alpha\"}");
        JsonNode base64 = client.postJson("/pooling", "{\"input\":\"alpha\",\"encoding_format\":\"base64\"}");
        HttpResponse<String> switchTask = client.post("/pooling", "{\"input\":\"alpha\",\"task\":\"token_embed\"}");
        HttpResponse<String> unsupported = client.post("/pooling", "{\"input\":\"alpha\",\"task\":\"classify\"}");
        HttpResponse<String> dimensions = client.post("/pooling", "{\"input\":\"alpha\",\"dimensions\":8}");

        assertThat(SimClient.fieldNames(floats)).containsExactly("id", "object", "created", "model", "data", "usage");
        assertThat(floats.get("id").asText()).startsWith("pooling-");
        assertThat(SimClient.fieldNames(floats.at("/data/0"))).containsExactly("index", "object", "data");
        assertThat(floats.at("/data/0/object").asText()).isEqualTo("pooling");
        assertThat(floats.at("/data/0/data")).hasSize(256);
        assertThat(Base64.getDecoder().decode(base64.at("/data/0/data").asText()))
                .hasSize(256 * 4);
        assertThat(switchTask.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(switchTask.body()).at("/error/message").asText())
                .startsWith("Try switching the model's pooling_task via");
        assertThat(SimClient.parse(unsupported.body()).at("/error/message").asText())
                .startsWith("Unsupported task: 'classify'");
        assertThat(SimClient.parse(dimensions.body()).at("/error/message").asText())
                .isEqualTo("dimensions is currently not supported");
    }

    @Test
    void embedsInCoheresShape() {
        sim.settings().serving().task("embed");

        JsonNode body = client.postJson(
                "/v2/embed",
                "{\"texts\":[\"hello\",\"world\"],\"embedding_types\":[\"float\",\"ubinary\"],\"output_dimension\":64}");
        HttpResponse<String> none = client.post("/v2/embed", "{\"input_type\":\"search_query\"}");

        assertThat(SimClient.fieldNames(body)).containsExactly("id", "embeddings", "texts", "meta", "response_type");
        assertThat(body.get("id").asText()).startsWith("embd-");
        assertThat(body.at("/embeddings/float")).hasSize(2);
        assertThat(body.at("/embeddings/float/0")).hasSize(64);
        assertThat(body.at("/embeddings/ubinary/0")).hasSize(8);
        assertThat(body.at("/embeddings/binary").isNull()).isTrue();
        assertThat(body.at("/embeddings/base64").isNull()).isTrue();
        assertThat(body.at("/texts/1").asText()).isEqualTo("world");
        assertThat(body.at("/meta/api_version/version").asText()).isEqualTo("2");
        assertThat(body.at("/meta/billed_units/input_tokens").asInt()).isPositive();
        assertThat(body.get("response_type").asText()).isEqualTo("embeddings_by_type");
        assertThat(none.statusCode()).isEqualTo(400);
    }

    @Test
    void checksModelSaltAndRemovedParameters() {
        sim.settings().serving().task("score");

        HttpResponse<String> unknown =
                client.post("/rerank", RERANK.replace("{\"query\"", "{\"model\":\"x\",\"query\""));
        HttpResponse<String> emptySalt =
                client.post("/score", "{\"queries\":\"a\",\"documents\":[\"b\"],\"cache_salt\":\"\"}");
        HttpResponse<String> normalize = client.post("/classify", "{\"input\":\"a\",\"normalize\":true}");
        HttpResponse<String> noInput = client.post("/classify", "{\"input\":[]}");
        HttpResponse<String> form = client.post("/classify", "{\"input\":\"a\"}", "content-type", "text/plain");

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body())
                .isEqualTo("{\"error\":{\"message\":\"The model `x` does not exist.\",\"type\":\"NotFoundError\","
                        + "\"param\":null,\"code\":404}}");
        assertThat(emptySalt.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(emptySalt.body()).at("/error/param").asText())
                .isEqualTo("body.cache_salt");
        assertThat(SimClient.parse(emptySalt.body()).at("/error/message").asText())
                .contains("string_too_short");
        assertThat(SimClient.parse(normalize.body()).at("/error/message").asText())
                .isEqualTo("Parameter `normalize` was removed; use `use_activation` instead.");
        assertThat(SimClient.parse(noInput.body()).at("/error/message").asText())
                .isEqualTo("You must pass at least one prompt");
        assertThat(form.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(form.body()).at("/error/message").asText()).contains("Unsupported Media Type");
    }
}
