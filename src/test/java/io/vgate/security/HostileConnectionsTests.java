package io.vgate.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import io.vgate.testing.RawHttp;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connections that hold vgate's resources without sending a request: a head trickled in byte by byte,
 * thousands of connections that send nothing, a kept-alive connection left idle, one address opening more
 * connections than it may hold. Settings of {@link SecuredProfile}: head deadline 2 s, keep-alive 4 s, 8
 * connections per address (127.0.0.1, the trusted proxy, is exempt; these tests connect from others).
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class HostileConnectionsTests {

    private static final String CHAT = "/v1/chat/completions";
    private static final String GOOD_CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}";

    @TestHTTPResource("/")
    URI root;

    @Inject
    VllmSimulator sim;

    @AfterEach
    void restoreSimulator() {
        sim.settings().reset();
    }

    @Test
    void closesAConnectionThatTricklesItsHeadIn() throws Exception {
        byte[] head = ("POST " + CHAT + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY + "\r\n"
                        + "X-Padding: " + "p".repeat(200) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        try (Socket slow = connect("127.0.0.5")) {
            OutputStream out = slow.getOutputStream();
            long start = System.nanoTime();
            boolean closed = false;
            // One byte every 100 ms: the whole head would take 30 s; the deadline is 2 s.
            for (int i = 0; i < head.length && !closed; i++) {
                try {
                    out.write(head[i]);
                    out.flush();
                } catch (IOException e) {
                    closed = true;
                    break;
                }
                closed = closedWithin(slow, Duration.ofMillis(100));
            }
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(closed).as("closed before the head was complete").isTrue();
            assertThat(seconds).as("head deadline is 2 s").isBetween(1.5, 8.0);
        }
        assertServesOthers();
    }

    @Test
    void closesThousandsOfConnectionsThatSendNothing() throws Exception {
        int count = 2000;
        List<Socket> idle = new ArrayList<>(count);
        try {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                idle.add(connect("127.0.0." + (6 + i % 4)));
            }
            assertServesOthers();

            long deadline = start + Duration.ofSeconds(20).toNanos();
            int open = 0;
            for (Socket socket : idle) {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                if (!closedWithin(socket, Duration.ofMillis(left))) {
                    open++;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(open)
                    .as("connections still open %.1f s after they were opened", seconds)
                    .isZero();
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        assertServesOthers();
    }

    @Test
    void keepsAnAnswerThatTakesLongerThanTheHeadDeadline() {
        sim.settings().faults().slowFirstToken(Duration.ofMillis(3500));

        RawHttp.Response response = RawHttp.exchange(
                port(),
                "127.0.0.10",
                RawHttp.request(
                        "POST",
                        CHAT,
                        List.of("Content-Type: application/json", "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY),
                        GOOD_CHAT.getBytes(StandardCharsets.UTF_8)));

        assertThat(response.status()).isEqualTo(200);
        assertThat(Json.parse(response.body()).at("/choices/0/message/content").isTextual())
                .isTrue();
    }

    @Test
    void closesAKeptAliveConnectionLeftIdleAndServesTheNextRequestMeanwhile() {
        try (RawHttp connection = RawHttp.connect(port(), "127.0.0.11", Duration.ofSeconds(15))) {
            for (int i = 0; i < 2; i++) {
                connection.send(models(true));
                assertThat(connection.read().status()).isEqualTo(200);
                // Idle for a while, but within the 4 s keep-alive: the connection stays usable.
                await().pollDelay(Duration.ofMillis(1500))
                        .atMost(Duration.ofSeconds(3))
                        .until(() -> true);
            }
            long start = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).until(connection::closedByServer);
            assertThat((System.nanoTime() - start) / 1e9).isLessThan(8.0);
        }
    }

    @Test
    void capsTheConnectionsOneAddressHolds() {
        String address = "127.0.0.12";
        List<RawHttp> held = new ArrayList<>();
        try {
            for (int i = 0; i < 48; i++) {
                RawHttp connection = RawHttp.connect(port(), address, Duration.ofSeconds(10));
                held.add(connection);
                // A /v1 path vgate answers itself without a rate limit: only the connection count matters here,
                // and all 48 are opened well within the 4 s keep-alive.
                connection.send(RawHttp.request("GET", "/v1/no-such-route", List.of(), null, true));
                assertThat(connection.read().status())
                        .as("connection %d", i + 1)
                        .isEqualTo(404);
            }
            try (RawHttp oneTooMany = RawHttp.connect(port(), address, Duration.ofSeconds(10))) {
                oneTooMany.send(models(true));
                RawHttp.Response refused = oneTooMany.read();

                assertThat(refused.status()).isEqualTo(429);
                assertThat(OpenAiErrorSchema.assertValid(refused.body())
                                .get("code")
                                .asText())
                        .isEqualTo("too_many_connections");
                assertThat(refused.header("X-Request-Id")).isNotBlank();
                assertThat(oneTooMany.closedByServer()).isTrue();
            }
            assertThat(RawHttp.exchange(port(), "127.0.0.13", models(false)).status())
                    .as("other addresses are not affected")
                    .isEqualTo(200);

            held.removeFirst().close();
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(RawHttp.exchange(port(), address, models(false))
                                    .status())
                            .as("a closed connection frees its place")
                            .isEqualTo(200));
        } finally {
            held.forEach(RawHttp::close);
        }
    }

    private int port() {
        return root.getPort();
    }

    private static byte[] models(boolean keepAlive) {
        return RawHttp.request(
                "GET", "/v1/models", List.of("Authorization: Bearer " + SecuredFixture.TEAM_A_KEY), null, keepAlive);
    }

    private Socket connect(String source) throws IOException {
        var socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 5000);
        return socket;
    }

    /** True when the peer closes (or resets) the connection within {@code wait}. */
    private static boolean closedWithin(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
        InputStream in = socket.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private void assertServesOthers() {
        CompletableFuture<RawHttp.Response> answer = CompletableFuture.supplyAsync(() -> RawHttp.exchange(
                port(),
                "127.0.0.1",
                RawHttp.request(
                        "POST",
                        CHAT,
                        List.of(
                                "Content-Type: application/json",
                                "Authorization: Bearer " + SecuredFixture.TEAM_A_KEY,
                                "X-Forwarded-For: " + SecuredFixture.freshAddress()),
                        GOOD_CHAT.getBytes(StandardCharsets.UTF_8))));
        assertThat(answer.join().status()).as("another client is served").isEqualTo(200);
    }
}
