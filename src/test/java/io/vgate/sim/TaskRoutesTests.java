package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** Each task serves exactly vLLM's routes for it; the others do not exist (FastAPI's 404, whatever the method). */
@QuarkusTest
class TaskRoutesTests extends SimSuite {

    private static final String NOT_FOUND = "{\"detail\":\"Not Found\"}";
    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}";
    private static final String RERANK = "{\"query\":\"capital of France\",\"documents\":[\"Paris is the capital\"]}";

    @Test
    void aGenerateModelServesNoPoolingOrAudioRoutes() {
        sim.settings().serving().task("generate");

        assertThat(client.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
        for (String path : new String[] {
            "/v1/embeddings",
            "/v2/embed",
            "/pooling",
            "/classify",
            "/score",
            "/v1/score",
            "/rerank",
            "/v1/rerank",
            "/v2/rerank",
            "/v1/audio/transcriptions",
            "/v1/audio/translations"
        }) {
            HttpResponse<String> response = client.post(path, "{\"input\":\"x\"}");
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.body()).as(path).isEqualTo(NOT_FOUND);
        }
        assertThat(client.get("/v1/rerank").statusCode())
                .as("no route, so no 405")
                .isEqualTo(404);
    }

    @Test
    void anEmbeddingModelServesEmbeddingsScoringAndPoolingButNoGeneration() {
        sim.settings().serving().task("embed");

        assertThat(client.post("/v1/embeddings", "{\"input\":\"x\"}").statusCode())
                .isEqualTo(200);
        assertThat(client.post("/v2/embed", "{\"texts\":[\"x\"]}").statusCode()).isEqualTo(200);
        assertThat(client.post("/pooling", "{\"input\":\"x\"}").statusCode()).isEqualTo(200);
        assertThat(client.post("/v1/rerank", RERANK).statusCode()).isEqualTo(200);
        assertThat(client.post("/score", "{\"queries\":\"a\",\"documents\":[\"b\"]}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(client.get("/v1/rerank").statusCode())
                .as("the route exists for POST")
                .isEqualTo(405);
        HttpResponse<String> chat = client.post("/v1/chat/completions", CHAT);
        assertThat(chat.statusCode()).isEqualTo(404);
        assertThat(chat.body()).isEqualTo(NOT_FOUND);
        assertThat(client.post("/classify", "{\"input\":\"x\"}").statusCode()).isEqualTo(404);
    }

    @Test
    void aCrossEncoderScoresAndClassifiesWithoutEmbeddings() {
        sim.settings().serving().task("score");

        assertThat(client.post("/rerank", RERANK).statusCode()).isEqualTo(200);
        assertThat(client.post("/v2/rerank", RERANK).statusCode()).isEqualTo(200);
        assertThat(client.post("/classify", "{\"input\":\"x\"}").statusCode()).isEqualTo(200);
        assertThat(client.post("/v1/embeddings", "{\"input\":\"x\"}").statusCode())
                .isEqualTo(404);
        assertThat(client.post("/v2/embed", "{\"texts\":[\"x\"]}").statusCode()).isEqualTo(404);
    }

    @Test
    void aClassifierWithSeveralLabelsHasNoScoringRoutes() {
        sim.settings().serving().task("classify");

        assertThat(client.post("/classify", "{\"input\":\"x\"}").statusCode()).isEqualTo(200);
        assertThat(client.post("/pooling", "{\"input\":\"x\"}").statusCode()).isEqualTo(200);
        assertThat(client.post("/score", "{\"queries\":\"a\",\"documents\":[\"b\"]}")
                        .body())
                .isEqualTo(NOT_FOUND);
        assertThat(client.post("/v1/rerank", RERANK).body()).isEqualTo(NOT_FOUND);
    }

    @Test
    void aTranscriptionModelServesOnlyAudioAndTheAlwaysRoutes() {
        sim.settings().serving().task("transcription");

        assertThat(client.post("/v1/completions", "{\"prompt\":\"Hi\"}").body()).isEqualTo(NOT_FOUND);
        assertThat(client.get("/v1/models").statusCode()).isEqualTo(200);
        assertThat(client.post("/tokenize", "{\"prompt\":\"Hi\"}").statusCode()).isEqualTo(200);
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
        HttpResponse<String> audio = client.post("/v1/audio/transcriptions", "{}");
        assertThat(audio.statusCode()).as("served, but no file").isEqualTo(400);
    }

    @Test
    void changesTheTaskOverHttpAndRejectsUnknownOrDoublePoolingTasks() {
        HttpResponse<String> changed = client.post("/sim/settings", "{\"serving\":{\"task\":\"embed,transcription\"}}");
        HttpResponse<String> unknown = client.post("/sim/settings", "{\"serving\":{\"task\":\"chat\"}}");
        HttpResponse<String> twoPooling =
                client.post("/sim/settings", "{\"serving\":{\"task\":[\"embed\",\"score\"]}}");

        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(SimClient.parse(changed.body()).at("/serving/task").asText()).isEqualTo("embed,transcription");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(twoPooling.statusCode()).isEqualTo(400);
        assertThat(sim.settings().serving().task()).isEqualTo("embed,transcription");
        assertThat(client.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(404);
    }
}
