package io.vgate.proxy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vgate.api.ApiError;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestIds;
import io.vgate.streaming.ResponseRelay;
import io.vgate.upstream.VllmHttpClient;

/**
 * Sends an exchange's request to vLLM and hands the response to the {@link ResponseRelay}.
 * <p>
 * Only {@code Content-Type}, {@code X-Request-Id} and vgate's own upstream credentials go to vLLM: the
 * client's {@code Authorization} and other headers stay at the gateway.
 * <p>
 * A request whose pooled connection turns out to be closed before any answer came back is sent once
 * more on a fresh connection: nothing has reached the client yet, and vLLM aborted the first attempt
 * when its connection closed. Every other failure answers the client at once.
 */
@ApplicationScoped
public class UpstreamForwarder {

    /** Retry hint while vLLM is unreachable (usually: still loading the model). */
    static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(5);
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    private final VllmHttpClient client;
    private final ObjectMapper mapper;

    public UpstreamForwarder(VllmHttpClient client, ObjectMapper mapper) {
        this.client = client;
        this.mapper = mapper;
    }

    /**
     * Forwards the exchange's request.
     *
     * @param dropUsageChunk true when vgate asked for the stream's usage chunk on the client's behalf
     */
    public void forward(ProxyExchange exchange, InferenceRequest request, boolean dropUsageChunk) {
        Buffer body = request.bytesToSend(mapper);
        send(exchange, request, body, dropUsageChunk, true);
    }

    private void send(ProxyExchange exchange, InferenceRequest request, Buffer body, boolean dropUsageChunk,
            boolean mayRetry) {
        client.open(request.route().method(), request.route().path())
                .compose(upstream -> {
                    if (!exchange.attachUpstream(upstream)) {
                        return Future.failedFuture(new ClientGoneException());
                    }
                    prepare(upstream, exchange);
                    return body == null ? upstream.send() : upstream.send(body);
                })
                .onSuccess(response -> ResponseRelay.relay(response, exchange.response(), exchange, dropUsageChunk))
                .onFailure(failure -> {
                    if (exchange.clientGone()) {
                        return;
                    }
                    if (mayRetry && isStaleConnection(failure)) {
                        send(exchange, request, body, dropUsageChunk, false);
                        return;
                    }
                    exchange.fail(toApiError(failure));
                });
    }

    private static void prepare(HttpClientRequest upstream, ProxyExchange exchange) {
        var headers = upstream.headers();
        if (exchange.route().hasBody()) {
            headers.set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        }
        headers.set(RequestIds.HEADER, exchange.requestId());
    }

    static boolean isStaleConnection(Throwable failure) {
        return failure instanceof HttpClosedException
                || failure instanceof ClosedChannelException
                || (failure instanceof IOException && !(failure instanceof ConnectException)
                        && !(failure instanceof UnknownHostException));
    }

    static ApiError toApiError(Throwable failure) {
        if (failure instanceof ConnectException || failure instanceof ConnectTimeoutException
                || failure instanceof UnknownHostException) {
            return ApiError.upstreamUnavailable(UNAVAILABLE_RETRY_AFTER);
        }
        if (failure instanceof ConnectionPoolTooBusyException) {
            return ApiError.upstreamUnavailable(Duration.ofSeconds(1));
        }
        return ApiError.upstreamFailed();
    }

    /** The client left while a connection was being found; nothing more to do. */
    static final class ClientGoneException extends RuntimeException {
        ClientGoneException() {
            super("client gone", null, false, false);
        }
    }
}
