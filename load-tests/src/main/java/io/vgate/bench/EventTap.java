package io.vgate.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import io.vgate.bench.http.ResponseParser;
import io.vgate.bench.http.SseSplitter;

/**
 * A TCP relay placed between the simulator and whatever reads its streams (vgate, nginx, or the benchmark client
 * itself for the direct baseline). It passes every byte on unchanged and, for each SSE event of each response,
 * notes the {@link System#nanoTime()} at which the event's last byte was handed to the reader's socket, with a CRC
 * of the event's bytes. The benchmark client runs in the same JVM, so comparing its own arrival time of the same
 * event gives the delay of everything between the tap and the client: the gateway under test, or for the direct
 * baseline nothing but the loopback and the client's own reading.
 * <p>
 * Events are attributed to streams by connection, not by their content. The tap reads both directions of every
 * upstream connection: each request that passes towards the simulator is named by its {@code X-Request-Id} header
 * (or, without one, by the {@code request_id} of its JSON body), and HTTP/1.1 answers the requests of a connection
 * in the order they were sent (RFC 9112 §9.3), so the n-th response on a connection belongs to the n-th request on
 * it, pipelined or not. That holds for every dialect alike: chat chunks carry {@code "id":"chatcmpl-<id>"} in every
 * event, but a Responses stream names its response id only in some events ({@code response.created},
 * {@code response.completed}; the deltas carry item ids), and an Anthropic stream only in {@code message_start}.
 * The client chooses the id (and gateways pass {@code X-Request-Id} on: vgate keeps a client's id, nginx forwards
 * every header), so the tap needs no knowledge of the gateway's connections. A request is named when the tap has
 * read all of it, before its last bytes are passed on, so its name is always there before its response can start.
 * A gateway that retried a request upstream would show the same id twice; the later response replaces the earlier,
 * since that is the one the client received.
 */
final class EventTap implements AutoCloseable {

    /** The events of one response, in order, as the tap forwarded them. */
    static final class Stream {
        final List<long[]> events = new ArrayList<>(); // {nanoTime, crc}

        synchronized void add(long nanos, long crc) {
            events.add(new long[] { nanos, crc });
        }

        synchronized List<long[]> snapshot() {
            return new ArrayList<>(events);
        }
    }

    /** Stands for a request that carried no id: its response is relayed but not recorded. */
    private static final String UNNAMED = "";
    private static final byte[] REQUEST_ID_MARK = "\"request_id\"".getBytes(StandardCharsets.US_ASCII);
    /** Request bodies are looked at for a {@code request_id} up to this size (the benchmark's are a few hundred bytes). */
    private static final int MAX_BODY_SCAN = 64 * 1024;

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    private final AtomicLong unattributed = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    EventTap(int port, InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8192);
        acceptor = Thread.ofPlatform().daemon().name("tap-accept").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** What the tap saw of the response to the request named {@code requestId}, or null. */
    Stream stream(String requestId) {
        return streams.get(requestId);
    }

    /** SSE responses since the last {@link #forget} whose request the tap could not name (none, if all is well). */
    long unattributed() {
        return unattributed.get();
    }

