package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionStreamEvent;
import com.openai.models.audio.translations.TranslationCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.Management;
import io.vgate.testing.PrometheusText;
import io.vgate.testing.Wav;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Audio and embeddings through vgate with OpenAI's Java SDK, against the simulator playing a transcription model:
 * what the SDK gets through vgate is what vLLM answers; a streaming transcription whose client leaves is aborted.
 */
@QuarkusTest
class AudioThroughVgateTests {

    private static final String BOUNDARY = "vgate-audio-3c9a";

    @Inject
    VllmSimulator sim;

    @TestHTTPResource("/v1")
    URI v1;

    @TestHTTPResource("/")
    URI root;

    private OpenAIClient client;
    private OpenAIClient direct;

    @BeforeEach
    void transcriptionModel() {
        sim.settings().serving().task("generate,transcription");
        client = OpenAIOkHttpClient.builder()
                .baseUrl(v1.toString())
                .apiKey("sk-unused")
                .maxRetries(0)
                .build();
        direct = OpenAIOkHttpClient.builder()
                .baseUrl(sim.baseUri().resolve("/v1").toString())
                .apiKey("sk-unused")
                .maxRetries(0)
                .build();
    }

    @AfterEach
    void restore() {
        sim.settings().reset();
    }

    private TranscriptionCreateParams transcription(double seconds) {
        return TranscriptionCreateParams.builder()
                .file(wavFile(seconds))
                .model(sim.modelName())
                .language("en")
                .build();
    }

    @Test
    void transcribesAsVllmDoes() {
        var viaVgate = client.audio().transcriptions().create(transcription(2.5));
        var fromVllm = direct.audio().transcriptions().create(transcription(2.5));

        assertThat(viaVgate.isTranscription()).isTrue();
        assertThat(viaVgate.asTranscription().text())
                .isNotBlank()
                .isEqualTo(fromVllm.asTranscription().text());
    }

    @Test
    void translatesAsVllmDoes() {
        // A file is read once: each call gets its own parameters.
        java.util.function.Supplier<TranslationCreateParams> params = () -> TranslationCreateParams.builder()
                .file(wavFile(1.5))
                .model(sim.modelName())
                .build();

        assertThat(client.audio()
                        .translations()
                        .create(params.get())
                        .asTranslation()
                        .text())
                .isNotBlank()
                .isEqualTo(direct.audio()
                        .translations()
                        .create(params.get())
                        .asTranslation()
                        .text());
    }

    @Test
    void streamsATranscriptionEventByEvent() {
        List<String> viaVgate = streamedText(client);
        List<String> fromVllm = streamedText(direct);

        assertThat(viaVgate).hasSizeGreaterThan(1).isEqualTo(fromVllm);
    }

    /** The text of each streamed chunk, read from the raw events (vLLM's chunks are chat-shaped). */
    private List<String> streamedText(OpenAIClient sdk) {
        List<String> texts = new ArrayList<>();
        try (StreamResponse<TranscriptionStreamEvent> stream =
                sdk.audio().transcriptions().createStreaming(transcription(4))) {
            stream.stream().forEach(event -> {
                JsonValue raw = event._json().orElseThrow();
                JsonNode chunk = Json.parse(Json.write(raw.convert(Object.class)));
                assertThat(chunk.get("object").asText()).isEqualTo("transcription.chunk");
                JsonNode content = chunk.at("/choices/0/delta/content");
                if (!content.isMissingNode()) {
                    texts.add(content.asText());
                }
            });
        }
        return texts;
    }

    @Test
    void countsTranscriptionsUnderTheirOwnRoute() {
        double before = requests("transcriptions");

        client.audio().transcriptions().create(transcription(1));

        assertThat(requests("transcriptions") - before).isEqualTo(1.0);
    }

    @Test
    void embedsWithTheSdk() {
        sim.settings().serving().task("generate,embed");
        var params = EmbeddingCreateParams.builder()
                .model(sim.modelName())
                .input("The quick brown fox")
                .build();

        CreateEmbeddingResponse viaVgate = client.embeddings().create(params);
        CreateEmbeddingResponse fromVllm = direct.embeddings().create(params);

        assertThat(viaVgate.data()).hasSize(1);
        assertThat(viaVgate.data().get(0).embedding())
                .isNotEmpty()
                .isEqualTo(fromVllm.data().get(0).embedding());
        assertThat(viaVgate.usage().promptTokens()).isEqualTo(fromVllm.usage().promptTokens());
    }

    @Test
    void leavingAStreamingTranscriptionAbortsIt() throws Exception {
        sim.settings().interTokenLatency(Duration.ofMillis(30));
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 0);
        long aborted = sim.aborted();
        byte[] body = form(Wav.tone(60), true);

        try (Socket socket = new Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: localhost\r\n"
                            + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String received = readUntilEvents(socket.getInputStream(), 3);
            assertThat(received).startsWith("HTTP/1.1 200").contains("transcription.chunk");
            assertThat(sim.running()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(aborted + 1);
    }

    private static String readUntilEvents(InputStream in, int events) throws Exception {
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (text.toString().split("\n\n", -1).length <= events + 1) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    private static double requests(String route) {
        return PrometheusText.parse(Management.given()
                        .get("/q/metrics")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString())
                .sum("vgate_requests_total", Map.of("route", route, "status_class", "2xx"));
    }

    private byte[] form(byte[] audio, boolean stream) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                        + "Content-Type: audio/wav\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(audio);
        out.writeBytes(("\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
                        + sim.modelName() + "\r\n--" + BOUNDARY
                        + "\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\n" + stream + "\r\n--" + BOUNDARY
                        + "--\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * The WAV in a file: the SDK then sends a filename, without which a form part is a text field to vLLM, not an
     * upload.
     */
    private static java.nio.file.Path wavFile(double seconds) {
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("vgate-audio-", ".wav");
            file.toFile().deleteOnExit();
            return java.nio.file.Files.write(file, Wav.tone(seconds));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
