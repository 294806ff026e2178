package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.testing.Wav;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The audio routes of a transcription model: multipart uploads, vLLM's bodies, streams, limits and errors. */
@QuarkusTest
class AudioTests extends SimSuite {

    private static final String BOUNDARY = "----vgate-sim-boundary";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void transcriptionModel() {
        sim.settings().serving().task("transcription");
    }

    @Test
    void transcribesToJsonWithTheDurationInUsage() {
        HttpResponse<String> response = upload("/v1/audio/transcriptions", Map.of(), Wav.tone(2.5));
        HttpResponse<String> again = upload("/v1/audio/transcriptions", Map.of(), Wav.tone(2.5));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode body = SimClient.parse(response.body());
        assertThat(SimClient.fieldNames(body)).containsExactly("text", "usage");
        assertThat(body.get("text").asText()).isNotBlank();
        assertThat(body.get("usage").toString()).isEqualTo("{\"type\":\"duration\",\"seconds\":3}");
        assertThat(again.body()).as("the same audio, the same text").isEqualTo(response.body());
    }

    @Test
    void answersJsonForTheTextFormatAndNoUsageForTranslations() {
        HttpResponse<String> text = upload("/v1/audio/transcriptions", Map.of("response_format", "text"), Wav.tone(1));
        HttpResponse<String> translation = upload("/v1/audio/translations", Map.of(), Wav.tone(1));

        assertThat(text.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(SimClient.fieldNames(SimClient.parse(text.body()))).containsExactly("text", "usage");
        assertThat(SimClient.fieldNames(SimClient.parse(translation.body()))).containsExactly("text");
    }

    @Test
    void writesVerboseJsonWithTimedSegments() {
        JsonNode body = SimClient.parse(upload(
                        "/v1/audio/transcriptions",
                        Map.of("response_format", "verbose_json", "language", "fr"),
                        Wav.tone(12))
                .body());

        assertThat(SimClient.fieldNames(body)).containsExactly("duration", "language", "text", "segments", "words");
        assertThat(body.get("duration").asDouble()).isEqualTo(12.0);
        assertThat(body.get("language").asText()).isEqualTo("fr");
        assertThat(body.get("words").isNull()).isTrue();
        JsonNode segments = body.get("segments");
        assertThat(segments).isNotEmpty();
        assertThat(SimClient.fieldNames(segments.get(0)))
                .containsExactly(
                        "id",
                        "avg_logprob",
                        "compression_ratio",
                        "end",
                        "no_speech_prob",
                        "seek",
                        "start",
                        "temperature",
                        "text",
                        "tokens");
        assertThat(segments.get(0).get("start").asDouble()).isZero();
        assertThat(segments.get(segments.size() - 1).get("end").asDouble()).isEqualTo(12.0);
    }

    @Test
    void writesDiarizedJsonForTranscriptionsOnly() {
        HttpResponse<String> diarized =
                upload("/v1/audio/transcriptions", Map.of("response_format", "diarized_json"), Wav.tone(5));
        HttpResponse<String> translation =
                upload("/v1/audio/translations", Map.of("response_format", "diarized_json"), Wav.tone(5));

        JsonNode body = SimClient.parse(diarized.body());
        assertThat(SimClient.fieldNames(body)).containsExactly("task", "duration", "text", "segments", "usage");
        assertThat(body.get("task").asText()).isEqualTo("transcribe");
        assertThat(SimClient.fieldNames(body.at("/segments/0")))
                .containsExactly("type", "id", "start", "end", "text", "speaker");
        assertThat(body.at("/segments/0/id").asText()).isEqualTo("seg_0");
        assertThat(body.at("/usage/seconds").asInt()).isEqualTo(5);
        assertThat(translation.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(translation.body()).at("/error/param").asText())
                .isEqualTo("body.response_format");
    }

    @Test
    void streamsTranscriptionChunksThenUsageThenDone() {
        HttpResponse<String> response = upload(
                "/v1/audio/transcriptions",
                Map.of("stream", "true", "stream_include_usage", "true"),
                Wav.tone(3),
                "X-Request-Id",
                "a-1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        List<String> events = SimClient.events(response.body());
        assertThat(events.getLast()).isEqualTo("[DONE]");
        JsonNode first = SimClient.parse(events.getFirst());
        assertThat(SimClient.fieldNames(first)).containsExactly("id", "object", "created", "model", "choices");
        assertThat(first.get("id").asText()).isEqualTo("transcribe-a-1");
        assertThat(first.get("object").asText()).isEqualTo("transcription.chunk");
        assertThat(SimClient.fieldNames(first.at("/choices/0"))).containsExactly("delta");
        JsonNode last = SimClient.parse(events.get(events.size() - 3));
        assertThat(last.at("/choices/0/finish_reason").asText()).isIn("stop", "length");
        assertThat(SimClient.fieldNames(last.at("/choices/0")))
                .containsExactly("delta", "finish_reason", "stop_reason");
        JsonNode usage = SimClient.parse(events.get(events.size() - 2));
        assertThat(usage.get("choices")).isEmpty();
        assertThat(SimClient.fieldNames(usage.get("usage")))
                .containsExactly("prompt_tokens", "total_tokens", "completion_tokens");
        assertThat(usage.at("/usage/prompt_tokens").asInt()).isEqualTo(1504);
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(0, events.size() - 2)) {
            text.append(SimClient.parse(e).at("/choices/0/delta/content").asText());
        }
        assertThat(text.toString())
                .isEqualTo(SimClient.parse(upload("/v1/audio/transcriptions", Map.of(), Wav.tone(3))
                                .body())
                        .get("text")
                        .asText());
    }

    @Test
    void refusesAnUploadOverTheLimitAfterReadingItWithoutKeepingIt() {
        sim.settings().serving().maxAudioClipFilesizeMb(1);
        byte[] head = partHead("file", "big.wav").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8);
        // Streamed with no length (chunked), three times the limit.
        InputStream body = new SequenceInputStream(
                new SequenceInputStream(new java.io.ByteArrayInputStream(head), zeros(3 * 1024 * 1024)),
                new java.io.ByteArrayInputStream(tail));

        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/v1/audio/transcriptions"))
                .header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = SimClient.parse(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("param").asText()).isEqualTo("audio_filesize_mb");
        assertThat(error.get("message").asText()).startsWith("Maximum file size exceeded (parameter=audio_filesize_mb");
    }

