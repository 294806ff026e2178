package io.vgate.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The upload rewriter: files stream through unchanged whatever the chunking, the held fields come out last
 * (rewritten if asked), and a body that never closes is refused.
 */
class MultipartStreamTests {

    private static final String TYPE = "multipart/form-data; boundary=XyZ-42";

    private final Map<String, String> seen = new LinkedHashMap<>();

    private String body(byte[] audio, boolean modelFirst) {
        var out = new StringBuilder("preamble to drop\r\n");
        if (modelFirst) {
            out.append("--XyZ-42\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nclaude-sonnet-4-5\r\n");
        }
        out.append("--XyZ-42\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n")
                .append("Content-Type: audio/wav\r\n\r\n")
                .append(new String(audio, StandardCharsets.ISO_8859_1))
                .append("\r\n--XyZ-42\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n");
        if (!modelFirst) {
            out.append("--XyZ-42\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nclaude-sonnet-4-5\r\n");
        }
        out.append("--XyZ-42\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\ntrue\r\n");
        return out.append("--XyZ-42--\r\nepilogue").toString();
    }

    private MultipartStream stream() {
        return MultipartStream.of(TYPE, (name, value) -> {
            seen.put(name, value);
            return "model".equals(name) ? "served-model" : value;
        });
    }

    private static byte[] audio(int size) {
        byte[] bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        // Bytes that look like the start of a delimiter, inside the file.
        byte[] trap = "\r\n--XyZ-4".getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(trap, 0, bytes, size / 2, trap.length);
        return bytes;
    }

    private static String run(MultipartStream stream, byte[] input, int chunk) {
        Buffer out = Buffer.buffer();
        for (int at = 0; at < input.length; at += chunk) {
            out.appendBuffer(stream.feed(
                    Buffer.buffer(java.util.Arrays.copyOfRange(input, at, Math.min(input.length, at + chunk)))));
        }
        out.appendBuffer(stream.finish());
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 64, 1000, 1 << 20})
    void passesTheFileThroughAndSendsTheHeldFieldsLastWhateverTheChunking(int chunk) {
        byte[] audio = audio(5000);
        byte[] input = body(audio, false).getBytes(StandardCharsets.ISO_8859_1);

        String sent = run(stream(), input, chunk);

        assertThat(sent)
                .isEqualTo("--XyZ-42\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                        + "Content-Type: audio/wav\r\n\r\n"
                        + new String(audio, StandardCharsets.ISO_8859_1)
                        + "\r\n--XyZ-42\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n"
                        + "--XyZ-42\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nserved-model\r\n"
                        + "--XyZ-42\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\ntrue\r\n"
                        + "--XyZ-42--\r\n");
        assertThat(seen).containsExactly(Map.entry("model", "claude-sonnet-4-5"), Map.entry("stream", "true"));
    }

    @Test
    void readsTheModelBeforeTheFileWhenItComesFirst() {
        byte[] audio = audio(300_000);
        byte[] input = body(audio, true).getBytes(StandardCharsets.ISO_8859_1);
        var stream = stream();

        // The first chunk holds the model field and the start of the file.
        Buffer first = stream.feed(Buffer.buffer(java.util.Arrays.copyOf(input, 4096)));

        assertThat(seen).containsKey("model");
        assertThat(first.toString(StandardCharsets.ISO_8859_1))
                .startsWith("--XyZ-42\r\nContent-Disposition: form-data; name=\"file\"");
    }

    @Test
    void aRefusedFieldStopsTheUpload() {
        var stream = MultipartStream.of(TYPE, (name, value) -> {
            throw new ApiException(new ApiError(404, "invalid_request_error", "model_not_found", "no", "model", null));
        });
        byte[] input = body(audio(100), true).getBytes(StandardCharsets.ISO_8859_1);

        assertThatThrownBy(() -> stream.feed(Buffer.buffer(input)))
                .isInstanceOf(ApiException.class)
                .extracting(e -> ((ApiException) e).error().code())
                .isEqualTo("model_not_found");
    }

    @Test
    void refusesABodyWithoutItsClosingBoundary() {
        var stream = stream();
        String cut = body(audio(100), false);
        stream.feed(Buffer.buffer(cut.substring(0, cut.indexOf("--XyZ-42--"))));

        assertThatThrownBy(stream::finish)
                .isInstanceOf(ApiException.class)
                .extracting(e -> ((ApiException) e).error().status())
                .isEqualTo(400);
    }

    @Test
    void refusesAnOversizedModelField() {
        var stream = stream();
        String body = "--XyZ-42\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + "m".repeat(5000);

        assertThatThrownBy(() -> stream.feed(Buffer.buffer(body))).isInstanceOf(ApiException.class);
    }

    @Test
    void readsTheBoundaryOfTheContentType() {
        assertThat(MultipartStream.boundary("multipart/form-data; boundary=abc"))
                .isEqualTo("abc");
        assertThat(MultipartStream.boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""))
                .isEqualTo("a b");
        assertThat(MultipartStream.boundary("application/json")).isNull();
        assertThat(MultipartStream.boundary(null)).isNull();
        assertThatThrownBy(() -> MultipartStream.of("application/json", (n, v) -> v))
                .isInstanceOf(ApiException.class)
                .extracting(e -> ((ApiException) e).error().status())
                .isEqualTo(415);
    }
}
