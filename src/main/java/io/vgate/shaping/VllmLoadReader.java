package io.vgate.shaping;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vgate.api.ContentLength;
import java.net.URI;
import java.time.Duration;

/**
 * Reads vLLM's load ({@link VllmLoad}) from its {@code /metrics} over one kept-alive connection of its own, so a
 * reading never waits behind client traffic in the relay's pools and never blocks a thread: the answer is parsed
 * on the event loop it arrives on (a few hundred short lines).
 */
public final class VllmLoadReader implements AutoCloseable {

    /** vLLM's exposition is about 30 KB; anything far larger is not what this reader expects. */
    private static final int MAX_BODY = 4 * 1024 * 1024;

    private final HttpClient client;
    private final RequestOptions request;
    private final String where;

    /**
     * @param base vLLM's base URL, e.g. {@code http://127.0.0.1:8000}
     * @param path the metrics path, e.g. {@code /metrics}
     * @param timeout how long one reading may take, connecting included
     */
    public VllmLoadReader(Vertx vertx, URI base, String path, Duration timeout) {
        boolean ssl = "https".equals(base.getScheme());
        int port = base.getPort() > 0 ? base.getPort() : ssl ? 443 : 80;
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        if (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        long millis = Math.max(1, timeout.toMillis());
        this.client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setName("vllm-metrics")
                        // A scrape every few hundred milliseconds is not a request anyone wants to trace.
                        .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE)
                        .setProtocolVersion(HttpVersion.HTTP_1_1)
                        .setSsl(ssl)
                        .setKeepAlive(true)
                        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, millis))
                        .setTryUseCompression(false),
                new PoolOptions().setHttp1MaxSize(1));
        this.request = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(base.getHost())
                .setPort(port)
                .setURI(basePath + (path.startsWith("/") ? path : "/" + path))
                .setIdleTimeout(millis)
                .putHeader("Accept", "text/plain");
        this.where = "GET " + (ssl ? "https" : "http") + "://" + base.getHost() + ":" + port + request.getURI();
    }

    /**
     * One reading. Succeeds with the load, or fails when vLLM cannot be reached, answers other than 200, or
     * serves text without the series the load is made of.
     */
    public Future<VllmLoad> read() {
        return client.request(request)
                .compose(req -> req.send())
                .compose(this::load)
                .recover(failure -> Future.failedFuture(new IllegalStateException(
                        where + ": " + (failure.getMessage() != null ? failure.getMessage() : failure), failure)));
    }

    private Future<VllmLoad> load(HttpClientResponse response) {
        if (response.statusCode() != 200) {
            // Drain it so the connection can be reused.
            response.end();
            return Future.failedFuture(new IllegalStateException("answered " + response.statusCode()));
        }
        if (ContentLength.of(response.getHeader("Content-Length")) > MAX_BODY) {
            response.request().reset();
            return Future.failedFuture(new IllegalStateException("answered a body over " + MAX_BODY + " bytes"));
        }
        return response.body().compose(body -> {
            if (body.length() > MAX_BODY) {
                return Future.failedFuture(new IllegalStateException("answered " + body.length() + " bytes"));
            }
            VllmLoad load = VllmLoad.parse(body.toString());
            return load != null
                    ? Future.succeededFuture(load)
                    : Future.failedFuture(new IllegalStateException(
                            "served no vllm:num_requests_running, vllm:num_requests_waiting and"
                                    + " vllm:kv_cache_usage_perc"));
        });
    }

    @Override
    public void close() {
        client.close();
    }
}
