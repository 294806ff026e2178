package io.vgate.responses;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.net.URI;
import java.util.List;

/**
 * Sends a request about a stored response to the replica whose vLLM holds it, signed as coming from a
 * replica for the caller's tenant ({@link ReplicaSignature}); the caller relays the answer as it comes. Only
 * the headers the receiving replica needs travel: the client's credentials stay here, since this replica
 * has already authenticated the caller and charged its limits.
 */
@Singleton
public class ReplicaForwarder {

    private static final List<CharSequence> PASSED_ON =
            List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT, "X-Request-Id", "traceparent", "tracestate");

    private final ResponseLedger ledger;
    private final HttpClient client;

    public ReplicaForwarder(ResponseLedger ledger, Vertx vertx) {
        this.ledger = ledger;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int)
                        Math.min(Integer.MAX_VALUE, ledger.forwardTimeout().toMillis()))
                .setKeepAlive(true));
    }

    /**
     * Sends {@code method uri} with {@code body} (or none) to {@code to}'s replica for {@code tenant}; the
     * future completes with the replica's response head, whose body the caller reads or pipes.
     */
    public Future<HttpClientResponse> send(
            FollowUp to, HttpMethod method, String uri, MultiMap headers, Buffer body, String tenant) {
        ReplicaSignature signature = ledger.signature();
        URI replica = URI.create(to.replica());
        var options = new RequestOptions()
                .setMethod(method)
                .setHost(replica.getHost())
                .setPort(replica.getPort())
                .setURI(uri)
                .setIdleTimeout(ledger.forwardTimeout().toMillis());
        String tenantName = tenant == null ? "" : tenant;
        for (CharSequence name : PASSED_ON) {
            String value = headers.get(name);
            if (value != null) {
                options.putHeader(name, value);
            }
        }
        options.putHeader(ReplicaSignature.TENANT_HEADER, tenantName);
        options.putHeader(
                ReplicaSignature.HEADER, signature.sign(System.currentTimeMillis(), method.name(), uri, tenantName));
        return client.request(options).compose(request -> body == null ? request.send() : request.send(body));
    }

    @PreDestroy
    void close() {
        client.close();
    }
}
