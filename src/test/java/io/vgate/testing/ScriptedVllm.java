package io.vgate.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for vLLM that answers each generation request with a script: the exact chunks to write, the pause
 * before each, and whether the response then ends cleanly or the connection is cut. Tests choose the script by
 * the request's {@code X-Request-Id}, which vgate passes on. Built for what the simulator cannot be asked to do
 * byte by byte: an event split across writes, a UTF-8 character split across chunks, a stream that ends
 * without its end event. It also records the headers each request arrived with. {@code /health} and
 * {@code /v1/models} answer as vLLM does, so vgate starts and fits against it.
 */
public class ScriptedVllm implements QuarkusTestResourceLifecycleManager {

    /** The model it serves. */
    public static final String MODEL = "scripted-model";

    /** One answer: each chunk written after its pause; then the response ends, or the connection is cut. */
    public record Script(int status, String contentType, List<Chunk> chunks, boolean cut) {

        /** A stream of {@code chunks}, each written after its pause, ending cleanly. */
        public static Script stream(List<Chunk> chunks) {
            return new Script(200, "text/event-stream; charset=utf-8", chunks, false);
        }
    }

    /** Bytes written after a pause of {@code pauseMillis}. */
    public record Chunk(long pauseMillis, byte[] bytes) {
        public static Chunk now(byte[] bytes) {
            return new Chunk(0, bytes);
        }
    }

    private static final Map<String, Script> SCRIPTS = new ConcurrentHashMap<>();
    private static final Map<String, MultiMap> HEADERS = new ConcurrentHashMap<>();
    private static final Map<String, Long> LAST_WRITE = new ConcurrentHashMap<>();
    private static final AtomicInteger GENERATIONS = new AtomicInteger();

    private Vertx vertx;
    private HttpServer server;

    /** Answers the request with {@code requestId} by {@code script}. */
    public static void script(String requestId, Script script) {
        SCRIPTS.put(requestId, script);
    }

    /** The headers the request with {@code requestId} reached this "vLLM" with, or {@code null}. */
    public static MultiMap headers(String requestId) {
        return HEADERS.get(requestId);
    }

    /** {@link System#nanoTime()} when the last chunk for {@code requestId} was written, or {@code null}. */
    public static Long lastWriteNanos(String requestId) {
        return LAST_WRITE.get(requestId);
    }

    /** Generation requests received so far. */
    public static int generations() {
        return GENERATIONS.get();
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer()
                .requestHandler(this::handle)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
        return Map.of(
                "vgate.simulator.enabled", "false", "vgate.upstream.url", "http://127.0.0.1:" + server.actualPort());
    }

    @Override
    public void stop() {
        if (vertx != null) {
            vertx.close()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .orTimeout(10, TimeUnit.SECONDS)
                    .join();
        }
    }

    private void handle(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        switch (request.path()) {
            case "/health" -> response.end();
            case "/v1/models" ->
                response.putHeader("Content-Type", "application/json")
                        .end("{\"object\":\"list\",\"data\":[{\"id\":\"" + MODEL
                                + "\",\"object\":\"model\",\"created\":1,\"owned_by\":\"vllm\",\"root\":\"" + MODEL
                                + "\",\"parent\":null,\"max_model_len\":4096}]}");
            case "/metrics" -> response.putHeader("Content-Type", "text/plain").end("");
            default -> request.body().onSuccess(body -> generate(request));
        }
    }

    private void generate(HttpServerRequest request) {
        GENERATIONS.incrementAndGet();
        String id = request.getHeader("X-Request-Id");
        HEADERS.put(id == null ? "" : id, MultiMap.caseInsensitiveMultiMap().addAll(request.headers()));
        Script script = id == null ? null : SCRIPTS.get(id);
        HttpServerResponse response = request.response();
        if (script == null) {
            response.setStatusCode(404)
                    .putHeader("Content-Type", "application/json")
                    .end("{\"error\":{\"message\":\"No script for this request.\",\"type\":\"NotFoundError\","
                            + "\"param\":null,\"code\":404}}");
            return;
        }
        response.setStatusCode(script.status())
                .putHeader("Content-Type", script.contentType())
                .setChunked(true);
        response.writeHead();
        write(id, response, script, 0);
    }

    private void write(String id, HttpServerResponse response, Script script, int index) {
        if (response.closed()) {
            return;
        }
        if (index == script.chunks().size()) {
            if (script.cut()) {
                response.reset();
            } else {
                response.end();
            }
            return;
        }
        Chunk chunk = script.chunks().get(index);
        Runnable next = () -> {
            response.write(Buffer.buffer(chunk.bytes()));
            LAST_WRITE.put(id, System.nanoTime());
            write(id, response, script, index + 1);
        };
        if (chunk.pauseMillis() > 0) {
            vertx.setTimer(chunk.pauseMillis(), ignored -> next.run());
        } else {
            next.run();
        }
    }

    /**
     * vgate in front of this stand-in, with a breaker that opens after a few failures and an upstream
     * credential of vgate's own.
     */
    public static class Profile implements QuarkusTestProfile {

        /** The credential vgate sends to vLLM. */
        public static final String UPSTREAM_KEY = "vllm-side-secret";

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    Map.entry("vgate.upstream.api-key", UPSTREAM_KEY),
                    Map.entry("vgate.shaping.adaptive.enabled", "false"),
                    Map.entry("vgate.api.max-body-size", "64K"),
                    Map.entry("vgate.upstream.breaker.request-volume-threshold", "4"),
                    Map.entry("vgate.upstream.breaker.failure-ratio", "0.5"),
                    Map.entry("vgate.upstream.breaker.delay", "1s"),
                    Map.entry("vgate.upstream.breaker.success-threshold", "1"));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(ScriptedVllm.class));
        }

        @Override
        public String getConfigProfile() {
            return "test";
        }
    }
}