    void forget() {
        streams.clear();
        unattributed.set(0);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket reader = server.accept();
                Thread.ofVirtual().start(() -> relay(reader));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("tap: accept failed: " + e);
                }
            }
        }
    }

    private void relay(Socket reader) {
        try (reader; Socket source = new Socket()) {
            reader.setTcpNoDelay(true);
            source.setTcpNoDelay(true);
            source.connect(upstream, 10_000);
            InputStream fromReader = reader.getInputStream();
            OutputStream toSource = source.getOutputStream();
            Queue<String> requestIds = new ConcurrentLinkedQueue<>();
            Thread.ofVirtual().start(() -> {
                RequestWatcher requests = new RequestWatcher(requestIds);
                byte[] buf = new byte[16 * 1024];
                try {
                    int n;
                    while ((n = fromReader.read(buf)) >= 0) {
                        requests.feed(buf, n);
                        toSource.write(buf, 0, n);
                    }
                } catch (IOException ignored) {
                    // the other direction notices and closes both
                } finally {
                    try {
                        source.shutdownOutput();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            });
            InputStream fromSource = source.getInputStream();
            OutputStream toReader = reader.getOutputStream();
            ResponseWatcher watcher = new ResponseWatcher(requestIds);
            byte[] buf = new byte[16 * 1024];
            int n;
            while ((n = fromSource.read(buf)) >= 0) {
                watcher.parser.feed(buf, 0, n);
                long now = System.nanoTime();
                watcher.stamp(now);
                toReader.write(buf, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            if (!closed && !(e instanceof java.net.SocketException)) {
                System.err.println("tap: relay failed: " + e);
            }
        }
    }

    /** Names each request sent on one upstream connection, in order. */
    private static final class RequestWatcher implements ResponseParser.Listener {
        private final ResponseParser parser = ResponseParser.forRequests(this);
        private final Queue<String> ids;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private String id;
        private boolean scanBody;
        private boolean broken;

        RequestWatcher(Queue<String> ids) {
            this.ids = ids;
        }

        void feed(byte[] bytes, int length) {
            if (broken) {
                return;
            }
            try {
                parser.feed(bytes, 0, length);
            } catch (RuntimeException e) {
                // Not HTTP/1.1 the tap understands: keep relaying; the responses go unnamed and the run says so.
                broken = true;
                System.err.println("tap: cannot follow the requests of a connection: " + e);
            }
        }

        @Override
        public void onHead(int status, Map<String, String> headers) {
            id = headers.get("x-request-id");
            scanBody = id == null;
            body.reset();
        }

        @Override
        public void onBody(byte[] bytes, int offset, int length) {
            if (scanBody && body.size() < MAX_BODY_SCAN) {
                body.write(bytes, offset, Math.min(length, MAX_BODY_SCAN - body.size()));
            }
        }

        @Override
        public void onEnd() {
            if (id == null && scanBody) {
                id = bodyRequestId(body.toByteArray());
            }
            ids.add(id == null ? UNNAMED : id);
            id = null;
            scanBody = false;
        }
    }

    /** Follows the responses on one upstream connection and notes the SSE events completed by each read. */
    private final class ResponseWatcher implements ResponseParser.Listener {
        final ResponseParser parser = new ResponseParser(this);
        private final SseSplitter splitter = new SseSplitter(this::event);
        private final Queue<String> requestIds;
        private final List<Stream> completedIn = new ArrayList<>();
        private final List<byte[]> completed = new ArrayList<>();
        private boolean sse;
        private Stream current;

        ResponseWatcher(Queue<String> requestIds) {
            this.requestIds = requestIds;
        }

        @Override
        public void onHead(int status, Map<String, String> headers) {
            String id = requestIds.poll(); // this response answers the oldest request not yet answered
            String type = headers.getOrDefault("content-type", "");
            sse = status == 200 && type.startsWith("text/event-stream");
            current = null;
            if (sse) {
                if (id == null || id.equals(UNNAMED)) {
                    unattributed.incrementAndGet();
                } else {
                    current = new Stream();
                    streams.put(id, current);
                }
            }
        }

        @Override
        public void onBody(byte[] bytes, int offset, int length) {
            if (sse) {
                splitter.feed(bytes, offset, length);
            }
        }

        @Override
        public void onEnd() {
            sse = false;
            current = null;
        }

        private void event(byte[] event) {
            if (current != null) {
                completedIn.add(current);
                completed.add(event);
            }
        }

        /** Called once per read, just before its bytes are written on: every event it completed left now. */
        void stamp(long nanos) {
            for (int i = 0; i < completed.size(); i++) {
                completedIn.get(i).add(nanos, crc(completed.get(i)));
            }
            completed.clear();
            completedIn.clear();
        }
    }

    static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** The string value of the first {@code "request_id"} key in a JSON body, or null (no JSON parsing needed). */
    static String bodyRequestId(byte[] body) {
        outer:
        for (int i = 0; i + REQUEST_ID_MARK.length <= body.length; i++) {
            for (int k = 0; k < REQUEST_ID_MARK.length; k++) {
                if (body[i + k] != REQUEST_ID_MARK[k]) {
                    continue outer;
                }
            }
            int j = i + REQUEST_ID_MARK.length;
            while (j < body.length && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r')) {
                j++;
            }
            if (j >= body.length || body[j] != ':') {
                continue;
            }
            j++;
            while (j < body.length && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r')) {
                j++;
            }
            if (j >= body.length || body[j] != '"') {
                return null;
            }
            int start = ++j;
            while (j < body.length && body[j] != '"' && body[j] != '\\') {
                j++;
            }
            return j < body.length && body[j] == '"' ? new String(body, start, j - start, StandardCharsets.UTF_8) : null;
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
