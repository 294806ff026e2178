package io.vgate.proxy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import io.vgate.auth.Authenticator;
import io.vgate.ratelimit.RateLimiter;
import io.vgate.streaming.StreamingConfig;

/**
 * The data path, top to bottom, in two handlers around the body read. {@link #admit} runs as soon as the
 * headers are in: limit the client address, authenticate, apply the caller's limits; only then is the
 * body read, so nobody unknown or over their limit makes vgate buffer up to 8 MB. {@link #handle} then
 * parses the request, prepares it for vLLM, forwards it and relays the answer. Each step either hands the
 * next one what it learned or fails with an {@link ApiException}, which ends the exchange with an
 * OpenAI-shaped error. Steps that wait (for a queue slot, for Redis) return a {@link Uni} that completes
 * on the request's event loop; the common case completes synchronously there.
 */
@ApplicationScoped
public class ProxyHandler {

    private static final Logger LOG = Logger.getLogger(ProxyHandler.class);

    /** Routing-context key of the exchange, from {@link #admit} to {@link #handle}. */
    static final String EXCHANGE = "vgate.exchange";

    private final RateLimiter limiter;
    private final Authenticator authenticator;
    private final RequestParser parser;
    private final UpstreamForwarder forwarder;
    private final boolean includeUsage;
    private final ExchangeObserver[] observers;

    public ProxyHandler(RateLimiter limiter, Authenticator authenticator, RequestParser parser,
            UpstreamForwarder forwarder, StreamingConfig streaming, Instance<ExchangeObserver> observers) {
        this.limiter = limiter;
        this.authenticator = authenticator;
        this.parser = parser;
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
        limiter.admitAddress(exchange)                                                  // 429 per client address
                .chain(addressQuota -> authenticator.authenticate(exchange)            // 401; tenant, key, priority
                        .chain(caller -> limiter.admitCaller(exchange, caller, addressQuota))) // 429 per key
                .subscribe().with(
                        admitted -> {
                            if (!exchange.clientGone()) {
                                context.next();
                            }
                        },
                        failure -> fail(exchange, failure));
    }

    /** Handles an admitted request whose body has been read; runs on the connection's event loop. */
    public void handle(RoutingContext context, ApiRoute route) {
        ProxyExchange exchange = context.get(EXCHANGE);
        Uni.createFrom().item(() -> parse(context, route))
                .invoke(request -> exchange.inferenceRequest(request))
                .subscribe().with(
                        request -> forward(exchange, request),
                        failure -> fail(exchange, failure));
    }

    private InferenceRequest parse(RoutingContext context, ApiRoute route) {
        if (!route.hasBody()) {
            return InferenceRequest.withoutBody(route);
        }
        return parser.parse(route, context.request().getHeader(HttpHeaders.CONTENT_TYPE), context.body().buffer());
    }

    private void forward(ProxyExchange exchange, InferenceRequest request) {
        if (exchange.clientGone()) {
            return;
        }
        boolean dropUsageChunk = askForUsage(request);
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
        var options = body.get("stream_options") instanceof ObjectNode existing ? existing
                : body.putObject("stream_options");
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
