package io.vgate.bench.http;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Incremental HTTP/1.1 response parser for the benchmark drivers: fed the bytes of a connection as they are read,
 * it reports each response's head, its body bytes, the boundaries of its chunks (chunked transfer coding) and its
 * end, for any number of responses one after another on a keep-alive connection. Bodies are framed by
 * {@code Content-Length} or chunked coding; responses without either (read until close) are not supported, since
 * none of the servers measured sends them.
 * <p>
 * {@link #forRequests} parses the other direction of a connection the same way: requests, whose head starts with a
 * request line ({@link Listener#onHead} gets status 0) and whose body, without {@code Content-Length} or chunked
 * coding, is empty (RFC 9112 §6.3).
 * <p>
 * Not thread-safe: one instance per connection direction.
 */
public final class ResponseParser {

    /** What the parser found. Callbacks run on the thread that calls {@link #feed}. */
    public interface Listener {

        /** A response's status line and headers (names lower-cased) arrived; status 0 for a request. */
        void onHead(int status, Map<String, String> headers);

        /** Body bytes, in order; for chunked bodies, only chunk data. */
        default void onBody(byte[] bytes, int offset, int length) {
        }

        /** A chunk of the given size begins (before its data is passed to {@link #onBody}). */
        default void onChunkStart(int size) {
        }

        /** The chunk that began last has ended. */
        default void onChunkEnd() {
        }

        /** The response (or request) is complete; the next bytes belong to the next one. */
        void onEnd();
    }

    private enum State {
        HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILER
    }

    private static final int MAX_LINE = 64 * 1024;

    private final Listener listener;
    private final boolean requests;
    private State state = State.HEAD;
    private final StringBuilder line = new StringBuilder(256);
    private final StringBuilder head = new StringBuilder(512);
    private long remaining;

    public ResponseParser(Listener listener) {
        this(listener, false);
    }

    private ResponseParser(Listener listener, boolean requests) {
        this.listener = listener;
        this.requests = requests;
    }

    /** A parser of the requests a client sends on one connection. */
    public static ResponseParser forRequests(Listener listener) {
        return new ResponseParser(listener, true);
    }

    /** True between responses: nothing of a next response has arrived yet. */
    public boolean idle() {
        return state == State.HEAD && head.isEmpty() && line.isEmpty();
    }

    /**
     * Feeds bytes read from the connection.
     *
     * @throws IllegalStateException when the bytes are not a well-formed HTTP/1.1 response stream
     */
    public void feed(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            switch (state) {
                case HEAD -> {
                    byte b = bytes[i++];
                    if (b == '\n') {
                        String l = stripCr(line);
                        line.setLength(0);
                        if (l.isEmpty() && !head.isEmpty()) {
                            headComplete();
                        } else if (!l.isEmpty()) {
                            head.append(l).append('\n');
                        }
                    } else {
                        appendLine(b);
                    }
                }
                case BODY -> {
                    int n = (int) Math.min(remaining, end - i);
                    listener.onBody(bytes, i, n);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        responseComplete();
                    }
                }
                case CHUNK_SIZE -> {
                    byte b = bytes[i++];
                    if (b == '\n') {
                        String l = stripCr(line);
                        line.setLength(0);
                        int semicolon = l.indexOf(';');
                        String hex = (semicolon >= 0 ? l.substring(0, semicolon) : l).trim();
                        if (hex.isEmpty()) {
                            throw new IllegalStateException("empty chunk size line");
                        }
                        remaining = Long.parseLong(hex, 16);
                        if (remaining == 0) {
                            state = State.TRAILER;
                        } else {
                            listener.onChunkStart((int) remaining);
                            state = State.CHUNK_DATA;
                        }
                    } else {
                        appendLine(b);
                    }
                }
                case CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, end - i);
                    listener.onBody(bytes, i, n);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        listener.onChunkEnd();
                        state = State.CHUNK_DATA_END;
                    }
                }
                case CHUNK_DATA_END -> {
                    byte b = bytes[i++];
                    if (b == '\n') {
                        state = State.CHUNK_SIZE;
                    } else if (b != '\r') {
                        throw new IllegalStateException("chunk data not followed by CRLF");
                    }
                }
                case TRAILER -> {
                    byte b = bytes[i++];
                    if (b == '\n') {
                        String l = stripCr(line);
                        line.setLength(0);
                        if (l.isEmpty()) {
                            responseComplete();
                        }
                    } else {
                        appendLine(b);
                    }
                }
            }
        }
    }

    private void headComplete() {
        String[] lines = head.toString().split("\n");
        head.setLength(0);
        if (requests) {
            requestHeadComplete(lines);
            return;
        }
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new IllegalStateException("not an HTTP/1.x status line: " + lines[0]);
        }
        int status = Integer.parseInt(statusLine[1]);
        Map<String, String> headers = headers(lines);
        if (status / 100 == 1) {
            return; // an interim response: the real one follows
        }
        listener.onHead(status, headers);
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (status == 204 || status == 304) {
            responseComplete();
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            state = State.CHUNK_SIZE;
        } else if (cl != null) {
            remaining = Long.parseLong(cl);
            if (remaining == 0) {
                responseComplete();
            } else {
                state = State.BODY;
            }
        } else {
            throw new IllegalStateException("response without Content-Length or chunked coding (status " + status + ")");
        }
    }

    private void requestHeadComplete(String[] lines) {
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1.")) {
            throw new IllegalStateException("not an HTTP/1.x request line: " + lines[0]);
        }
        Map<String, String> headers = headers(lines);
        listener.onHead(0, headers);
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            state = State.CHUNK_SIZE;
        } else if (cl != null && Long.parseLong(cl) > 0) {
            remaining = Long.parseLong(cl);
            state = State.BODY;
        } else {
            responseComplete();
        }
    }

    private static Map<String, String> headers(String[] lines) {
        Map<String, String> headers = new HashMap<>();
        for (int k = 1; k < lines.length; k++) {
            int colon = lines[k].indexOf(':');
            if (colon > 0) {
                headers.put(lines[k].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[k].substring(colon + 1).trim());
            }
        }
        return headers;
    }

    private void responseComplete() {
        state = State.HEAD;
        listener.onEnd();
    }

    private void appendLine(byte b) {
        if (line.length() >= MAX_LINE) {
            throw new IllegalStateException("header or chunk line too long");
        }
        line.append((char) (b & 0xff));
    }

    private static String stripCr(StringBuilder sb) {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) == '\r') {
            n--;
        }
        return sb.substring(0, n);
    }
}
