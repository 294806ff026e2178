package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Test client for the simulator: plain HTTP with the JDK client (bodies exactly as sent on the wire), SSE splitting,
 * and raw sockets for tests that must drop a connection half-way.
 */
final class SimClient {

    static final ObjectMapper MAPPER = new ObjectMapper();
    /** The labels of the simulator's per-model samples. */
    private static final String MODEL_LABELS = "{engine=\"0\",model_name=\"vgate-sim-llama-3-8b\"}";

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final URI base;

    SimClient(URI base) {
        this.base = base;
    }

    HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    HttpResponse<String> post(String path, String json, String... headers) {
        return send(HttpRequest.newBuilder(base.resolve(path))
                .headers(headers)
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    CompletableFuture<HttpResponse<String>> postAsync(String path, String json) {
        return postAsync(path, json, new String[0]);
    }

    /** A JSON POST sent without waiting, with extra {@code headers} (name, value, name, value...). */
    CompletableFuture<HttpResponse<String>> postAsync(String path, String json, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .header("content-type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Time from sending a streaming request to its first SSE event; the rest of the stream is read and dropped. */
    Duration timeToFirstEvent(String path, String json) {
        long start = System.nanoTime();
        try {
            HttpResponse<Stream<String>> response = HTTP.send(
                    HttpRequest.newBuilder(base.resolve(path))
                            .header("content-type", "application/json")
                            .timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(json))
                            .build(),
                    HttpResponse.BodyHandlers.ofLines());
            Iterator<String> lines = response.body().iterator();
            Duration first = null;
            while (lines.hasNext()) {
                String line = lines.next();
                if (first == null && line.startsWith("data: ")) {
                    first = Duration.ofNanos(System.nanoTime() - start);
                }
            }
            return first;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    JsonNode postJson(String path, String json) {
        return parse(post(path, json).body());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The simulator's sample {@code name} for its served model, read from its {@code /metrics} now. */
    double metric(String name) {
        return metric(get("/metrics").body(), name);
    }

    /**
     * The sample {@code name} for the served model ({@code {engine="0",model_name="vgate-sim-llama-3-8b"}}) in the
     * text of the simulator's {@code /metrics}; fails when there is none.
     */
    static double metric(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + MODEL_LABELS) + " (\\S+)$")
                .matcher(metrics);
        if (!m.find()) {
            throw new AssertionError("no " + name + MODEL_LABELS + " in the simulator's metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code data:} payloads of an SSE body, checking every event is exactly {@code data: ...\n\n}. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n", -1)) {
            if (event.isEmpty()) {
                continue;
            }
            if (!event.startsWith("data: ") || event.contains("\n")) {
                throw new AssertionError("not a single-line data event: " + event);
            }
            out.add(event.substring("data: ".length()));
        }
        return out;
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    /** Opens a raw connection and sends one request; the caller reads and closes it. */
    Socket openRaw(String path, String json) throws IOException {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout(10_000);
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return socket;
    }

    /** Reads from a raw connection until {@code marker} has been seen {@code times} times. */
    static String readUntil(Socket socket, String marker, int times) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[4096];
        while (count(sb, marker) < times) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    /** Reads a raw connection to its end (the server closed it). */
    static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static int count(CharSequence s, String marker) {
        int n = 0;
        for (int i = s.toString().indexOf(marker); i >= 0; i = s.toString().indexOf(marker, i + marker.length())) {
            n++;
        }
        return n;
    }
}
