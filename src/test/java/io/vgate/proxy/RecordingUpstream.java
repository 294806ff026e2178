package io.vgate.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream that only listens: it records the method and path of every request it gets and answers as
 * little as vgate needs to start (health, the model list) and a pooling-shaped body with usage elsewhere.
 * {@code GET /__recorded} returns what it saw, one request a line ({@code METHOD path[ id=<X-Request-Id>]}), so a
 * test can prove what never reached it. vgate's own calls (model list, health, load) carry no request id.
 */
public class RecordingUpstream implements QuarkusTestResourceLifecycleManager {

    /** The model the listener serves. */
    static final String MODEL = "recorded-model";

    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private volatile byte[] lastUpload = new byte[0];

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::answer);
        server.start();
        return Map.of(
                "vgate.upstream.url", "http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            // Only requests that arrived whole are recorded: a reset upload is not.
            byte[] received = exchange.getRequestBody().readAllBytes();
            String body;
            byte[] raw = null;
            int status = 200;
            if (path.equals("/__recorded")) {
                body = String.join("\n", seen);
            } else if (path.equals("/__last_upload")) {
                body = "";
                raw = lastUpload;
            } else {
                String id = exchange.getRequestHeaders().getFirst("X-Request-Id");
                seen.add(method + " " + exchange.getRequestURI().getRawPath() + (id == null ? "" : " id=" + id));
                if (path.startsWith("/v1/audio/")) {
                    lastUpload = received;
                }
                body = switch (path) {
                    case "/health" -> "";
                    case "/v1/models" ->
                        "{\"object\":\"list\",\"data\":[{\"id\":\"" + MODEL
                                + "\",\"object\":\"model\",\"created\":1,\"owned_by\":\"vllm\",\"root\":\"/m\","
                                + "\"parent\":null,\"max_model_len\":4096,\"permission\":[]}]}";
                    case "/v2/embed" ->
                        "{\"id\":\"embd-1\",\"embeddings\":{\"float\":[[0.5]]},\"meta\":"
                                + "{\"api_version\":{\"version\":\"2\"},\"billed_units\":{\"input_tokens\":11}},"
                                + "\"response_type\":\"embeddings_by_type\"}";
                    case "/v1/audio/transcriptions", "/v1/audio/translations" -> "{\"text\":\"Hello world.\"}";
                    default ->
                        "{\"id\":\"score-1\",\"model\":\"" + MODEL + "\",\"usage\":"
                                + "{\"prompt_tokens\":13,\"total_tokens\":13},\"results\":[]}";
                };
            }
            byte[] bytes = raw != null ? raw : body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** vgate in front of the listener, with a small upload limit. */
    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("vgate.api.max-upload-size", "64K");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RecordingUpstream.class));
        }
    }
}
