package io.vgate.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vgate.metrics.AccessLog;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.upstream.UpstreamConfig;
import io.vgate.upstream.UpstreamTarget;
import io.vgate.upstream.VllmHttpClient;
import jakarta.inject.Inject;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry in the test profile (SDK on, spans into an in-memory exporter): a server span per
 * {@code /v1} request, a client span for the call to vLLM with {@code traceparent} on the wire, the trace
 * id in the access log, and no spans for probes or scrapes.
 */
@QuarkusTest
class TracingTests {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
    private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");

    @Inject
    InMemorySpanExporter spans;

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @Inject
    Tracer tracer;

    private final AccessLogCapture accessLog = new AccessLogCapture();

    @BeforeEach
    void start() {
        spans.reset();
        accessLog.install();
    }

    @AfterEach
    void stop() {
        accessLog.remove();
    }

    @Test
    void continuesTheCallersTraceThroughVgateToVllm() {
        String requestId = "trace-" + UUID.randomUUID();
        given().contentType("application/json")
                .header("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01")
                .header("X-Request-Id", requestId)
                .body(Json.chat("Trace me.", false, Map.of("max_tokens", 3)))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);

        SpanData server = await().atMost(Duration.ofSeconds(10))
                .until(() -> find(SpanKind.SERVER, TRACE_ID), Optional::isPresent)
                .orElseThrow();
        SpanData client = await().atMost(Duration.ofSeconds(10))
                .until(() -> find(SpanKind.CLIENT, TRACE_ID), Optional::isPresent)
                .orElseThrow();

        assertThat(server.getParentSpanId()).isEqualTo(CALLER_SPAN_ID);
        assertThat(server.getAttributes().get(URL_PATH)).isEqualTo("/v1/chat/completions");
        assertThat(client.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(client.getAttributes().get(URL_FULL))
                .isEqualTo(sim.baseUri().resolve("/v1/chat/completions").toString());
        assertThat(accessLog.await(requestId).get(AccessLog.Fields.TRACE_ID)).isEqualTo(TRACE_ID);
    }

    @Test
    void startsATraceForCallersWithoutOne() {
        String requestId = "fresh-" + UUID.randomUUID();
        given().header("X-Request-Id", requestId).get("/v1/models").then().statusCode(200);

        String traceId = accessLog.await(requestId).get(AccessLog.Fields.TRACE_ID);
        assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo("0".repeat(32));
        SpanData server = await().atMost(Duration.ofSeconds(10))
                .until(() -> find(SpanKind.SERVER, traceId), Optional::isPresent)
                .orElseThrow();
        assertThat(server.getParentSpanContext().isValid()).isFalse();
        assertThat(server.getName()).isEqualTo("GET /v1/models");
    }

    @Test
    void makesNoSpansForProbesOrScrapes() {
        io.vgate.testing.Management.given().get("/q/health/ready").then().statusCode(200);
        io.vgate.testing.Management.given().get("/q/metrics").then().statusCode(200);
        String requestId = "after-probes-" + UUID.randomUUID();
        given().header("X-Request-Id", requestId).get("/v1/models").then().statusCode(200);
        String traceId = accessLog.await(requestId).get(AccessLog.Fields.TRACE_ID);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> find(SpanKind.SERVER, traceId).isPresent());

        // Only the /v1/models request's own spans: none for the probe, the scrape, or the probe's call to vLLM.
        assertThat(spans.getFinishedSpanItems())
                .extracting(span -> span.getKind() + " " + span.getName() + " " + span.getTraceId())
                .allMatch(span -> span.endsWith(traceId));
    }

    /**
     * The relay uses a raw Vert.x client made from Quarkus's Vert.x instance; Quarkus's Vert.x tracer must
     * cover it. A capturing server stands in for vLLM to see exactly which header arrives.
     */
    @Test
    void relayClientSendsTraceparentUpstream() throws Exception {
        var received = new CompletableFuture<MultiMap>();
        // The stand-in runs on a Vert.x of its own, like the simulator: a separate process in real life.
        Vertx elsewhere = Vertx.vertx();
        HttpServer upstream = elsewhere
                .createHttpServer()
                .requestHandler(request -> {
                    received.complete(request.headers());
                    request.response()
                            .putHeader("content-type", "application/json")
                            .end("{}");
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        try {
            var target = new UpstreamTarget(URI.create("http://127.0.0.1:" + upstream.actualPort()));
            var relayClient = new VllmHttpClient(vertx, upstreamAt(target.baseUri()), target);
            Span parent = tracer.spanBuilder("caller").startSpan();
            var context = VertxContext.getOrCreateDuplicatedContext(vertx);
            // As for a real request, the span stays current on the request's context until the answer came.
            var scope = new CompletableFuture<Scope>();
            context.runOnContext(ignored -> {
                scope.complete(parent.makeCurrent());
                relayClient
                        .open(HttpMethod.POST, "/v1/chat/completions")
                        .compose(request -> request.send(Buffer.buffer("{}")));
            });

            MultiMap headers = received.get(10, TimeUnit.SECONDS);
            context.runOnContext(ignored -> scope.join().close());
            parent.end();
            assertThat(headers.get("traceparent"))
                    .matches("00-" + parent.getSpanContext().getTraceId() + "-[0-9a-f]{16}-01");
        } finally {
            elsewhere.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private Optional<SpanData> find(SpanKind kind, String traceId) {
        List<SpanData> finished = spans.getFinishedSpanItems();
        return finished.stream()
                .filter(span -> span.getKind() == kind && span.getTraceId().equals(traceId))
                .findFirst();
    }

    /** Upstream settings pointing at {@code url}, with short timeouts and small defaults for everything else. */
    private static UpstreamConfig upstreamAt(URI url) {
        return (UpstreamConfig) Proxy.newProxyInstance(
                UpstreamConfig.class.getClassLoader(), new Class<?>[] {UpstreamConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("url")) {
                        return Optional.of(url);
                    }
                    Class<?> type = method.getReturnType();
                    if (type == Optional.class) {
                        return Optional.empty();
                    } else if (type == Duration.class) {
                        return Duration.ofSeconds(2);
                    } else if (type == int.class) {
                        return 4;
                    } else if (type == boolean.class) {
                        return false;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
