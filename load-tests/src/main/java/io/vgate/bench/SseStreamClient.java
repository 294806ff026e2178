package io.vgate.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.vgate.bench.http.ResponseParser;
import io.vgate.bench.http.SseSplitter;

/**
 * One streaming request over its own connection, read with plain blocking reads, recording for every SSE event the
 * time of the read that completed it, which read that was, and a CRC of its bytes; and, per HTTP chunk, whether the
 * chunk held exactly one whole event.
 */
final class SseStreamClient {

    /** An event as the client received it. */
    record Event(long nanos, int read, long crc) {
    }

    /** What one stream looked like at the client. */
    static final class Result {
        final String requestId;
        int status;
        String error;
        boolean sawDone;
        final List<Event> events = new ArrayList<>();
        int chunks;
        /** Chunks that were not exactly one whole SSE event. */
        int chunksNotOneEvent;
        long connectedNanos;
        long endNanos;

        Result(String requestId) {
            this.requestId = requestId;
        }
    }

    private static final byte[] DONE = "data: [DONE]".getBytes(StandardCharsets.US_ASCII);

    private SseStreamClient() {
    }

    static Result run(URI uri, byte[] request, String requestId) {
        Result r = new Result(requestId);
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 30_000);
            r.connectedNanos = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            Reader reader = new Reader(r);
            byte[] buf = new byte[16 * 1024];
            while (!reader.ended) {
                int n = in.read(buf);
                if (n < 0) {
                    r.error = "connection closed before the response ended";
                    break;
                }
                reader.now = System.nanoTime();
                reader.read++;
                reader.parser.feed(buf, 0, n);
            }
            r.endNanos = System.nanoTime();
        } catch (IOException | RuntimeException e) {
            r.error = e.toString();
        }
        return r;
    }

    /** A streaming chat request asking for the usage chunk, so the gateway forwards every event vLLM sends. */
    static byte[] request(URI uri, String auth, String requestId, int maxTokens) {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}],\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true}";
        return io.vgate.bench.http.Http1Connection.post(uri, body,
                auth == null ? Map.of("X-Request-Id", requestId, "Connection", "close")
                        : Map.of("X-Request-Id", requestId, "Authorization", auth, "Connection", "close"));
    }

    private static final class Reader implements ResponseParser.Listener {
        final Result r;
        final ResponseParser parser = new ResponseParser(this);
        final SseSplitter splitter;
        boolean ended;
        long now;
        int read;
        private boolean chunkStartsClean;
        private int eventsAtChunkStart;

        Reader(Result r) {
            this.r = r;
            this.splitter = new SseSplitter(this::event);
        }

        @Override
        public void onHead(int status, Map<String, String> headers) {
            r.status = status;
        }

        @Override
        public void onChunkStart(int size) {
            chunkStartsClean = splitter.pendingBytes() == 0;
            eventsAtChunkStart = r.events.size();
        }

        @Override
        public void onBody(byte[] bytes, int offset, int length) {
            splitter.feed(bytes, offset, length);
        }

        @Override
        public void onChunkEnd() {
            r.chunks++;
            if (!chunkStartsClean || splitter.pendingBytes() != 0 || r.events.size() - eventsAtChunkStart != 1) {
                r.chunksNotOneEvent++;
            }
        }

        @Override
        public void onEnd() {
            ended = true;
        }

        private void event(byte[] event) {
            r.events.add(new Event(now, read, EventTap.crc(event)));
            if (startsWith(event, DONE)) {
                r.sawDone = true;
            }
        }

        private static boolean startsWith(byte[] a, byte[] prefix) {
            if (a.length < prefix.length) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (a[i] != prefix[i]) {
                    return false;
                }
            }
            return true;
        }
    }
}
