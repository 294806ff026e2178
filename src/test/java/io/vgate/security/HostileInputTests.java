package io.vgate.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.build.Jwt;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.RawHttp;
import io.vgate.testing.RecordingObserver;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad and hostile input, one row each: the status, the error's shape (vgate's own errors validate as
 * OpenAI's {@code ErrorResponse}; vLLM's own 4xx pass through unchanged), no stack trace in the answer,
 * and vgate still serving other clients right afterwards. Requests go over a bare socket so that bytes
 * no client library would send (invalid UTF-8, stray control characters, trickled bodies) reach vgate.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class HostileInputTests {

    private static final String CHAT = "/v1/chat/completions";
    private static final String GOOD_CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}";
    private static final String JSON = "Content-Type: application/json";

    @TestHTTPResource("/")
    URI root;

    @Inject
    RecordingObserver observer;

    /** One hostile request and what vgate must answer; {@code code == null} means vLLM's own error passes through. */
    record Row(
            String name, String path, List<String> headers, byte[] body, String credential, int status, String code) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> matrix() {
        long now = Instant.now().getEpochSecond();
        return Stream.of(
                vgate("malformed JSON", CHAT, "{\"messages\": [", 400, "invalid_json"),
                vgate("messages of the wrong type", CHAT, "{\"messages\":\"hi\"}", 400, "invalid_type"),
                vgate("stream of the wrong type", CHAT, "{\"messages\":[],\"stream\":\"yes\"}", 400, "invalid_type"),
                vgate("model of the wrong type", CHAT, "{\"model\":42,\"messages\":[]}", 400, "invalid_type"),
                vgate("missing messages", CHAT, "{\"model\":\"m\"}", 400, "missing_required_parameter"),
                vgate("missing prompt", "/v1/completions", "{\"max_tokens\":3}", 400, "missing_required_parameter"),
                vgate("empty body", CHAT, "", 400, "invalid_json"),
                vgate("a JSON array instead of an object", CHAT, "[1,2,3]", 400, "invalid_json"),
                vgate(
                        "JSON nested 5000 deep",
                        CHAT,
                        "{\"messages\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
                        400,
                        "invalid_json"),
                new Row(
                        "invalid UTF-8",
                        CHAT,
                        List.of(JSON),
                        invalidUtf8(),
                        SecuredFixture.TEAM_A_KEY,
                        400,
                        "invalid_json"),
                new Row(
                        "a body over the size limit",
                        CHAT,
                        List.of(JSON),
                        ("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(300 * 1024) + "\"}]}")
                                .getBytes(StandardCharsets.UTF_8),
                        SecuredFixture.TEAM_A_KEY,
                        413,
                        "request_too_large"),
                new Row(
                        "a non-JSON content type",
                        CHAT,
                        List.of("Content-Type: text/plain"),
                        GOOD_CHAT.getBytes(),
                        SecuredFixture.TEAM_A_KEY,
                        415,
                        "unsupported_media_type"),
                vgate(
                        "thousands of messages",
                        CHAT,
                        "{\"messages\":["
                                + String.join(
                                        ",",
                                        java.util.Collections.nCopies(5000, "{\"role\":\"user\",\"content\":\"x\"}"))
                                + "]}",
                        400,
                        "invalid_value"),
                vgate(
                        "an absurd max_tokens",
                        CHAT,
                        "{\"messages\":[],\"max_tokens\":1000000000000}",
                        400,
                        "invalid_value"),
                vgate("a negative max_tokens", CHAT, "{\"messages\":[],\"max_tokens\":-5}", 400, "invalid_value"),
                vgate(
                        "a fractional max_completion_tokens",
                        CHAT,
                        "{\"messages\":[],\"max_completion_tokens\":2.5}",
                        400,
                        "invalid_type"),
                vgate(
                        "max_tokens as text",
                        "/v1/completions",
                        "{\"prompt\":\"a\",\"max_tokens\":\"many\"}",
                        400,
                        "invalid_type"),
                vgate("an absurd n", CHAT, "{\"messages\":[],\"n\":1000}", 400, "invalid_value"),
                vgate("n of zero", "/v1/completions", "{\"prompt\":\"a\",\"n\":0}", 400, "invalid_value"),
                new Row(
                        "an unknown model (vLLM's 404)",
                        CHAT,
                        List.of(JSON),
                        "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                                .getBytes(),
                        SecuredFixture.TEAM_A_KEY,
                        404,
                        null),
                new Row(
                        "stream_options without stream (vLLM's 400)",
                        CHAT,
                        List.of(JSON),
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream_options\":{\"include_usage\":true}}"
                                .getBytes(),
                        SecuredFixture.TEAM_A_KEY,
                        400,
                        null),
                new Row("no API key", CHAT, List.of(JSON), GOOD_CHAT.getBytes(), null, 401, "invalid_api_key"),
                new Row(
                        "an invalid API key",
                        CHAT,
                        List.of(JSON),
                        GOOD_CHAT.getBytes(),
                        "vgk-guess-0000",
                        401,
                        "invalid_api_key"),
                new Row(
                        "a real key with a smuggled header after a tab",
                        "/v1/models",
                        List.of(),
                        null,
                        SecuredFixture.TEAM_A_KEY + "\tX-Injected: 1",
                        401,
                        "invalid_api_key"),
                new Row(
                        "an expired JWT",
                        CHAT,
                        List.of(JSON),
                        GOOD_CHAT.getBytes(),
                        Jwt.issuer(SecuredFixture.ISSUER)
                                .audience(SecuredFixture.AUDIENCE)
                                .subject("old")
                                .issuedAt(now - 7200)
                                .expiresAt(now - 3600)
                                .sign(SecuredFixture.signingKey()),
                        401,
                        "invalid_api_key"),
                new Row(
                        "a forged JWT",
                        CHAT,
                        List.of(JSON),
                        GOOD_CHAT.getBytes(),
                        Jwt.issuer(SecuredFixture.ISSUER)
                                .audience(SecuredFixture.AUDIENCE)
                                .subject("forger")
                                .expiresIn(300)
                                .sign(SecuredFixture.forgerKey()),
                        401,
                        "invalid_api_key"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void answersHostileInputCleanlyAndKeepsServing(Row row) {
        List<String> headers = new ArrayList<>(row.headers());
        headers.add("X-Forwarded-For: " + SecuredFixture.freshAddress());
        if (row.credential() != null) {
            headers.add("Authorization: Bearer " + row.credential());
        }
        String method = row.body() == null ? "GET" : "POST";

        RawHttp.Response response =
                RawHttp.exchange(root.getPort(), "127.0.0.1", RawHttp.request(method, row.path(), headers, row.body()));

        assertThat(response.status()).isEqualTo(row.status());
        assertNoStackTrace(response.body());
        if (row.code() != null) {
            JsonNode error = OpenAiErrorSchema.assertValid(response.body());
            assertThat(error.get("code").asText()).isEqualTo(row.code());
            assertThat(response.header("Content-Type")).isEqualTo("application/json");
        } else {
            assertThat(Json.parse(response.body()).get("error"))
                    .as("vLLM's own error body")
                    .isNotNull();
        }
        assertServesOthers();
    }

    @Test
    void keepsTheSocketPeerWhenAnUntrustedClientSpoofsForwardedFor() {
        String requestId = "spoof-" + UUID.randomUUID();
        RawHttp.Response response = RawHttp.exchange(
                root.getPort(),
                "127.0.0.3",
                RawHttp.request(
                        "GET",
                        "/v1/models",
                        List.of(
                                "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY,
                                "X-Request-Id: " + requestId,
                                "X-Forwarded-For: 10.1.2.3",
                                "X-Forwarded-For: 127.0.0.1"),
                        null));

        assertThat(response.status()).isEqualTo(200);
        assertThat(await().atMost(Duration.ofSeconds(5))
                        .until(() -> observer.get(requestId), found -> found != null)
                        .clientIp())
                .isEqualTo("127.0.0.3");
    }

    /**
     * Header values with a bare CR are refused by the HTTP codec itself (400, empty body, connection closed)
     * before vgate sees them; whatever gets through, nothing injected ever comes back as a header.
     */
    @Test
    void neverEchoesAnInjectedHeader() {
        List<List<String>> attempts = List.of(
                List.of("X-Request-Id: abc%0d%0aSet-Cookie:%20injected=1"),
                List.of("X-Request-Id: abc\rSet-Cookie: injected=1"),
                List.of("X-Request-Id: abc", " Set-Cookie: injected=1"),
                List.of("X-Request-Id: " + "a".repeat(500)),
                List.of("X-Forwarded-For: 1.2.3.4\rSet-Cookie: injected=1"),
                List.of("Authorization: Bearer " + SecuredFixture.TEAM_A_KEY + "\rX-Injected: 1"));
        for (List<String> attempt : attempts) {
            List<String> headers = new ArrayList<>(attempt);
            headers.add("Authorization: Bearer " + SecuredFixture.TEAM_A_KEY);
            headers.add("X-Forwarded-For: " + SecuredFixture.freshAddress());

            RawHttp.Response response =
                    RawHttp.exchange(root.getPort(), "127.0.0.1", RawHttp.request("GET", "/v1/models", headers, null));

            assertThat(response.status()).as("%s", attempt).isIn(200, 400);
            assertThat(response.headers())
                    .as("%s", attempt)
                    .noneMatch(header -> header[0].equalsIgnoreCase("Set-Cookie")
                            || header[0].toLowerCase().contains("inject")
                            || header[1].contains("\r")
                            || header[1].contains("\n"));
            if (response.status() == 200) {
                assertThat(response.header("X-Request-Id")).as("%s", attempt).matches("[0-9a-f]{32}");
            }
            assertNoStackTrace(response.body());
        }
        assertServesOthers();
    }

    @Test
    void keepsTheConnectionUsableAfterRejectingARequestBeforeItsBody() {
        byte[] body = ("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(64 * 1024) + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        String address = "X-Forwarded-For: " + SecuredFixture.freshAddress();
        try (RawHttp connection = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            connection.send(RawHttp.request(
                    "POST", CHAT, List.of(JSON, address, "Authorization: Bearer vgk-wrong"), body, true));
            RawHttp.Response rejected = connection.read();
            connection.send(RawHttp.request(
                    "POST",
                    CHAT,
                    List.of(JSON, address, "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY),
                    GOOD_CHAT.getBytes(StandardCharsets.UTF_8),
                    true));
            RawHttp.Response accepted = connection.read();

            assertThat(rejected.status()).isEqualTo(401);
            assertThat(accepted.status())
                    .as("the unread body was drained, not parsed as the next request")
                    .isEqualTo(200);
        }
    }

    @Test
    void cutsABodyThatTricklesInAndServesOthersMeanwhile() {
        String head = "POST " + CHAT
                + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n"
                + "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY + "\r\nX-Forwarded-For: "
                + SecuredFixture.freshAddress()
                + "\r\n\r\n";
        try (RawHttp slow = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            long start = System.nanoTime();
            slow.send((head + "{\"messages\":").getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<RawHttp.Response> answer = CompletableFuture.supplyAsync(slow::read);

            assertServesOthers();
            RawHttp.Response response = answer.join();
            double waitedSeconds = (System.nanoTime() - start) / 1e9;

            assertThat(response.status()).isEqualTo(408);
            assertThat(OpenAiErrorSchema.assertValid(response.body())
                            .get("code")
                            .asText())
                    .isEqualTo("request_timeout");
            assertThat(waitedSeconds)
                    .as("vgate.api.body-read-timeout is 1s here")
                    .isBetween(0.9, 5.0);
            assertThat(slow.closedByServer()).isTrue();
        }
    }

    @Test
    void rejectsOversizedHeadersAtTheHttpLayer() {
        RawHttp.Response response = RawHttp.exchange(
                root.getPort(),
                "127.0.0.1",
                RawHttp.request(
                        "GET",
                        "/v1/models",
                        List.of(
                                "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY,
                                "X-Padding: " + "p".repeat(64 * 1024)),
                        null));

        assertThat(response.status()).isIn(400, 431);
        assertNoStackTrace(response.body());
        assertServesOthers();
    }

    @Test
    void setsSecurityHeadersOnEveryApiResponse() {
        List<RawHttp.Response> responses = List.of(
                get("/v1/models", SecuredFixture.TEAM_A_KEY),
                get("/v1/models", null),
                get("/v1/no-such-route", SecuredFixture.TEAM_A_KEY));

        assertThat(responses).extracting(RawHttp.Response::status).containsExactly(200, 401, 404);
        assertThat(responses).allSatisfy(response -> {
            assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
            assertThat(response.header("Content-Security-Policy"))
                    .isEqualTo("default-src 'none'; frame-ancestors 'none'");
            assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        });
    }

    @Test
    void allowsTheConfiguredWebOriginOnly() {
        RawHttp.Response allowed = preflight(SecuredProfile.WEB_ORIGIN);
        RawHttp.Response other = preflight("https://evil.example.net");
        RawHttp.Response actual = RawHttp.exchange(
                root.getPort(),
                "127.0.0.1",
                RawHttp.request(
                        "GET",
                        "/v1/models",
                        List.of(
                                "Origin: " + SecuredProfile.WEB_ORIGIN,
                                "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY,
                                "X-Forwarded-For: " + SecuredFixture.freshAddress()),
                        null));

        assertThat(allowed.status()).isEqualTo(200);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(SecuredProfile.WEB_ORIGIN);
        assertThat(allowed.header("Access-Control-Allow-Headers")).containsIgnoringCase("Authorization");
        assertThat(allowed.header("Access-Control-Allow-Methods")).contains("POST");
        assertThat(allowed.header("Access-Control-Allow-Credentials")).isNotEqualTo("true");
        assertThat(other.header("Access-Control-Allow-Origin")).isNull();
        assertThat(actual.status()).isEqualTo(200);
        assertThat(actual.header("Access-Control-Allow-Origin")).isEqualTo(SecuredProfile.WEB_ORIGIN);
        assertThat(actual.header("Access-Control-Expose-Headers"))
                .contains("RateLimit-Remaining")
                .contains("X-Request-Id");
    }

    private RawHttp.Response preflight(String origin) {
        return RawHttp.exchange(
                root.getPort(),
                "127.0.0.1",
                RawHttp.request(
                        "OPTIONS",
                        CHAT,
                        List.of(
                                "Origin: " + origin,
                                "Access-Control-Request-Method: POST",
                                "Access-Control-Request-Headers: authorization,content-type"),
                        null));
    }

    private RawHttp.Response get(String path, String credential) {
        List<String> headers = new ArrayList<>(List.of("X-Forwarded-For: " + SecuredFixture.freshAddress()));
        if (credential != null) {
            headers.add("Authorization: Bearer " + credential);
        }
        return RawHttp.exchange(root.getPort(), "127.0.0.1", RawHttp.request("GET", path, headers, null));
    }

    private void assertServesOthers() {
        RawHttp.Response response = RawHttp.exchange(
                root.getPort(),
                "127.0.0.1",
                RawHttp.request(
                        "POST",
                        CHAT,
                        List.of(
                                JSON,
                                "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY,
                                "X-Forwarded-For: " + SecuredFixture.freshAddress()),
                        GOOD_CHAT.getBytes(StandardCharsets.UTF_8)));
        assertThat(response.status()).as("another client is served").isEqualTo(200);
        assertThat(Json.parse(response.body()).at("/choices/0/message/content").isTextual())
                .isTrue();
    }

    private static void assertNoStackTrace(String body) {
        assertThat(body)
                .doesNotContain("Exception")
                .doesNotContain("\tat ")
                .doesNotContain("io.vgate.")
                .doesNotContain("io.vertx.")
                .doesNotContain("com.fasterxml");
    }

    private static Row vgate(String name, String path, String body, int status, String code) {
        return new Row(
                name,
                path,
                List.of(JSON),
                body.getBytes(StandardCharsets.UTF_8),
                SecuredFixture.TEAM_A_KEY,
                status,
                code);
    }

    private static byte[] invalidUtf8() {
        byte[] prefix = "{\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] suffix = "\"}]}".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[prefix.length + 3 + suffix.length];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[prefix.length] = (byte) 0xC3;
        body[prefix.length + 1] = (byte) 0x28;
        body[prefix.length + 2] = (byte) 0xFF;
        System.arraycopy(suffix, 0, body, prefix.length + 3, suffix.length);
        return body;
    }
}
