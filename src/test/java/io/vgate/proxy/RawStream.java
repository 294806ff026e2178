package io.vgate.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A streaming request over a bare socket, read a piece at a time: the response head, one SSE event, the rest
 * until the server closes. It can leave as a well-behaved client (FIN) or reset its connection (RST), and can
 * speak HTTP/1.0, which no HTTP client library sends any more.
 */
final class RawStream implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;

    private RawStream(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** Connects to vgate on loopback {@code port}; reads time out after 20 s. */
    static RawStream open(int port) {
        try {
            var socket = new Socket();
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            socket.setSoTimeout(20_000);
            return new RawStream(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON POST in {@code version} ({@code HTTP/1.0} or {@code HTTP/1.1}) with {@code headers} added. */
    static byte[] post(String version, String path, String json, List<String> headers) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        var head = new StringBuilder("POST ")
                .append(path)
                .append(' ')
                .append(version)
                .append("\r\nHost: localhost\r\nContent-Type: application/json\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        var out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(body);
        return out.toByteArray();
    }

    void send(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The response head, status line and headers, without the blank line that ends it. */
    String head() {
        String head = readUntil("\r\n\r\n");
        return head.substring(0, head.length() - 4);
    }

    /** The next SSE event, its blank line included (vLLM ends events with LF). */
    String event() {
        return readUntil("\n\n");
    }

    /** Everything until the server closes the connection. */
    String rest() {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True once the server has closed the connection, false while it stays open (after a 1 s wait). */
    boolean closedByServer() {
        try {
            socket.setSoTimeout(1000);
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Leaves with a TCP reset (RST) instead of an orderly close (FIN). */
    void reset() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String readUntil(String end) {
        try {
            var bytes = new ByteArrayOutputStream();
            byte[] terminator = end.getBytes(StandardCharsets.ISO_8859_1);
            int matched = 0;
            while (matched < terminator.length) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after: " + bytes.toString(StandardCharsets.UTF_8));
                }
                bytes.write(b);
                matched = b == terminator[matched] ? matched + 1 : (b == terminator[0] ? 1 : 0);
            }
            return bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
