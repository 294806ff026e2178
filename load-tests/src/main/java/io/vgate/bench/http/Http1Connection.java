package io.vgate.bench.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection over a blocking socket (cheap on virtual threads): writes a request, reads its
 * response to the end. Nothing is buffered beyond one read, so what is measured is the server and the loopback,
 * not a client library.
 */
public final class Http1Connection implements AutoCloseable {

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] buffer = new byte[16 * 1024];
    private final ResponseParser parser;
    private int status;
    private String retryAfter;
    private boolean ended;
    private boolean closeAfter;

    public Http1Connection(URI uri) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
        out = socket.getOutputStream();
        in = socket.getInputStream();
        parser = new ResponseParser(new ResponseParser.Listener() {
            @Override
            public void onHead(int s, Map<String, String> headers) {
                status = s;
                retryAfter = headers.get("retry-after");
                closeAfter = "close".equalsIgnoreCase(headers.get("connection"));
            }

            @Override
            public void onEnd() {
                ended = true;
            }
        });
    }

    /** A POST request with a JSON body, ready to be written many times. */
    public static byte[] post(URI uri, String json, Map<String, String> headers) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(256 + body.length);
        sb.append("POST ").append(uri.getRawPath()).append(" HTTP/1.1\r\n");
        sb.append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        sb.append("Content-Type: application/json\r\n");
        sb.append("Content-Length: ").append(body.length).append("\r\n");
        headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        sb.append("\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        return request;
    }

    /**
     * Sends {@code request} and reads the whole response.
     *
     * @return the response status
     * @throws IOException when the connection fails or closes before the response ends
     */
    public int exchange(byte[] request) throws IOException {
        ended = false;
        status = 0;
        out.write(request);
        out.flush();
        while (!ended) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("connection closed before the response ended");
            }
            parser.feed(buffer, 0, n);
        }
        return status;
    }

    /** The last response's {@code Retry-After}, or null. */
    public String retryAfter() {
        return retryAfter;
    }

    /** Whether the server asked to close the connection after the last response. */
    public boolean mustClose() {
        return closeAfter;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a benchmark connection cannot fail in a way that matters
        }
    }
}
