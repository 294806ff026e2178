package io.vgate.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import io.vgate.auth.Authenticator;
import io.vgate.auth.Caller;
import io.vgate.metrics.ExchangeObserver;
import io.vgate.metrics.RequestTracing;
import io.vgate.ratelimit.CallerDecision;
import io.vgate.ratelimit.Quota;
import io.vgate.ratelimit.RateLimiter;
import io.vgate.shaping.Admission;
import io.vgate.shaping.ContextFitter;
import io.vgate.shaping.ExchangeTimeouts;
import io.vgate.shaping.Fitting;
import io.vgate.shaping.Ticket;
import io.vgate.shaping.TrustedCallers;
import io.vgate.upstream.UpstreamCall;
import io.vgate.upstream.UpstreamForwarder;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The data path, top to bottom. Before the body is read ({@link #admit}): the client address's rate
 * limit, authentication, the caller's own limits. After ({@link #handle}): parse, wait for a slot on the
 * GPU, fit the prompt into the context window, forward to vLLM and relay the answer.
 * <p>
 * Each step returns what it decided (the address and its quota, the caller, the caller's limits, an
 * admission ticket, the fitting) or fails with an {@link ApiException}, which ends the exchange with an
 * OpenAI-shaped error. This class alone records the decisions on the {@link ProxyExchange}, which releases
 * what the request holds on every exit. Steps that may wait (for Redis, for a queue slot, for vLLM's
 * tokenizer) return a Vert.x {@link Future} that completes on the request's event loop; in the common case
 * it is already complete, so the whole path runs synchronously, without the per-step context capture a
 * reactive pipeline would pay on every request.
 */
@Singleton
public class ProxyHandler {

    private static final Logger LOG = Logger.getLogger(ProxyHandler.class);

    private static final Future<Fitting> NOT_FITTED = Future.succeededFuture(Fitting.NONE);

    /** Routing-context key of the exchange, from {@link #admit} to {@link #handle}. */
    static final String EXCHANGE = "vgate.exchange";

    private final RateLimiter limiter;
    private final Authenticator authenticator;
    private final RequestParser parser;
    private final TrustedCallers trustedCallers;
    private final Admission admission;
    private final ContextFitter contextFitter;
    private final ExchangeTimeouts timeouts;
    private final UpstreamForwarder forwarder;
    private final RequestTracing tracing;
    private final String defaultPriority;
    private final ExchangeObserver[] observers;

    @SuppressWarnings("java:S107") // Constructor injection of the data path's steps.
    public ProxyHandler(
            RateLimiter limiter,
            Authenticator authenticator,
            RequestParser parser,
            TrustedCallers trustedCallers,
            Admission admission,
            ContextFitter contextFitter,
            ExchangeTimeouts timeouts,
            UpstreamForwarder forwarder,
            RequestTracing tracing,
            Instance<ExchangeObserver> observers) {
        this.limiter = limiter;
        this.authenticator = authenticator;
        this.parser = parser;
        this.trustedCallers = trustedCallers;
        this.admission = admission;
        this.contextFitter = contextFitter;
        this.timeouts = timeouts;
        this.forwarder = forwarder;
        this.tracing = tracing;
        this.defaultPriority = admission.defaultPriority();
        this.observers = observers.stream().toArray(ExchangeObserver[]::new);
    }

    /**
     * Admits one client request on {@code route} before its body is read, then passes it on to the body
     * handler and {@link #handle}. The address limit comes first because it is the cheapest check and makes
     * key guessing cost the guesser's own quota; the caller's limits need the caller, so they follow auth.
     * Runs on the connection's event loop.
     */
    public void admit(RoutingContext context, ApiRoute route) {
        var exchange = start(context, route);
        context.put(EXCHANGE, exchange);
        var headers = exchange.response().headers();
        try {
            exchange.clientIp = limiter.clientAddress(context.request());
            limiter.admitAddress(exchange.clientIp) // 429 per client address
                    .compose(address -> {
                        if (address != null) {
                            address.write(headers);
                        }
                        return authenticator
                                .authenticate(context.request().getHeader(HttpHeaders.AUTHORIZATION)) // 401
                                .compose(caller -> admitCaller(exchange, caller, address)); // 429 per key
                    })
                    .onComplete(admitted -> {
                        if (admitted.failed()) {
                            fail(exchange, admitted.cause());
                        } else if (!exchange.completed()) {
                            context.next();
                        }
                    });
        } catch (RuntimeException e) {
            fail(exchange, e);
        }
    }

    private Future<CallerDecision> admitCaller(ProxyExchange exchange, Caller caller, Quota address) {
        if (caller != null) {
            exchange.tenant = caller.tenant();
            exchange.keyId = caller.id();
            exchange.priority = caller.priority();
            exchange.maxConcurrency =
                    caller.limits() == null ? null : caller.limits().maxConcurrency();
        }
        return limiter.admitCaller(caller, address).onSuccess(limits -> {
            limits.writeHeaders(exchange.response().headers());
            exchange.charge(limiter, limits);
        });
    }

    /** Handles an admitted request whose body has been read; runs on the connection's event loop. */
    public void handle(RoutingContext context, ApiRoute route) {
        ProxyExchange exchange = context.get(EXCHANGE);
        if (exchange.completed()) {
            return;
        }
        InferenceRequest request;
        Ticket ticket;
        try {
            request = parse(context, route);
            exchange.request = request;
            if (request.stream() && context.request().version() == HttpVersion.HTTP_1_0) {
                // HTTP/1.0 has no chunked encoding for a stream of unknown length: say so before a slot is taken.
                throw new ApiException(new ApiError(
                        400,
                        ApiError.INVALID_REQUEST,
                        "http_version_not_supported",
                        "Streaming needs HTTP/1.1 or later; send the request over HTTP/1.1"
                                + " (behind nginx: proxy_http_version 1.1).",
                        "stream",
                        null));
            }
            ticket = route.usesModel() ? enterQueue(exchange) : Ticket.NONE; // 503 when the queue is full
        } catch (RuntimeException e) {
            fail(exchange, e);
            return;
        }
        exchange.hold(ticket);
        ticket.granted() // waits for a slot on the GPU, or 503
                .compose(admitted -> exchange.completed() ? NOT_FITTED : contextFitter.fit(request)) // or 400
                .onComplete(fitted -> {
                    if (exchange.completed()) {
                        return;
                    }
                    if (fitted.failed()) {
                        fail(exchange, fitted.cause());
                        return;
                    }
                    apply(exchange, request, fitted.result());
                    ticket.applyTo(request); // vLLM's priority for the request's class
                    forward(exchange, request);
                });
    }

    /** Makes the fitting's edits (clamp, trim) and tells the client about them. */
    private static void apply(ProxyExchange exchange, InferenceRequest request, Fitting fitting) {
        fitting.applyTo(request);
        fitting.writeHeaders(exchange.response().headers());
        exchange.contextAdjustment = fitting.adjustment();
        exchange.trimmedMessages = fitting.trimmedMessages();
    }

    /** Applies what a trusted caller claims over what auth decided, then takes a place in the queue. */
    private Ticket enterQueue(ProxyExchange exchange) {
        var claims = trustedCallers.claims(exchange.routingContext().request()); // 400 for an unknown class
        if (claims.priority() != null) {
            exchange.priority = claims.priority();
        }
        if (claims.tenant() != null) {
            exchange.tenant = claims.tenant();
            // The key's cap is its own tenant's; a tenant named on its behalf gets the default cap.
            exchange.maxConcurrency = null;
        }
        return admission.enter(exchange.queueTenant(), exchange.priority, exchange.maxConcurrency, exchange::abort);
    }

    /**
     * Answers a request that never reached the data path (a {@code /v1} path vgate does not serve, a body
     * that could not be read) with vgate's own error. It still goes through an exchange, so it is counted
     * and logged like every other request.
     *
     * @param route the matched route, or {@code null} when no route matched
     */
    public void reject(RoutingContext context, ApiRoute route, ApiError error) {
        start(context, route).fail(error);
    }

    private ProxyExchange start(RoutingContext context, ApiRoute route) {
        return new ProxyExchange(context, route, tracing.currentTraceId(), defaultPriority, observers);
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
        if (request.model() == null && request.route().usesModel()) {
            exchange.progress().readServedModel(); // for the metrics' model label
        }
        exchange.watch(timeouts.watch(exchange.progress(), request.stream(), exchange.startNanos(), exchange::abort));
        UpstreamCall call = forwarder.send(request, exchange.requestId());
        exchange.call(call);
        call.head().onComplete(head -> {
            if (head.succeeded()) {
                relay(exchange, call, head.result());
            } else if (!UpstreamCall.isCancelled(head.cause())) {
                fail(exchange, head.cause());
            }
        });
    }

    private static void relay(ProxyExchange exchange, UpstreamCall call, HttpClientResponse response) {
        if (exchange.completed()) {
            response.request().reset();
            return;
        }
        exchange.relay(call.relay(response, exchange.response(), exchange.progress(), exchange));
    }

    private static void fail(ProxyExchange exchange, Throwable failure) {
        if (failure instanceof ApiException rejected) {
            if (!exchange.completed()) {
                rejected.writeHeaders(exchange.response().headers());
            }
            exchange.fail(rejected.error());
            return;
        }
        LOG.errorf(failure, "Unexpected failure handling request %s", exchange.requestId());
        exchange.fail(ApiError.internal());
    }
}