    @Test
    void answersVllmsErrors() {
        HttpResponse<String> srt = upload("/v1/audio/transcriptions", Map.of("response_format", "srt"), Wav.tone(1));
        HttpResponse<String> model = upload("/v1/audio/transcriptions", Map.of("model", "nope"), Wav.tone(1));
        HttpResponse<String> streamOptions =
                upload("/v1/audio/transcriptions", Map.of("stream_include_usage", "true"), Wav.tone(1));
        HttpResponse<String> empty = upload("/v1/audio/transcriptions", Map.of(), new byte[0]);
        HttpResponse<String> missing = send(HttpRequest.newBuilder(uri("/v1/audio/transcriptions"))
                .header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofString("--" + BOUNDARY
                        + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nx\r\n--" + BOUNDARY + "--\r\n")));
        HttpResponse<String> textFile = send(HttpRequest.newBuilder(uri("/v1/audio/transcriptions"))
                .header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhello\r\n--"
                                + BOUNDARY + "--\r\n")));

        assertThat(srt.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(srt.body()).at("/error/message").asText())
                .isEqualTo("Currently only support response_format: `text`, `json`, `verbose_json` or `diarized_json`");
        assertThat(model.statusCode()).isEqualTo(404);
        assertThat(SimClient.parse(model.body()).at("/error/param").asText()).isEqualTo("model");
        assertThat(streamOptions.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(empty.body()).at("/error/message").asText())
                .isEqualTo("Invalid or unsupported audio file.");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(missing.body()).at("/error/param").asText()).isEqualTo("body.file");
        assertThat(textFile.statusCode()).isEqualTo(422);
        assertThat(SimClient.parse(textFile.body()).at("/error/message").asText())
                .isEqualTo("Expected 'file' to be a file-like object, not 'str'.");
    }

    @Test
    void runsInTheEngineAndAbortsWhenTheClientLeaves() throws Exception {
        sim.settings().interTokenLatency(Duration.ofMillis(30));
        long aborted = sim.aborted();
        byte[] body = multipart(Map.of("stream", "true"), Wav.tone(60));

        try (Socket socket = new Socket(sim.baseUri().getHost(), sim.baseUri().getPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/audio/transcriptions HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data;"
                            + " boundary=" + BOUNDARY + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String received = SimClient.readUntil(socket, "\n\n", 3);
            assertThat(received).startsWith("HTTP/1.1 200 OK").contains("transcription.chunk");
            assertThat(sim.running()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0 && sim.aborted() == aborted + 1);
    }

    private HttpResponse<String> upload(String path, Map<String, String> fields, byte[] audio, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("content-type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(fields, audio)));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return send(request);
    }

    private static byte[] multipart(Map<String, String> fields, byte[] audio) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> field : new LinkedHashMap<>(fields).entrySet()) {
            out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + field.getKey()
                            + "\"\r\n\r\n" + field.getValue() + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(partHead("file", "audio.wav").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(audio);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static String partHead(String name, String filename) {
        return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
                + "\"\r\nContent-Type: audio/wav\r\n\r\n";
    }

    private URI uri(String path) {
        return sim.baseUri().resolve(path);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static InputStream zeros(long length) {
        return new InputStream() {
            private long left = length;

            @Override
            public int read() {
                return left-- > 0 ? 0 : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
                left -= n;
                return n;
            }
        };
    }
}
