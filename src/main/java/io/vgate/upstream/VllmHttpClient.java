package io.vgate.upstream;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The one pooled HTTP/1.1 client that carries client traffic to vLLM. It hands out raw requests, so the
 * relay can forward bytes without decoding them and can {@code reset()} a request to make vLLM abort.
 * <p>
 * Connections are kept alive and reused; the pool is sized by {@code vgate.upstream.max-connections}
 * because Vert.x's default of 5 would queue the sixth concurrent stream.
 */
@ApplicationScoped
public class VllmHttpClient {

    private final HttpClient client;
    private final String basePath;
    private final String authorization;

    public VllmHttpClient(Vertx vertx, UpstreamConfig config, UpstreamTarget target) {
        var options = new HttpClientOptions()
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
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(config.maxConnections()));
        this.basePath = target.basePath();
        this.authorization = config.apiKey().map(key -> "Bearer " + key).orElse(null);
    }

    /**
     * Opens a request to {@code path} on vLLM; completes once a pooled connection is ready. Call it on the
     * client request's event loop: the response is then handled on that same loop.
     */
    public Future<HttpClientRequest> open(HttpMethod method, String path) {
        var options = new RequestOptions().setMethod(method).setURI(basePath + path);
        if (authorization != null) {
            options.putHeader("Authorization", authorization);
        }
        return client.request(options);
    }

    @PreDestroy
    void close() {
        client.close();
    }
}
