package io.vgate.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.StreamResetException;
import io.vgate.api.ApiError;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestIds;
import io.vgate.streaming.ResponseRelay;
import io.vgate.upstream.UpstreamFailure;
import io.vgate.upstream.UpstreamGuard;
import io.vgate.upstream.VllmHttpClient;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Sends an exchange's request to vLLM and hands the response to the {@link ResponseRelay}.
 * <p>
 * Only {@code Content-Type}, {@code X-Request-Id} and vgate's own upstream credentials go to vLLM: the
 * client's {@code Authorization} and other headers stay at the gateway.
 * <p>
 * Getting vLLM's response head runs under the {@link UpstreamGuard}: a request whose connection is refused,
 * or closed before any answer came back, is sent again with backoff (nothing has reached the client yet,
 * and vLLM aborted the first attempt when its connection closed); connection failures and 5xx answers
 * feed the circuit breaker, which answers {@code 503 circuit_open} while open. Once the head has arrived
 * nothing is retried: the relay owns the response.
 */
@Singleton
public class UpstreamForwarder {

    /** Retry hint while vLLM is unreachable (usually: still loading the model). */
    static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(5);

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    private final VllmHttpClient client;
    private final UpstreamGuard guard;
    private final ObjectMapper mapper;

    public UpstreamForwarder(VllmHttpClient client, UpstreamGuard guard, ObjectMapper mapper) {
        this.client = client;
        this.guard = guard;
        this.mapper = mapper;
    }

    /**
     * Forwards the exchange's request. Call it on the exchange's event loop; everything that touches the
     * exchange happens there.
     *
     * @param dropUsageChunk true when vgate asked for the stream's usage chunk on the client's behalf
     */
    public void forward(ProxyExchange exchange, InferenceRequest request, boolean dropUsageChunk) {
        Buffer body = request.bytesToSend(mapper);
        Context context = Vertx.currentContext();
        guard.call(() -> attempt(exchange, context, request, body))
                .whenComplete((response, failure) -> on(context, () -> {
                    if (failure != null) {
                        failed(exchange, unwrap(failure), dropUsageChunk);
                    } else {
                        relay(exchange, response, dropUsageChunk);
                    }
                }));
    }

    /** One try at getting vLLM's response head; the response comes back paused. */
    private CompletionStage<HttpClientResponse> attempt(
            ProxyExchange exchange, Context context, InferenceRequest request, Buffer body) {
        CompletableFuture<HttpClientResponse> emitter = new CompletableFuture<>();
        on(context, () -> send(exchange, request, body, emitter));
        return emitter;
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private void send(
            ProxyExchange exchange,
            InferenceRequest request,
            Buffer body,
            CompletableFuture<HttpClientResponse> emitter) {
        if (exchange.completed()) {
            emitter.completeExceptionally(new ExchangeOverException());
            return;
        }
        client.open(request.route().method(), request.route().path())
                .compose(upstream -> {
                    if (!exchange.attachUpstream(upstream)) {
                        return Future.failedFuture(new ExchangeOverException());
                    }
                    prepare(upstream, exchange);
                    return body == null ? upstream.send() : upstream.send(body);
                })
                .onComplete(result -> {
                    if (result.failed()) {
                        emitter.completeExceptionally(classify(exchange, result.cause()));
                        return;
                    }
                    HttpClientResponse response = result.result();
                    // Held until the relay is set up, which may be after a hop through the guard.
                    response.pause();
                    // Until the relay takes over, the only failure expected is vgate's own reset of the request
                    // (the client left); without a handler Vert.x logs it as an error. Should vLLM break the
                    // stream in this window instead, the exchange's timeouts end it.
                    response.exceptionHandler(UpstreamForwarder::ignore);
                    if (exchange.completed()) {
                        response.request().reset();
                        emitter.completeExceptionally(new ExchangeOverException());
                    } else if (isServerError(response.statusCode())) {
                        emitter.completeExceptionally(new UpstreamFailure.ServerError(response));
                    } else {
                        emitter.complete(response);
                    }
                });
    }

    private static void ignore(Throwable failure) {}

    private static void relay(ProxyExchange exchange, HttpClientResponse response, boolean dropUsageChunk) {
        if (exchange.completed()) {
            response.request().reset();
            return;
        }
        exchange.attachRelay(ResponseRelay.relay(response, exchange.response(), exchange, dropUsageChunk));
        response.resume();
    }

    private void failed(ProxyExchange exchange, Throwable failure, boolean dropUsageChunk) {
        if (failure instanceof UpstreamFailure.ServerError serverError) {
            // vLLM's own error reaches the client unchanged; the breaker has counted it.
            relay(exchange, serverError.response(), dropUsageChunk);
            return;
        }
        if (exchange.completed()) {
            return;
        }
        exchange.fail(UpstreamGuard.isBreakerOpen(failure) ? guard.breakerOpen() : toApiError(failure));
    }

    private static void prepare(HttpClientRequest upstream, ProxyExchange exchange) {
        var headers = upstream.headers();
        if (exchange.route().hasBody()) {
            headers.set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        }
        headers.set(RequestIds.HEADER, exchange.requestId());
    }

    private static boolean isServerError(int status) {
        return status == 500 || status == 502 || status == 503 || status == 504;
    }

    /** What a transport failure means for retry and breaker. */
    static Throwable classify(ProxyExchange exchange, Throwable failure) {
        if (exchange.completed()
                || exchange.clientGone()
                || failure instanceof ExchangeOverException
                || failure instanceof StreamResetException) {
            // vgate reset the request itself (the client left, a timeout fired): that says nothing about vLLM,
            // and is neither retried nor counted.
            return new ExchangeOverException();
        }
        if (failure instanceof ConnectException
                || failure instanceof ConnectTimeoutException
                || failure instanceof UnknownHostException) {
            return new UpstreamFailure.Unreachable(failure);
        }
        if (failure instanceof ConnectionPoolTooBusyException) {
            return failure;
        }
        if (isStaleConnection(failure)) {
            return new UpstreamFailure.ConnectionLost(failure);
        }
        return new UpstreamFailure.Broken(failure);
    }

    static boolean isStaleConnection(Throwable failure) {
        return failure instanceof HttpClosedException
                || failure instanceof ClosedChannelException
                || (failure instanceof IOException
                        && !(failure instanceof ConnectException)
                        && !(failure instanceof UnknownHostException));
    }

    static ApiError toApiError(Throwable failure) {
        if (failure instanceof UpstreamFailure.Unreachable) {
            return ApiError.upstreamUnavailable(UNAVAILABLE_RETRY_AFTER);
        }
        if (failure instanceof ConnectionPoolTooBusyException) {
            return ApiError.upstreamUnavailable(Duration.ofSeconds(1));
        }
        return ApiError.upstreamFailed();
    }

    /** Runs {@code action} on {@code context}: at once when already there, else as a task on its event loop. */
    private static void on(Context context, Runnable action) {
        if (context == null || Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(ignored -> action.run());
        }
    }

    /** The exchange ended (client gone, timeout) while vLLM was being asked; nothing more to do. */
    static final class ExchangeOverException extends RuntimeException {
        ExchangeOverException() {
            super("exchange over", null, false, false);
        }
    }
}
