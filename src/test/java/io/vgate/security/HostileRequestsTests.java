package io.vgate.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.testing.LogCapture;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.RawHttp;
import io.vgate.testing.RecordingObserver;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests whose framing, size, encoding or numbers lie: each gets vgate's own, OpenAI-shaped answer with
 * an {@code X-Request-Id}, ambiguous framing closes the connection, and a flood of rejections from one
 * client writes one access line while every rejection is counted.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class HostileRequestsTests {

    private static final String CHAT = "/v1/chat/completions";
    private static final String GOOD_CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}";
    private static final String JSON = "Content-Type: application/json";
    private static final String AUTH = "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY;

    @TestHTTPResource("/")
    URI root;

    @Inject
    RecordingObserver observer;

    @Inject
    io.vgate.sim.VllmSimulator sim;

    @ParameterizedTest
    @ValueSource(longs = {300_000L, 11_000_000L, 1_000_000_000_000L})
    void answersEveryBodyOverTheLimitInOpenAiShape(long declared) {
        try (RawHttp connection = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            connection.send(head(
                    "POST",
                    CHAT,
                    "HTTP/1.1",
                    List.of(JSON, AUTH, xff(), "Content-Length: " + declared),
                    "{\"messages\":"));
            RawHttp.Response response = connection.read();

            assertThat(response.status()).isEqualTo(413);
            assertThat(OpenAiErrorSchema.assertValid(response.body())
                            .get("code")
                            .asText())
                    .isEqualTo("request_too_large");
            assertThat(response.header("X-Request-Id")).isNotBlank();
            assertThat(connection.closedByServer())
                    .as("the unread body is never parsed")
                    .isTrue();
        }
    }

    @Test
    void logsASlowBodyAsAnOrdinaryRequestWithoutAStackTrace() {
        try (LogCapture log = LogCapture.start();
                RawHttp slow = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            String requestId = "slow-body-" + UUID.randomUUID();
            slow.send(head(
                    "POST",
                    CHAT,
                    "HTTP/1.1",
                    List.of(JSON, AUTH, xff(), "Content-Length: 200", "X-Request-Id: " + requestId),
                    "{\"messages\":"));
            assertThat(slow.read().status()).isEqualTo(408);

            await().atMost(Duration.ofSeconds(5)).until(() -> log.count(requestId) > 0);
            await().pollDelay(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> true);
            assertThat(log.lines())
                    .anyMatch(line -> line.startsWith("INFO io.vgate.access") && line.contains(requestId));
            assertThat(log.lines())
                    .noneMatch(line -> line.startsWith("ERROR") || line.startsWith("SEVERE"))
                    .noneMatch(line -> line.contains("HttpClosedException") || line.contains("\tat "));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e6", "1000000.0", "1E+6"})
    void clampsAWholeFloatMaxTokensLikeTheInteger(String written) {
        var response = given().header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .header("X-Forwarded-For", SecuredFixture.freshAddress())
                .contentType("application/json")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":" + written + "}")
                .post(CHAT);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header("X-Vgate-Context")).isEqualTo("clamped");
        assertThat(Long.parseLong(response.header("X-Vgate-Max-Tokens"))).isLessThan(1_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"c0af", "eda080", "f4908080", "e282", "ff"})
    void refusesInvalidUtf8OfEveryKind(String hex) {
        var body = new ByteArrayOutputStream();
        body.writeBytes("{\"messages\":[{\"role\":\"user\",\"content\":\"a".getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(HexFormat.of().parseHex(hex));
        body.writeBytes("\"}]}".getBytes(StandardCharsets.US_ASCII));

        RawHttp.Response response = RawHttp.exchange(
                root.getPort(),
                "127.0.0.1",
                RawHttp.request("POST", CHAT, List.of(JSON, AUTH, xff()), body.toByteArray()));

        assertThat(response.status()).isEqualTo(400);
        assertThat(OpenAiErrorSchema.assertValid(response.body()).get("code").asText())
                .isEqualTo("invalid_json");
        assertThat(response.header("X-Request-Id")).isNotBlank();
    }

    @Test
    void refusesTwoAuthorizationHeadersAndClosesTheConnection() {
        try (RawHttp connection = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            connection.send(
                    head("GET", "/v1/models", "HTTP/1.1", List.of(AUTH, "Authorization: Bearer vgk-other", xff()), ""));
            RawHttp.Response response = connection.read();

            assertThat(response.status()).isEqualTo(400);
            assertThat(OpenAiErrorSchema.assertValid(response.body())
                            .get("code")
                            .asText())
                    .isEqualTo("ambiguous_framing");
            assertThat(response.header("X-Request-Id")).isNotBlank();
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void refusesTransferEncodingWithContentLengthOverHttp10() {
        try (RawHttp connection = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            String chunked = Integer.toHexString(GOOD_CHAT.length()) + "\r\n" + GOOD_CHAT + "\r\n0\r\n\r\n";
            connection.send(head(
                    "POST",
                    CHAT,
                    "HTTP/1.0",
                    List.of(JSON, AUTH, xff(), "Content-Length: 4", "Transfer-Encoding: chunked"),
                    chunked));
            RawHttp.Response response = connection.read();

            assertThat(response.status()).isEqualTo(400);
            assertThat(OpenAiErrorSchema.assertValid(response.body())
                            .get("code")
                            .asText())
                    .isEqualTo("ambiguous_framing");
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void neverRunsBytesSmuggledAfterAChunkedBody() {
        String smuggledId = "smuggled-" + UUID.randomUUID();
        String smuggled = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n" + AUTH + "\r\nX-Request-Id: " + smuggledId
                + "\r\n\r\n";
        String chunked = Integer.toHexString(GOOD_CHAT.length()) + "\r\n" + GOOD_CHAT + "\r\n0\r\n\r\n";
        try (RawHttp connection = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            // A front proxy reading Content-Length would see one request; the chunked framing ends earlier.
            connection.send(head(
                    "POST",
                    CHAT,
                    "HTTP/1.1",
                    List.of(
                            JSON,
                            AUTH,
                            xff(),
                            "Content-Length: " + (chunked.length() + smuggled.length()),
                            "Transfer-Encoding: chunked"),
                    chunked + smuggled));
            RawHttp.Response first = connection.read();

            assertThat(first.status()).isIn(200, 400);
            assertThat(first.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(connection.closedByServer())
                    .as("nothing after the chunked body is read")
                    .isTrue();
        }
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(observer.get(smuggledId))
                .as("the smuggled request never ran")
                .isNull();
    }

    @Test
    void servesAStreamOverHttp10CloseDelimitedAndFreesItsSlot() {
        String requestId = "http10-" + UUID.randomUUID();
        byte[] body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}"
                .getBytes(StandardCharsets.UTF_8);
        try (RawHttp connection = RawHttp.connect(root.getPort(), "127.0.0.1", Duration.ofSeconds(10))) {
            connection.send(head(
                    "POST",
                    CHAT,
                    "HTTP/1.0",
                    List.of(JSON, AUTH, xff(), "X-Request-Id: " + requestId, "Content-Length: " + body.length),
                    new String(body, StandardCharsets.ISO_8859_1)));
            RawHttp.Response response = connection.read();

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.hasHeader("Transfer-Encoding")).isFalse();
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(response.body()).startsWith("data: {").endsWith("data: [DONE]\n\n");
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(observer.get(requestId)).isNotNull();
            assertThat(observer.get(requestId).status()).isEqualTo(200);
            assertThat(DataPathFuzzTests.gauge("vgate_in_flight_requests")).isZero();
            assertThat(sim.running() + sim.waiting()).isZero();
        });
    }

    @Test
    void writesOneAccessLinePerClientAndReasonWhileCountingEveryRejection() {
        String address = SecuredFixture.freshAddress();
        String marker = "flood-" + UUID.randomUUID();
        double before = rejections("invalid_api_key");
        try (LogCapture log = LogCapture.start()) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                statuses.add(given().header("X-Forwarded-For", address)
                        .header("Authorization", "Bearer vgk-guess-" + i)
                        .header("X-Request-Id", marker + "-" + i)
                        .get("/v1/models")
                        .statusCode());
            }

            assertThat(statuses).containsOnly(401);
            await().atMost(Duration.ofSeconds(5)).until(() -> log.count(marker) >= 1);
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(log.count(marker))
                            .as("access lines of the flood")
                            .isEqualTo(1));
        }
        assertThat(rejections("invalid_api_key") - before).isGreaterThanOrEqualTo(15);
    }

    private static double rejections(String code) {
        return io.vgate.testing.Management.given()
                .get("/q/metrics")
                .asString()
                .lines()
                .filter(line -> line.startsWith("vgate_rejections_total{") && line.contains("code=\"" + code + "\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String xff() {
        return "X-Forwarded-For: " + SecuredFixture.freshAddress();
    }

    private static byte[] head(String method, String path, String version, List<String> headers, String body) {
        var text = new StringBuilder(method)
                .append(' ')
                .append(path)
                .append(' ')
                .append(version)
                .append("\r\n");
        text.append("Host: localhost\r\n");
        for (String header : headers) {
            text.append(header).append("\r\n");
        }
        return text.append("\r\n").append(body).toString().getBytes(StandardCharsets.ISO_8859_1);
    }
}
