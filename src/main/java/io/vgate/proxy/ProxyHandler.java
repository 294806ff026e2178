package io.vgate.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import io.vgate.auth.Authenticator;
import io.vgate.ratelimit.RateLimiter;
import io.vgate.shaping.Admission;
import io.vgate.shaping.ContextFitter;
import io.vgate.shaping.ExchangeTimeouts;
import io.vgate.streaming.StreamingConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The data path, top to bottom. Before the body is read ({@link #admit}): the client address's rate
 * limit, authentication, the caller's own limits. After ({@link #handle}): parse, wait for a slot on the
 * GPU, fit the prompt into the context window, forward to vLLM and relay the answer. Each step either
 * hands the next one what it learned or fails with an {@link ApiException}, which ends the exchange with
 * an OpenAI-shaped error. Steps that may wait (for Redis, for a queue slot, for vLLM's tokenizer) return a
 * Vert.x {@link Future} that completes on the request's event loop; in the common case it is
 * already complete, so the whole path runs synchronously, without the per-step context capture a
 * reactive pipeline would pay on every request.
 */
@Singleton
public class ProxyHandler {

    private static final Logger LOG = Logger.getLogger(ProxyHandler.class);

    private static final Future<Void> START = Future.succeededFuture();

    /** Routing-context key of the exchange, from {@link #admit} to {@link #handle}. */
    static final String EXCHANGE = "vgate.exchange";

    private final RateLimiter limiter;
    private final Authenticator authenticator;
    private final RequestParser parser;
    private final Admission admission;
    private final ContextFitter contextFitter;
    private final ExchangeTimeouts timeouts;
    private final UpstreamForwarder forwarder;
    private final boolean includeUsage;
    private final ExchangeObserver[] observers;

    @SuppressWarnings("java:S107") // Constructor injection of the data path's steps.
    public ProxyHandler(
            RateLimiter limiter,
            Authenticator authenticator,
            RequestParser parser,
            Admission admission,
            ContextFitter contextFitter,
            ExchangeTimeouts timeouts,
            UpstreamForwarder forwarder,
            StreamingConfig streaming,
            Instance<ExchangeObserver> observers) {
        this.limiter = limiter;
        this.authenticator = authenticator;
        this.parser = parser;
        this.admission = admission;
        this.contextFitter = contextFitter;
        this.timeouts = timeouts;
        this.forwarder = forwarder;
        this.includeUsage = streaming.includeUsage();
        this.observers = observers.stream().toArray(ExchangeObserver[]::new);
    }

    /**
     * Admits one client request on {@code route} before its body is read, then passes it on to the body
     * handler and {@link #handle}. The address limit comes first because it is the cheapest check and makes
     * key guessing cost the guesser's own quota; the caller's limits need the caller, so they follow auth.
     * Runs on the connection's event loop.
     */
    public void admit(RoutingContext context, ApiRoute route) {
        var exchange = new ProxyExchange(context, route, observers);
        context.put(EXCHANGE, exchange);
        // Starting from a completed future turns an exception a step throws into a failure of the chain.
        START.compose(ignored -> limiter.admitAddress(exchange)) // 429 per client address
                .compose(addressQuota -> authenticator
                        .authenticate(exchange) // 401; tenant, key, priority
                        .compose(caller -> limiter.admitCaller(exchange, caller, addressQuota))) // 429 per key
                .onComplete(admitted -> {
                    if (admitted.failed()) {
                        fail(exchange, admitted.cause());
                    } else if (!exchange.completed()) {
                        context.next();
                    }
                });
    }

    /** Handles an admitted request whose body has been read; runs on the connection's event loop. */
    public void handle(RoutingContext context, ApiRoute route) {
        ProxyExchange exchange = context.get(EXCHANGE);
        InferenceRequest request;
        try {
            request = parse(context, route);
        } catch (RuntimeException e) {
            fail(exchange, e);
            return;
        }
        exchange.inferenceRequest(request);
        if (request.stream() && context.request().version() == HttpVersion.HTTP_1_0) {
            // HTTP/1.0 has no chunked encoding for a stream of unknown length: say so before a slot is taken.
            exchange.fail(new ApiError(
                    400,
                    ApiError.INVALID_REQUEST,
                    "http_version_not_supported",
                    "Streaming needs HTTP/1.1 or later; send the request over HTTP/1.1"
                            + " (behind nginx: proxy_http_version 1.1).",
                    "stream",
                    null));
            return;
        }
        START.compose(ignored -> admission.admit(exchange)) // 503 when the queue is full
                .compose(admitted -> contextFitter.fit(exchange, request)) // clamp / trim, or 400
                .onComplete(fitted -> {
                    if (fitted.failed()) {
                        fail(exchange, fitted.cause());
                    } else {
                        forward(exchange, request);
                    }
                });
    }

    /**
     * Answers a request that never reached the data path (a {@code /v1} path vgate does not serve, a body
     * that could not be read) with vgate's own error. It still goes through an exchange, so it is counted
     * and logged like every other request.
     *
     * @param route the matched route, or {@code null} when no route matched
     */
    public void reject(RoutingContext context, ApiRoute route, ApiError error) {
        new ProxyExchange(context, route, observers).fail(error);
    }

    private InferenceRequest parse(RoutingContext context, ApiRoute route) {
        if (!route.hasBody()) {
            return InferenceRequest.withoutBody(route);
        }
        return parser.parse(
                route,
                context.request().getHeader(HttpHeaders.CONTENT_TYPE),
                context.body().buffer());
    }

    private void forward(ProxyExchange exchange, InferenceRequest request) {
        if (exchange.completed()) {
            return;
        }
        boolean dropUsageChunk = askForUsage(request);
        timeouts.watch(exchange, request);
        forwarder.forward(exchange, request, dropUsageChunk);
    }

    /**
     * Makes a stream carry vLLM's usage chunk so its tokens can be counted. Returns true when vgate asked
     * for it on the client's behalf, so the relay must remove it again.
     */
    private boolean askForUsage(InferenceRequest request) {
        if (!includeUsage || !request.stream() || !request.route().generates() || request.clientAskedForUsage()) {
            return false;
        }
        ObjectNode body = request.body();
        var options =
                body.get("stream_options") instanceof ObjectNode existing ? existing : body.putObject("stream_options");
        options.put("include_usage", true);
        request.markModified();
        return true;
    }

    private static void fail(ProxyExchange exchange, Throwable failure) {
        if (failure instanceof ApiException rejected) {
            exchange.fail(rejected.error());
            return;
        }
        LOG.errorf(failure, "Unexpected failure handling request %s", exchange.requestId());
        exchange.fail(ApiError.internal());
    }
}
