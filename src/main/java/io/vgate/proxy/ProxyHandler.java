package io.vgate.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiConfig;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import io.vgate.auth.AccessErrors;
import io.vgate.auth.Authenticator;
import io.vgate.auth.Caller;
import io.vgate.metrics.ExchangeObserver;
import io.vgate.metrics.RequestTracing;
import io.vgate.ratelimit.CallerDecision;
import io.vgate.ratelimit.Quota;
import io.vgate.ratelimit.RateLimiter;
import io.vgate.responses.FollowUp;
import io.vgate.responses.ReplicaSignature;
import io.vgate.shaping.Admission;
import io.vgate.shaping.ContextFitter;
import io.vgate.shaping.ExchangeTimeouts;
import io.vgate.shaping.Fitting;
import io.vgate.shaping.ModelCatalog;
import io.vgate.shaping.Ticket;
import io.vgate.shaping.TrustedCallers;
import io.vgate.upstream.UpstreamCall;
import io.vgate.upstream.UpstreamForwarder;
import io.vgate.upstream.UpstreamGuard;
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

    private static final String X_API_KEY = "x-api-key";

    private static final Future<Fitting> NOT_FITTED = Future.succeededFuture(Fitting.NONE);

    /** Routing-context key of the exchange, from {@link #admit} to {@link #handle}. */
    static final String EXCHANGE = "vgate.exchange";

    /** Routing-context key of the route path (one of {@link ApiRoute#paths()}) the request matched. */
    static final String PATH_TEMPLATE = "vgate.path-template";

    private static final Future<Void> PERMITTED = Future.succeededFuture();

    private final RateLimiter limiter;
    private final Authenticator authenticator;
    private final RequestParser parser;
    private final TrustedCallers trustedCallers;
    private final Admission admission;
    private final ModelCatalog catalog;
    private final ContextFitter contextFitter;
    private final StoredResponseSteps stored;
    private final ExchangeTimeouts timeouts;
    private final UpstreamForwarder forwarder;
    private final RequestTracing tracing;
    private final UploadPath uploads;
    private final String defaultPriority;
    private final ExchangeObserver[] observers;

    @SuppressWarnings("java:S107") // Constructor injection of the data path's steps.
    public ProxyHandler(
            RateLimiter limiter,
            Authenticator authenticator,
            RequestParser parser,
            TrustedCallers trustedCallers,
            Admission admission,
            ModelCatalog catalog,
            ContextFitter contextFitter,
            StoredResponseSteps stored,
            ExchangeTimeouts timeouts,
            UpstreamForwarder forwarder,
            RequestTracing tracing,
            ApiConfig api,
            Instance<ExchangeObserver> observers) {
        this.limiter = limiter;
        this.authenticator = authenticator;
        this.parser = parser;
        this.trustedCallers = trustedCallers;
        this.admission = admission;
        this.catalog = catalog;
        this.contextFitter = contextFitter;
        this.stored = stored;
        this.timeouts = timeouts;
        this.forwarder = forwarder;
        this.tracing = tracing;
        this.uploads = new UploadPath(new UploadSharedSteps(), catalog, forwarder, api);
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
        String signature = context.request().getHeader(ReplicaSignature.HEADER);
        if (signature != null) {
            admitReplica(exchange, context, signature); // 401 unless another replica signed it
            return;
        }
        var headers = exchange.response().headers();
        try {
            exchange.clientIp = limiter.clientAddress(context.request());
            limiter.admitAddress(exchange.clientIp) // 429 per client address
                    .compose(address -> {
                        if (address != null) {
                            address.write(headers);
                        }
                        return authenticate(context, route) // 401
                                .compose(caller -> admitCaller(exchange, caller, address)); // 403, 429 per key
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

    /**
     * A request another vgate replica forwarded (a follow-up on a response this replica's vLLM holds): that
     * replica authenticated the caller and charged its limits, so it is admitted for the tenant it names when
     * its signature holds, and never counted against the forwarding replica's address.
     */
    private void admitReplica(ProxyExchange exchange, RoutingContext context, String signature) {
        String tenant = stored.forwardedFor(context.request(), signature);
        if (tenant == null) {
            fail(exchange, new ApiException(AccessErrors.invalidReplicaSignature()));
            return;
        }
        exchange.forwardedFor = tenant;
        exchange.tenant = tenant.isEmpty() ? null : tenant;
        context.next();
    }

    /** Who is calling: Bearer credentials, or on Anthropic's routes also {@code x-api-key}, as its SDKs send. */
    private Future<Caller> authenticate(RoutingContext context, ApiRoute route) {
        String authorization = context.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (route.errorDialect() == ApiRoute.ErrorDialect.ANTHROPIC) {
            return authenticator.authenticate(authorization, context.request().getHeader(X_API_KEY));
        }
        return authenticator.authenticate(authorization);
    }

    private Future<CallerDecision> admitCaller(ProxyExchange exchange, Caller caller, Quota address) {
        if (exchange.route().access() == ApiRoute.Access.ADMIN && (caller == null || !caller.admin())) {
            // Without authentication there is no admin: administration needs a credential that says so.
            return Future.failedFuture(new ApiException(
                    AccessErrors.adminOnly(exchange.routingContext().request().path())));
        }
        if (caller != null) {
            exchange.caller = caller;
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
        if (route.multipart()) {
            uploads.handle(exchange, context, route); // streamed to vLLM, not read here
            return;
        }
        InferenceRequest request;
        Future<Void> permitted;
        Future<FollowUp> followUp;
        try {
            request = parse(context, route);
            exchange.request = request;
            permitted = permitModel(exchange, request); // 404 for a model the caller may not use
            followUp = stored.followUp(exchange, context, route, request); // 404 for another tenant's stored response
        } catch (RuntimeException e) {
            fail(exchange, e);
            return;
        }
        permitted.compose(allowed -> followUp).onComplete(decided -> {
            if (exchange.completed()) {
                return;
            }
            if (decided.failed()) {
                fail(exchange, decided.cause());
            } else if (decided.result().forwarded()) {
                stored.toReplica(exchange, context, request, decided.result()); // the replica whose vLLM holds it
            } else {
                serve(exchange, request);
            }
        });
    }

    /** Serves the request on this replica's vLLM: a slot on the GPU, the fitting, the response's owner, vLLM. */
    private void serve(ProxyExchange exchange, InferenceRequest request) {
        Ticket ticket;
        try {
            ticket = request.route().queued() ? enterQueue(exchange) : Ticket.NONE; // 503 when the queue is full
        } catch (RuntimeException e) {
            fail(exchange, e);
            return;
        }
        exchange.hold(ticket);
        ticket.granted() // waits for a slot on the GPU, or 503
                .compose(admitted -> exchange.completed()
                        ? NOT_FITTED
                        : contextFitter.fit(request, exchange.queueTenant())) // or 400
                .compose(fitting -> {
                    if (exchange.completed()) {
                        return NOT_FITTED;
                    }
                    apply(exchange, request, fitting);
                    return stored.claim(exchange, request); // the new stored response is the caller's, or 400
                })
                .onComplete(ready -> {
                    if (exchange.completed()) {
                        return;
                    }
                    if (ready.failed()) {
                        fail(exchange, ready.cause());
                        return;
                    }
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

    /** Reads the request (the JSON body, if the route has one) and where it goes on vLLM. */
    private InferenceRequest parse(RoutingContext context, ApiRoute route) {
        String path = route.upstreamPath(context.get(PATH_TEMPLATE), context::pathParam);
        if (path == null) {
            // A response id vLLM could not have made: not a path vgate forwards.
            throw new ApiException(ApiError.unknownRoute(
                    context.request().method().name(), context.request().path()));
        }
        InferenceRequest request = route.hasBody()
                ? parser.parse(
                        route,
                        context.request().getHeader(HttpHeaders.CONTENT_TYPE),
                        context.body().buffer())
                : InferenceRequest.withoutBody(route);
        request.upstreamPath(route == ApiRoute.RESPONSES_GET ? path + replayQuery(context) : path);
        return request;
    }

    /** Throws the 404 {@code model_not_found} when {@code caller} may use neither the named nor the served model. */
    private static void checkModel(Caller caller, ApiRoute route, String named, String served) {
        if (caller == null || !caller.restricted() || !route.namesModel() || named == null) {
            return;
        }
        if (!caller.mayUse(named) && !caller.mayUse(served)) {
            throw new ApiException(AccessErrors.modelNotFound(named));
        }
    }

    /** The query of a stored-response lookup that vLLM reads ({@code stream}, {@code starting_after}), and no other. */
    private static String replayQuery(RoutingContext context) {
        var query = new StringBuilder();
        for (String name : new String[] {"stream", "starting_after"}) {
            String value = context.queryParams().get(name);
            if (value != null && ApiRoute.PATH_PARAM.matcher(value).matches()) {
                query.append(query.isEmpty() ? '?' : '&')
                        .append(name)
                        .append('=')
                        .append(value);
            }
        }
        return query.toString();
    }

    /**
     * Sends an alias to its served model, then checks the caller's model allowlist: a model the caller may not
     * use gets the same 404 {@code model_not_found} whether it exists or not. A restricted caller who names no
     * model gets vLLM's default model, which the allowlist must then hold; usually known at once, else read first.
     */
    private Future<Void> permitModel(ProxyExchange exchange, InferenceRequest request) {
        String named = request.model();
        String served = catalog.served(named);
        if (served != null && !served.equals(named)) {
            request.rewriteModel(served);
        }
        Caller caller = exchange.caller;
        if (caller == null || !caller.restricted() || !request.route().namesModel()) {
            return PERMITTED;
        }
        if (named != null) {
            checkModel(caller, request.route(), named, served);
            return PERMITTED;
        }
        String base = catalog.cachedDefaultModel();
        if (base != null) {
            if (caller.mayUse(base)) {
                return PERMITTED;
            }
            throw new ApiException(AccessErrors.modelNotFound(null));
        }
        var context = exchange.routingContext().vertx().getOrCreateContext();
        return Future.fromCompletionStage(catalog.defaultModel().subscribeAsCompletionStage(), context)
                .compose(model -> caller.mayUse(model)
                        ? PERMITTED
                        : Future.failedFuture(new ApiException(AccessErrors.modelNotFound(null))));
    }

    private void forward(ProxyExchange exchange, InferenceRequest request) {
        watchTimeouts(exchange, request);
        forward(exchange, request, forwarder.send(request, exchange.requestId()));
    }

    private void watchTimeouts(ProxyExchange exchange, InferenceRequest request) {
        exchange.watch(timeouts.watch(exchange.progress(), request.stream(), exchange.startNanos(), exchange::abort));
    }

    private void forward(ProxyExchange exchange, InferenceRequest request, UpstreamCall call) {
        if (request.model() == null && request.route().usesModel()) {
            exchange.progress().readServedModel(); // for the metrics' model label
        }
        exchange.call(call);
        call.head().onComplete(head -> {
            if (head.succeeded()) {
                relay(exchange, call, head.result());
            } else if (head.cause() instanceof ApiException failed
                    && !UpstreamGuard.CIRCUIT_OPEN.equals(failed.error().code())) {
                // vLLM unreachable or gone before answering: vgate answers, the ending is vLLM's failure.
                failed.writeHeaders(exchange.response().headers());
                exchange.failUpstream(failed.error());
            } else if (!UpstreamCall.isCancelled(head.cause())) {
                fail(exchange, head.cause());
            }
        });
    }

    private void relay(ProxyExchange exchange, UpstreamCall call, HttpClientResponse response) {
        if (exchange.completed()) {
            response.request().reset();
            return;
        }
        ApiRoute route = exchange.route();
        if (route == ApiRoute.MODELS && exchange.caller != null && exchange.caller.restricted()) {
            ModelListFilter.relay(response, exchange, exchange.caller);
            return;
        }
        if (route.access() == ApiRoute.Access.ADMIN && response.statusCode() == 200) {
            // The served models changed: vgate's list is read again before the client hears of it, so the
            // next request (context fitting, an allowlisted adapter) already sees the change.
            var context = exchange.routingContext().vertx().getOrCreateContext();
            Future.fromCompletionStage(catalog.reloadAfterChange().subscribeAsCompletionStage(), context)
                    .onComplete(reloaded -> {
                        if (exchange.completed()) {
                            response.request().reset();
                        } else {
                            startRelay(exchange, call, response);
                        }
                    });
            return;
        }
        startRelay(exchange, call, response);
    }

    private static void startRelay(ProxyExchange exchange, UpstreamCall call, HttpClientResponse response) {
        try {
            exchange.relay(call.relay(response, exchange.response(), exchange.progress(), exchange));
        } catch (RuntimeException e) {
            // The relay has reset the upstream request; the exchange answers and frees its slot now.
            fail(exchange, e);
        }
    }

    static void fail(ProxyExchange exchange, Throwable failure) {
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

    /** The steps an upload ({@link UploadPath}) goes through like every other request. */
    private final class UploadSharedSteps implements UploadPath.Steps {

        @Override
        public Ticket enterQueue(ProxyExchange exchange) {
            return ProxyHandler.this.enterQueue(exchange);
        }

        @Override
        public void checkModel(Caller caller, ApiRoute route, String named, String served) {
            ProxyHandler.checkModel(caller, route, named, served);
        }

        @Override
        public Future<Void> permitModel(ProxyExchange exchange, InferenceRequest request) {
            return ProxyHandler.this.permitModel(exchange, request);
        }

        @Override
        public void watchTimeouts(ProxyExchange exchange, InferenceRequest request) {
            ProxyHandler.this.watchTimeouts(exchange, request);
        }

        @Override
        public void forward(ProxyExchange exchange, InferenceRequest request, UpstreamCall call) {
            ProxyHandler.this.forward(exchange, request, call);
        }
    }
}
