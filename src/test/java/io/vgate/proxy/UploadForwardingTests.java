package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.testing.OpenAiErrorSchema;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Audio uploads through vgate to a listening upstream: the form arrives whole and unchanged but for the held
 * fields, which come last; an upload over the limit gets 413 and never arrives whole.
 */
@QuarkusTest
@TestProfile(RecordingUpstream.Profile.class)
class UploadForwardingTests {

    private static final String BOUNDARY = "vgate-test-7d1e";

    @ConfigProperty(name = "vgate.upstream.url")
    String upstream;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URI uri;

    private List<String> recorded() {
        String lines = given().baseUri(upstream)
                .get("/__recorded")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return lines.isEmpty() ? List.of() : Arrays.asList(lines.split("\n"));
    }

    private static byte[] audio(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    /** A form whose model field comes after the file, as some clients send it. */
    private static byte[] form(byte[] audio, String model) {
        var head = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n";
        var tail = "\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model
                + "\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n--"
                + BOUNDARY + "--\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] t = tail.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + audio.length + t.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(audio, 0, all, h.length, audio.length);
        System.arraycopy(t, 0, all, h.length + audio.length, t.length);
        return all;
    }

    private static Response upload(String path, byte[] body) {
        return given().contentType("multipart/form-data; boundary=" + BOUNDARY)
                .body(body)
                .post(path);
    }

    @Test
    void theFormReachesVllmWholeWithTheModelFieldLast() {
        byte[] audio = audio(40_000);

        Response response = upload("/v1/audio/transcriptions", form(audio, RecordingUpstream.MODEL));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.asString()).isEqualTo("{\"text\":\"Hello world.\"}");
        String received = new String(
                given().baseUri(upstream).get("/__last_upload").then().extract().asByteArray(),
                StandardCharsets.ISO_8859_1);
        String expectedFile = new String(audio, StandardCharsets.ISO_8859_1);
        assertThat(received)
                .startsWith("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"")
                .contains(expectedFile)
                .endsWith("name=\"model\"\r\n\r\n" + RecordingUpstream.MODEL + "\r\n--" + BOUNDARY + "--\r\n");
    }

    @Test
    void translationsAreUploadsToo() {
        upload("/v1/audio/translations", form(audio(1000), RecordingUpstream.MODEL))
                .then()
                .statusCode(200);

        assertThat(recorded()).anyMatch(line -> line.startsWith("POST /v1/audio/translations "));
    }

    @Test
    void anUploadOverTheLimitGets413AndNeverArrivesWhole() {
        long before = recorded().stream()
                .filter(line -> line.startsWith("POST /v1/audio/transcriptions "))
                .count();

        Response response = upload("/v1/audio/transcriptions", form(audio(100_000), RecordingUpstream.MODEL));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(OpenAiErrorSchema.assertValid(response.asString())
                        .get("code")
                        .asText())
                .isEqualTo("request_too_large");
        assertThat(recorded().stream()
                        .filter(line -> line.startsWith("POST /v1/audio/transcriptions "))
                        .count())
                .isEqualTo(before);
    }

    @Test
    void aChunkedUploadIsCutAtTheLimit() throws Exception {
        long before = recorded().stream()
                .filter(line -> line.startsWith("POST /v1/audio/transcriptions "))
                .count();
        byte[] body = form(audio(200_000), RecordingUpstream.MODEL);
        var request = java.net.http.HttpRequest.newBuilder(uri.resolve("/v1/audio/transcriptions"))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                // No length: the limit is found while the upload streams.
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(body)))
                .build();

        java.net.http.HttpResponse<String> response;
        try (var client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build()) {
            response = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        }

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(OpenAiErrorSchema.assertValid(response.body()).get("code").asText())
                .isEqualTo("request_too_large");
        assertThat(recorded().stream()
                        .filter(line -> line.startsWith("POST /v1/audio/transcriptions "))
                        .count())
                .isEqualTo(before);
    }

    @Test
    void aBodyThatIsNotAFormIsRefused() {
        Response response = given().contentType("application/json").body("{}").post("/v1/audio/transcriptions");

        assertThat(response.statusCode()).isEqualTo(415);
        OpenAiErrorSchema.assertValid(response.asString());
    }

    @Test
    void aFormWithoutItsClosingBoundaryIsRefused() {
        byte[] whole = form(audio(500), RecordingUpstream.MODEL);
        byte[] cut = Arrays.copyOf(whole, whole.length - ("--" + BOUNDARY + "--\r\n").length());

        Response response = upload("/v1/audio/transcriptions", cut);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(OpenAiErrorSchema.assertValid(response.asString())
                        .get("code")
                        .asText())
                .isEqualTo("invalid_multipart");
    }
}
