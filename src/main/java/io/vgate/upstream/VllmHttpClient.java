package io.vgate.upstream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pooled HTTP/1.1 clients that carry client traffic to vLLM. They hand out raw requests, so the relay
 * can forward bytes without decoding them and can {@code reset()} a request to make vLLM abort.
 * <p>
 * Each event loop has a pool of its own, like an Envoy worker. Vert.x's pool hands any idle connection to
 * any caller, and a connection stays on the event loop that opened it: with one shared pool, a request
 * arriving on one loop usually got a connection living on another, and every write, read and completion
 * crossed threads (a task queued and a selector woken each time). With a pool per loop, a request and its
 * upstream connection share a thread from start to end. Callers off an event loop (a retry after its
 * back-off delay, for instance) use a shared pool.
 * <p>
 * Connections are kept alive and reused; each pool holds up to {@code vgate.upstream.max-connections}
 * because Vert.x's default of 5 would queue the sixth concurrent stream.
 */
@ApplicationScoped
public class VllmHttpClient {

    private final Vertx vertx;
    private final HttpClientOptions options;
    private final PoolOptions pool;
    private final HttpClient shared;
    private final Map<Thread, HttpClient> perEventLoop = new ConcurrentHashMap<>();
    private final String basePath;
    private final String authorization;

    public VllmHttpClient(Vertx vertx, UpstreamConfig config, UpstreamTarget target) {
        this.vertx = vertx;
        this.options = new HttpClientOptions()
                .setName("vllm")
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setDefaultHost(target.host())
                .setDefaultPort(target.port())
                .setSsl(target.ssl())
                .setKeepAlive(true)
                .setKeepAliveTimeout((int) Math.max(1, config.keepAliveTimeout().toSeconds()))
                .setConnectTimeout((int) config.connectTimeout().toMillis())
                .setTcpNoDelay(true)
                // Bodies pass through as vLLM sent them.
                .setDecompressionSupported(false);
        this.pool = new PoolOptions().setHttp1MaxSize(config.maxConnections());
        this.shared = vertx.createHttpClient(options, pool);
        this.basePath = target.basePath();
        this.authorization = config.apiKey().map(key -> "Bearer " + key).orElse(null);
    }

    /**
     * Opens a request to {@code path} on vLLM; completes once a pooled connection is ready. Call it on the
     * client request's event loop: the connection then lives on that loop and the response is handled there.
     */
    public Future<HttpClientRequest> open(HttpMethod method, String path) {
        var request = new RequestOptions().setMethod(method).setURI(basePath + path);
        if (authorization != null) {
            request.putHeader("Authorization", authorization);
        }
        return clientForCaller().request(request);
    }

    private HttpClient clientForCaller() {
        if (!Context.isOnEventLoopThread()) {
            return shared;
        }
        Thread loop = Thread.currentThread();
        HttpClient client = perEventLoop.get(loop);
        return client != null
                ? client
                : perEventLoop.computeIfAbsent(loop, ignored -> vertx.createHttpClient(options, pool));
    }

    @PreDestroy
    void close() {
        perEventLoop.values().forEach(HttpClient::close);
        shared.close();
    }
}
