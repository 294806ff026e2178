package io.vgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.vgate.bench.http.Http1Connection;
import io.vgate.bench.http.ResponseParser;

/**
 * The tap names each upstream response by the request it answers on the same connection, so events that carry no
 * id at all (as most Responses API events) still reach the right stream: over a real socket, through a real tap, to
 * a scripted upstream.
 */
class EventTapTests {

    private static final String[] FIRST = {
        "event: response.created\ndata: {\"response\":{\"id\":\"a\"},\"sequence_number\":0}\n\n",
        "event: response.output_text.delta\ndata: {\"delta\":\"Hi\",\"item_id\":\"x\",\"sequence_number\":1}\n\n",
        "event: response.completed\ndata: {\"response\":{\"id\":\"a\"},\"sequence_number\":2}\n\n" };
    private static final String[] SECOND = {
        "event: response.output_text.delta\ndata: {\"delta\":\"Yo\",\"item_id\":\"y\",\"sequence_number\":1}\n\n",
        "event: response.completed\ndata: {\"response\":{\"id\":\"b\"},\"sequence_number\":2}\n\n" };

    @Test
    void pipelinedResponsesGoToTheRequestsTheyAnswerByHeaderOrBodyId() throws Exception {
        // Both responses leave the upstream in one write: the end of the first and the start of the second reach the
        // tap in the same read, and each event must still land in its own stream.
        byte[] both = concat(sse(FIRST), sse(SECOND));
        try (Upstream upstream = new Upstream(2, both);
                EventTap tap = new EventTap(0, upstream.address())) {
            URI uri = URI.create("http://127.0.0.1:" + tap.port() + "/v1/responses");
            byte[] a = Http1Connection.post(uri, "{\"input\":\"hi\",\"stream\":true}", Map.of("X-Request-Id", "a"));
            byte[] b = Http1Connection.post(uri, "{\"input\":\"yo\",\"stream\":true, \"request_id\" : \"b\"}", Map.of());

            byte[] received = exchange(tap.port(), concat(a, b), 2);

            assertEquals(crcs(FIRST), crcs(tap.stream("a")));
            assertEquals(crcs(SECOND), crcs(tap.stream("b")));
            assertEquals(0, tap.unattributed());
            assertEquals(new String(both, StandardCharsets.ISO_8859_1), new String(received, StandardCharsets.ISO_8859_1)
                    .substring(received.length - both.length), "every byte relayed unchanged");
        }
    }

    @Test
    void aStreamWhoseRequestHasNoIdIsRelayedButNotRecorded() throws Exception {
        try (Upstream upstream = new Upstream(1, sse(SECOND));
                EventTap tap = new EventTap(0, upstream.address())) {
            URI uri = URI.create("http://127.0.0.1:" + tap.port() + "/v1/responses");
            byte[] request = Http1Connection.post(uri, "{\"input\":\"yo\",\"stream\":true}", Map.of());

            byte[] received = exchange(tap.port(), request, 1);

            assertEquals(1, tap.unattributed());
            assertTrue(new String(received, StandardCharsets.UTF_8).endsWith("0\r\n\r\n"));
        }
    }

    @Test
    void bodyRequestIdIsTheTopLevelStringValue() {
        assertEquals("resp_1", EventTap.bodyRequestId(bytes("{\"input\":\"x\",\"request_id\":\"resp_1\"}")));
        assertEquals("r 2", EventTap.bodyRequestId(bytes("{\"request_id\" :\n \"r 2\"}")));
        assertNull(EventTap.bodyRequestId(bytes("{\"input\":\"request_id\"}")));
        assertNull(EventTap.bodyRequestId(bytes("{\"request_id\":null}")));
        assertNull(EventTap.bodyRequestId(bytes("{\"request_id\":\"unterminated")));
    }

    @Test
    void eachDialectKnowsTheEventThatEndsACompleteStream() {
        SseStreamClient.Dialect responses = SseStreamClient.Dialect.RESPONSES;
        assertTrue(responses.ends(bytes(FIRST[2])));
        assertTrue(responses.ends(bytes("event: response.completed\r\ndata: {}\r\n\r\n")));
        assertFalse(responses.ends(bytes(FIRST[1])));
        assertFalse(responses.ends(bytes("event: response.completed_extra\ndata: {}\n\n")));
        assertFalse(responses.ends(bytes("data: [DONE]\n\n")));
        assertTrue(SseStreamClient.Dialect.CHAT.ends(bytes("data: [DONE]\n\n")));
        assertFalse(SseStreamClient.Dialect.CHAT.ends(bytes(FIRST[2])));
    }

    /** Writes {@code request} on one connection to the tap and reads until {@code responses} responses ended. */
    private static byte[] exchange(int port, byte[] request, int responses) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout(10_000);
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            socket.getOutputStream().write(request);
            AtomicInteger ended = new AtomicInteger();
            ResponseParser parser = new ResponseParser(new ResponseParser.Listener() {
                @Override
                public void onHead(int status, Map<String, String> headers) {
                    assertEquals(200, status);
                }

                @Override
                public void onEnd() {
                    ended.incrementAndGet();
                }
            });
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            while (ended.get() < responses) {
                int n = in.read(buf);
                if (n < 0) {
                    throw new IllegalStateException("closed after " + ended.get() + " responses");
                }
                parser.feed(buf, 0, n);
                all.write(buf, 0, n);
            }
            return all.toByteArray();
        }
    }

    /** An upstream that reads {@code requests} whole requests on its first connection, then writes {@code answer}. */
    private static final class Upstream implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final CompletableFuture<Void> done;

        Upstream(int requests, byte[] answer) throws Exception {
            done = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    AtomicInteger seen = new AtomicInteger();
                    ResponseParser parser = ResponseParser.forRequests(new ResponseParser.Listener() {
                        @Override
                        public void onHead(int status, Map<String, String> headers) {
                        }

                        @Override
                        public void onEnd() {
                            seen.incrementAndGet();
                        }
                    });
                    InputStream in = s.getInputStream();
                    byte[] buf = new byte[4096];
                    while (seen.get() < requests) {
                        int n = in.read(buf);
                        if (n < 0) {
                            return;
                        }
                        parser.feed(buf, 0, n);
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(answer);
                    out.flush();
                    s.shutdownOutput();
                    in.readAllBytes();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
        }

        @Override
        public void close() throws Exception {
            server.close();
            done.get(10, TimeUnit.SECONDS);
        }
    }

    /** One SSE response, each event in its own chunk. */
    private static byte[] sse(String[] events) {
        StringBuilder sb = new StringBuilder("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                + "transfer-encoding: chunked\r\n\r\n");
        for (String e : events) {
            sb.append(Integer.toHexString(bytes(e).length)).append("\r\n").append(e).append("\r\n");
        }
        return bytes(sb.append("0\r\n\r\n").toString());
    }

    private static List<Long> crcs(String[] events) {
        List<Long> out = new ArrayList<>();
        for (String e : events) {
            out.add(EventTap.crc(bytes(e)));
        }
        return out;
    }

    private static List<Long> crcs(EventTap.Stream stream) {
        List<Long> out = new ArrayList<>();
        if (stream != null) {
            stream.snapshot().forEach(e -> out.add(e[1]));
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
