package io.vgate.bench;

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
import java.util.concurrent.ConcurrentHashMap;
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
 * Events are matched to streams by the completion id vLLM builds from the request id ({@code chatcmpl-<id>}), which
 * the client chooses, so the tap needs no knowledge of the gateway's connections.
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

    private static final byte[] ID_MARK = "\"id\":\"chatcmpl-".getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
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

    /** What the tap saw of the response whose completion id is {@code chatcmpl-<requestId>}, or null. */
    Stream stream(String requestId) {
        return streams.get(requestId);
    }

    void forget() {
        streams.clear();
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
            Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    int n;
                    while ((n = fromReader.read(buf)) >= 0) {
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
            ResponseWatcher watcher = new ResponseWatcher();
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

    /** Follows the responses on one upstream connection and notes the SSE events completed by each read. */
    private final class ResponseWatcher implements ResponseParser.Listener {
        final ResponseParser parser = new ResponseParser(this);
        private final SseSplitter splitter = new SseSplitter(this::event);
        private final List<byte[]> completed = new ArrayList<>();
        private boolean sse;
        private Stream current;
        private final List<byte[]> beforeId = new ArrayList<>();

        @Override
        public void onHead(int status, Map<String, String> headers) {
            String type = headers.getOrDefault("content-type", "");
            sse = status == 200 && type.startsWith("text/event-stream");
            current = null;
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
        }

        private void event(byte[] event) {
            completed.add(event);
        }

        /** Called once per read, just before its bytes are written on: every event it completed left now. */
        void stamp(long nanos) {
            for (byte[] event : completed) {
                if (current == null) {
                    String id = completionId(event);
                    if (id == null) {
                        beforeId.add(event);
                        continue;
                    }
                    current = streams.computeIfAbsent(id, k -> new Stream());
                    for (byte[] early : beforeId) {
                        current.add(nanos, crc(early));
                    }
                    beforeId.clear();
                }
                current.add(nanos, crc(event));
            }
            completed.clear();
        }
    }

    static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    /** The request id inside {@code "id":"chatcmpl-<id>"}, or null when the event has none. */
    static String completionId(byte[] event) {
        outer:
        for (int i = 0; i + ID_MARK.length < event.length; i++) {
            for (int k = 0; k < ID_MARK.length; k++) {
                if (event[i + k] != ID_MARK[k]) {
                    continue outer;
                }
            }
            int start = i + ID_MARK.length;
            int end = start;
            while (end < event.length && event[end] != '"') {
                end++;
            }
            return new String(event, start, end - start, StandardCharsets.US_ASCII);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
