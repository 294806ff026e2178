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

    /** The streaming API spoken: its path, its request and the event that ends a complete stream. */
    enum Dialect {
        /**
         * {@code POST /v1/chat/completions}: {@code data:} events, the last one {@code data: [DONE]}; usage asked
         * for, so that the gateway forwards every event vLLM sends.
         */
        CHAT("/v1/chat/completions", "data: [DONE]"),
        /**
         * {@code POST /v1/responses}: named events ({@code event: <type>}), no {@code [DONE]}; a complete stream
         * ends with {@code response.completed}. The body's {@code request_id}, which vLLM makes the response id, is
         * the same id as the {@code X-Request-Id} header; {@code store} is off, so neither vLLM nor the simulator
         * keeps thousands of benchmark responses.
         */
        RESPONSES("/v1/responses", "event: response.completed");

        final String path;
        private final byte[] endLine;

        Dialect(String path, String endLine) {
            this.path = path;
            this.endLine = endLine.getBytes(StandardCharsets.US_ASCII);
        }

        static Dialect of(String name) {
            return valueOf(name.toUpperCase(java.util.Locale.ROOT));
        }

        String body(String requestId, int maxTokens) {
            return switch (this) {
                case CHAT -> "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}],\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true},\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true}";
                case RESPONSES -> "{\"input\":\"Tell me a long story.\",\"stream\":true,\"store\":false,\"max_output_tokens\":"
                        + maxTokens + ",\"ignore_eos\":true,\"request_id\":\"" + requestId + "\"}";
            };
        }

        /** Whether {@code event}'s first line is this dialect's end of stream (the line ends with LF or CRLF). */
        boolean ends(byte[] event) {
            if (event.length <= endLine.length) {
                return false;
            }
            for (int i = 0; i < endLine.length; i++) {
                if (event[i] != endLine[i]) {
                    return false;
                }
            }
            byte next = event[endLine.length];
            return next == '\n' || next == '\r';
        }
    }

    /** An event as the client received it. */
    record Event(long nanos, int read, long crc) {
    }

    /** What one stream looked like at the client. */
    static final class Result {
        final String requestId;
        int status;
        String error;
        /** The stream ended as a complete one does: {@code [DONE]} for chat, {@code response.completed} for Responses. */
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

    private SseStreamClient() {
    }

    static Result run(Dialect dialect, URI uri, byte[] request, String requestId) {
        Result r = new Result(requestId);
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 30_000);
            r.connectedNanos = System.nanoTime();
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = socket.getInputStream();
            Reader reader = new Reader(r, dialect);
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

    /** A streaming request of {@code maxTokens} tokens (never ending early: {@code ignore_eos}) named {@code requestId}. */
    static byte[] request(Dialect dialect, URI uri, String auth, String requestId, int maxTokens) {
        String body = dialect.body(requestId, maxTokens);
        return io.vgate.bench.http.Http1Connection.post(uri, body,
                auth == null ? Map.of("X-Request-Id", requestId, "Connection", "close")
                        : Map.of("X-Request-Id", requestId, "Authorization", auth, "Connection", "close"));
    }

    private static final class Reader implements ResponseParser.Listener {
        final Result r;
        final Dialect dialect;
        final ResponseParser parser = new ResponseParser(this);
        final SseSplitter splitter;
        boolean ended;
        long now;
        int read;
        private boolean chunkStartsClean;
        private int eventsAtChunkStart;

        Reader(Result r, Dialect dialect) {
            this.r = r;
            this.dialect = dialect;
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
            if (dialect.ends(event)) {
                r.sawDone = true;
            }
        }
    }
}
