package io.vgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 over a bare socket, for hostile-input tests that no well-behaved client would send: bytes that
 * are not UTF-8, header values with stray control characters, bodies trickled a byte at a time, and
 * requests from a chosen loopback source address (127.0.0.2 is an untrusted peer when only 127.0.0.1 is
 * a trusted proxy).
 */
public final class RawHttp implements AutoCloseable {

    /** A response as read off the wire. */
    public record Response(int status, List<String[]> headers, String body) {

        /** The first value of header {@code name}, or {@code null}. */
        public String header(String name) {
            for (String[] header : headers) {
                if (header[0].equalsIgnoreCase(name)) {
                    return header[1];
                }
            }
            return null;
        }

        /** True when some header is called {@code name}. */
        public boolean hasHeader(String name) {
            return header(name) != null;
        }
    }

    private final Socket socket;

    private RawHttp(Socket socket) {
        this.socket = socket;
    }

    /** Opens a connection to {@code 127.0.0.1:port} from {@code sourceAddress} (e.g. 127.0.0.2). */
    public static RawHttp connect(int port, String sourceAddress, Duration readTimeout) {
        try {
            var socket = new Socket();
            socket.bind(new InetSocketAddress(InetAddress.getByName(sourceAddress), 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            socket.setSoTimeout((int) readTimeout.toMillis());
            return new RawHttp(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one request of raw bytes and reads the response. */
    public static Response exchange(int port, String sourceAddress, byte[] request) {
        try (RawHttp http = connect(port, sourceAddress, Duration.ofSeconds(20))) {
            http.send(request);
            return http.read();
        }
    }

    /** A request head plus body, with {@code Content-Length} and {@code Connection: close} added. */
    public static byte[] request(String method, String path, List<String> headers, byte[] body) {
        return request(method, path, headers, body, false);
    }

    /** A request head plus body, with {@code Content-Length} added, optionally keeping the connection open. */
    public static byte[] request(String method, String path, List<String> headers, byte[] body, boolean keepAlive) {
        var out = new ByteArrayOutputStream();
        var head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
        for (String header : headers) {
            head.append(header).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append(keepAlive ? "\r\n" : "Connection: close\r\n\r\n");
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    public void send(byte[] bytes) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one response: head, then a body by Content-Length, chunked, or until the connection closes. */
    public Response read() {
        try {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            List<String[]> headers = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.add(new String[] {
                    lines[i].substring(0, colon).trim(),
                    lines[i].substring(colon + 1).trim()
                });
            }
            var response = new Response(status, headers, "");
            byte[] body;
            String length = response.header("Content-Length");
            if (length != null) {
                body = in.readNBytes(Integer.parseInt(length));
            } else if ("chunked".equalsIgnoreCase(response.header("Transfer-Encoding"))) {
                body = readChunked(in);
            } else {
                body = in.readAllBytes();
            }
            return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True once the server has closed the connection (reads end), false if it is still open. */
    public boolean closedByServer() {
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            // A reset is a close too.
            return true;
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

    private static String readHead(InputStream in) throws IOException {
        var head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException(
                        "connection closed before a response head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        var body = new ByteArrayOutputStream();
        while (true) {
            String size = readLine(in);
            int semicolon = size.indexOf(';');
            int length = Integer.parseInt(
                    (semicolon < 0 ? size : size.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT), 16);
            if (length == 0) {
                readLine(in);
                return body.toByteArray();
            }
            body.writeBytes(in.readNBytes(length));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
