package io.vgate.upstream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vgate.api.ApiException;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestIds;
import io.vgate.streaming.ChunkFilter;
import io.vgate.streaming.RelayListener;
import io.vgate.streaming.RelayProgress;
import io.vgate.streaming.ResponseRelay;
import io.vgate.streaming.StreamDialect;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * One request on its way to vLLM, from {@link UpstreamForwarder#send}: {@link #head()} completes with
 * vLLM's response head (vLLM's own 5xx included, to be relayed unchanged), or fails with vgate's own error
 * ({@link ApiException}) or {@link #CANCELLED} once the data path gave up on it ({@link #cancel()}).
 * {@link #relay} then passes the answer to the client.
 * <p>
 * Lives on the request's event loop: every attempt is sent from there, and its futures complete there.
 */
public final class UpstreamCall {

    /** The call was cancelled (the client left, a timeout fired) before vLLM answered: nothing to do. */
    public static final RuntimeException CANCELLED = new Cancelled();

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

    private final UpstreamForwarder forwarder;
    private final InferenceRequest request;
    private final String requestId;
    private final Buffer body;
    private final ChunkFilter usage;
    private final Context context;
    private Future<HttpClientResponse> head;
    private HttpClientRequest current;
    private boolean cancelled;

    UpstreamCall(
            UpstreamForwarder forwarder, InferenceRequest request, String requestId, Buffer body, ChunkFilter usage) {
        this.forwarder = forwarder;
        this.request = request;
        this.requestId = requestId;
        this.body = body;
        this.usage = usage;
        this.context = Vertx.currentContext();
    }

    void start() {
        CompletionStage<HttpClientResponse> answer = forwarder.guard().call(this::attempt);
        Future<HttpClientResponse> result =
                context == null ? Future.fromCompletionStage(answer) : Future.fromCompletionStage(answer, context);
        head = result.recover(this::failed);
    }

    /**
     * vLLM's response head, paused until {@link #relay} takes it; fails with an {@link ApiException} to answer
     * the client with, or with {@link #CANCELLED}.
     */
    public Future<HttpClientResponse> head() {
        return head;
    }

    /** True when {@code failure} of {@link #head()} only says the call was cancelled. */
    public static boolean isCancelled(Throwable failure) {
        return failure == CANCELLED;
    }

    /**
     * Gives up on the call: resets the request on its way to vLLM, so vLLM aborts the generation and frees
     * its slot, and sends no further attempt. Call on the request's event loop, and only while no relay owns
     * the response ({@link ResponseRelay#abort} does it then).
     */
    public void cancel() {
        cancelled = true;
        if (current != null) {
            current.reset();
        }
    }

    /**
     * Tells the circuit breaker that vLLM failed after its head arrived ({@code type}: how), which the guarded
     * call, successful at the head, could not know.
     */
    public void failedAfterHead(String type) {
        forwarder.guard().recordFailure(new UpstreamFailure.FailedAfterHead(type));
    }

    /**
     * Relays vLLM's answer to the client, removing the usage chunk when vgate asked for it on the client's
     * behalf. Resets the response instead when the call was cancelled meanwhile, and returns {@code null}.
     */
    public ResponseRelay relay(
            HttpClientResponse response, HttpServerResponse client, RelayProgress progress, RelayListener listener) {
        if (cancelled) {
            response.request().reset();
            return null;
        }
        var relay = ResponseRelay.relay(response, client, progress, listener, usage, dialect(request));
        response.resume();
        return relay;
    }

    /** How the route's answer streams; from the route's path, so every route under a dialect's prefix has it. */
    static StreamDialect dialect(InferenceRequest request) {
        return StreamDialect.forPath(request.route().path());
    }

    /** One try at getting vLLM's response head, on the request's event loop; the response comes back paused. */
    private CompletionStage<HttpClientResponse> attempt() {
        if (context == null || Vertx.currentContext() == context) {
            return send().toCompletionStage();
        }
        // A retry after a backoff delay starts on the fault-tolerance timer's thread: send from the event loop.
        Promise<HttpClientResponse> sent = Promise.promise();
        context.runOnContext(ignored -> send().onComplete(sent));
        return sent.future().toCompletionStage();
    }

    private Future<HttpClientResponse> send() {
        if (cancelled) {
            return Future.failedFuture(CANCELLED);
        }
        return forwarder
                .client()
                .open(request.route().method(), request.upstreamPath())
                .compose(upstream -> {
                    current = upstream;
                    if (cancelled) {
                        upstream.reset();
                        return Future.failedFuture(CANCELLED);
                    }
                    var headers = upstream.headers();
                    if (request.route().hasBody()) {
                        headers.set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
                    }
                    headers.set(RequestIds.HEADER, requestId);
                    return body == null ? upstream.send() : upstream.send(body);
                })
                .transform(result -> {
                    if (result.failed()) {
                        return Future.failedFuture(UpstreamForwarder.classify(cancelled, result.cause()));
                    }
                    HttpClientResponse response = result.result();
                    // Held until the relay is set up, which may be after a hop through the guard.
                    response.pause();
                    // Until the relay takes over, the only failure expected is vgate's own reset of the request
                    // (the client left); without a handler Vert.x logs it as an error. Should vLLM break the
                    // stream in this window instead, the timeouts end it.
                    response.exceptionHandler(UpstreamCall::ignore);
                    if (cancelled) {
                        response.request().reset();
                        return Future.failedFuture(CANCELLED);
                    }
                    if (isServerError(response.statusCode())) {
                        return Future.failedFuture(new UpstreamFailure.ServerError(response));
                    }
                    return Future.succeededFuture(response);
                });
    }

    private Future<HttpClientResponse> failed(Throwable failure) {
        Throwable cause =
                failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof UpstreamFailure.ServerError serverError) {
            // vLLM's own error reaches the client unchanged; the breaker has counted it.
            return Future.succeededFuture(serverError.response());
        }
        if (cancelled || cause == CANCELLED) {
            return Future.failedFuture(CANCELLED);
        }
        return Future.failedFuture(new ApiException(forwarder.toApiError(cause)));
    }

    private static boolean isServerError(int status) {
        return status == 500 || status == 502 || status == 503 || status == 504;
    }

    private static void ignore(Throwable failure) {}

    /** Marks a cancelled call; carries no stack trace. */
    static final class Cancelled extends RuntimeException {
        Cancelled() {
            super("upstream call cancelled", null, false, false);
        }
    }
}
