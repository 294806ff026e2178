package io.vgate.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiConfig;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.ContentLength;
import io.vgate.api.InferenceRequest;
import io.vgate.auth.Caller;
import io.vgate.shaping.ModelCatalog;
import io.vgate.shaping.Ticket;
import io.vgate.upstream.MultipartStream;
import io.vgate.upstream.Upload;
import io.vgate.upstream.UpstreamCall;
import io.vgate.upstream.UpstreamForwarder;

/**
 * The data path of an upload ({@code multipart/form-data}: audio transcriptions and translations), kept apart
 * from {@link ProxyHandler} so that its path stays readable: the body is not read here but streamed to vLLM once
 * the request holds a slot, its {@code model} field checked on the way ({@link Upload}); nothing to fit. The
 * steps an upload shares with every other request (the queue, the model allowlist, timeouts, forwarding and
 * relaying) stay {@link ProxyHandler}'s, reached through {@link Steps}.
 */
final class UploadPath {

    private static final Future<Void> PERMITTED = Future.succeededFuture();

    /** How long a connection whose upload was refused stays open for the client to read the answer. */
    private static final long UPLOAD_REFUSED_LINGER_MILLIS = 2_000;

    /** The data path's steps an upload goes through like every other request. */
    interface Steps {

        /** A place in the queue for the exchange's tenant and priority, or a 503 when the queue is full. */
        Ticket enterQueue(ProxyExchange exchange);

        /** Throws the 404 {@code model_not_found} when {@code caller} may use neither the named nor the served model. */
        void checkModel(Caller caller, ApiRoute route, String named, String served);

        /** The caller's model allowlist for a request that names no model (vLLM's default model). */
        Future<Void> permitModel(ProxyExchange exchange, InferenceRequest request);

        /** Watches the request's timeouts from now on. */
        void watchTimeouts(ProxyExchange exchange, InferenceRequest request);

        /** Relays vLLM's answer to {@code call}, or ends the exchange with its failure. */
        void forward(ProxyExchange exchange, InferenceRequest request, UpstreamCall call);
    }

    private final Steps steps;
    private final ModelCatalog catalog;
    private final UpstreamForwarder forwarder;
    private final long maxUploadSize;
    private final long uploadTimeoutMillis;

    UploadPath(Steps steps, ModelCatalog catalog, UpstreamForwarder forwarder, ApiConfig api) {
        this.steps = steps;
        this.catalog = catalog;
        this.forwarder = forwarder;
        this.maxUploadSize = api.maxUploadSize().asLongValue();
        this.uploadTimeoutMillis = Math.max(1, api.bodyReadTimeout().toMillis());
    }

    /** Handles an admitted upload whose body has not been read; runs on the connection's event loop. */
    void handle(ProxyExchange exchange, RoutingContext context, ApiRoute route) {
        InferenceRequest request = InferenceRequest.upload(route);
        MultipartStream parts;
        Ticket ticket;
        try {
            request.upstreamPath(route.upstreamPath(context.get(ProxyHandler.PATH_TEMPLATE), context::pathParam));
            exchange.request = request;
            parts = MultipartStream.of(
                    context.request().getHeader(HttpHeaders.CONTENT_TYPE),
                    (name, value) -> field(exchange, request, name, value)); // 415
            String length = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            if (ContentLength.of(length) > maxUploadSize) {
                throw new ApiException(Upload.tooLarge(maxUploadSize)); // 413 before a byte is read
            }
            ticket = steps.enterQueue(exchange); // 503 when the queue is full
        } catch (RuntimeException e) {
            refuse(exchange, e);
            return;
        }
        exchange.hold(ticket);
        ticket.granted().onComplete(admitted -> {
            if (exchange.completed()) {
                return;
            }
            if (admitted.failed()) {
                refuse(exchange, admitted.cause());
                return;
            }
            var upload = new Upload(
                    context.request(), parts, maxUploadSize, uploadTimeoutMillis, new UploadSteps(exchange, request));
            steps.forward(exchange, request, forwarder.send(request, exchange.requestId(), upload));
        });
    }

    /** A form field of an upload: the model (alias resolved, allowlist checked) and whether it streams. */
    private String field(ProxyExchange exchange, InferenceRequest request, String name, String value) {
        if ("stream".equals(name)) {
            request.stream("true".equalsIgnoreCase(value.trim()));
            return value;
        }
        String named = value.trim().isEmpty() ? null : value.trim();
        String served = catalog.served(named);
        request.model(named);
        steps.checkModel(exchange.caller, request.route(), named, served);
        return served == null ? value : served;
    }

    /** What the data path does as an upload goes through. */
    private final class UploadSteps implements Upload.Listener {
        private final ProxyExchange exchange;
        private final InferenceRequest request;

        UploadSteps(ProxyExchange exchange, InferenceRequest request) {
            this.exchange = exchange;
            this.request = request;
        }

        @Override
        public Future<Void> beforeEnd() {
            // A form without a model field gets vLLM's default model, which the allowlist must hold.
            return request.model() == null ? steps.permitModel(exchange, request) : PERMITTED;
        }

        @Override
        public void uploaded() {
            // vLLM has the whole request now: from here the usual timeouts apply.
            steps.watchTimeouts(exchange, request);
        }

        @Override
        public void failed(ApiError error) {
            refuse(exchange, new ApiException(error));
        }
    }

    /**
     * Refuses an upload. While the client may still be sending, an HTTP/1.x connection cannot carry another
     * request: it is closed once the answer is out (after a moment, so the client reads it, not a broken pipe).
     */
    private static void refuse(ProxyExchange exchange, Throwable failure) {
        var request = exchange.routingContext().request();
        if (!request.isEnded() && request.version() != HttpVersion.HTTP_2 && !exchange.completed()) {
            var connection = request.connection();
            var vertx = exchange.routingContext().vertx();
            exchange.response().headers().set(HttpHeaders.CONNECTION, "close");
            exchange.routingContext()
                    .addBodyEndHandler(
                            ignored -> vertx.setTimer(UPLOAD_REFUSED_LINGER_MILLIS, id -> connection.close()));
            // Read and drop the rest meanwhile, so the client is not stuck writing into a full window.
            request.handler(ignored -> {});
            request.resume();
        }
        if (exchange.completed()) {
            return;
        }
        var call = exchange.upstreamCall();
        if (call != null) {
            call.cancel();
        }
        ProxyHandler.fail(exchange, failure);
    }
}
