package io.vgate.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.AnthropicErrors;
import io.vgate.api.ApiError;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestIds;
import io.vgate.auth.Caller;
import io.vgate.metrics.ExchangeObserver;
import io.vgate.metrics.ExchangeRecord;
import io.vgate.ratelimit.CallerDecision;
import io.vgate.ratelimit.RateLimiter;
import io.vgate.shaping.ExchangeTimeouts;
import io.vgate.shaping.Ticket;
import io.vgate.streaming.RelayListener;
import io.vgate.streaming.RelayOutcome;
import io.vgate.streaming.RelayProgress;
import io.vgate.streaming.ResponseRelay;
import io.vgate.upstream.UpstreamCall;
import org.jboss.logging.Logger;

/**
 * One client request on its way through vgate: the only holder of the request's state. The steps of the
 * data path return what they decided ({@link ProxyHandler} records it here); this class takes care of the
 * exits: whatever ends the exchange, it ends exactly once, in {@link #complete}, which releases what the
 * request took (the admission ticket, the timeout's timer) and hands the observers an
 * immutable {@link ExchangeRecord}.
 * <p>
 * Everything happens on the client connection's event loop, so no field needs synchronisation. When the
 * client goes away first (FIN or RST, before or after the first byte), the exchange is recorded as
 * {@link RelayOutcome#CLIENT_GONE} before the upstream request is reset, so vLLM aborts the generation and
 * frees its slot, and the failure that reset echoes back is never counted against vLLM.
 */
final class ProxyExchange implements RelayListener {

    private static final Logger LOG = Logger.getLogger(ProxyExchange.class);

    private final RoutingContext context;
    private final ApiRoute route;
    private final String requestId;
    private final String traceId;
    private final long startNanos;
    private final ExchangeObserver[] observers;
    private final RelayProgress progress = new RelayProgress();

    // What the steps decided.
    Caller caller;
    InferenceRequest request;
    String clientIp;
    String tenant;
    String keyId;
    String priority;
    String contextAdjustment;
    int trimmedMessages;

    // What the exchange holds and must give back.
    private Ticket ticket = Ticket.NONE;
    private CallerDecision limits = CallerDecision.NONE;
    private RateLimiter limiter;
    private ExchangeTimeouts.Watch watch;
    private UpstreamCall call;
    private ResponseRelay relay;

    private boolean charged;
    private boolean clientGone;
    private boolean completed;
    private String errorCode;

    ProxyExchange(
            RoutingContext context,
            ApiRoute route,
            String traceId,
            String defaultPriority,
            ExchangeObserver[] observers) {
        this.context = context;
        this.route = route;
        this.traceId = traceId;
        this.priority = defaultPriority;
        this.observers = observers;
        this.startNanos = System.nanoTime();
        this.requestId = RequestIds.resolve(context.request().getHeader(RequestIds.HEADER));
        HttpServerResponse response = context.response();
        response.headers().set(RequestIds.HEADER, requestId);
        response.closeHandler(ignored -> clientClosed());
        // A peer that resets the connection mid-write is an ordinary event here, not an error to log.
        response.exceptionHandler(ignored -> clientClosed());
        if (context.request().version() == HttpVersion.HTTP_1_0) {
            // Vert.x answers an HTTP/1.0 keep-alive request with "Connection: keep-alive" even when the body can
            // only end with the connection (no Content-Length: a stream); say close, as the relay will.
            context.addHeadersEndHandler(ignored -> {
                if (!response.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                    response.headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
                }
            });
        }
    }

    ApiRoute route() {
        return route;
    }

    String requestId() {
        return requestId;
    }

    long startNanos() {
        return startNanos;
    }

    RoutingContext routingContext() {
        return context;
    }

    HttpServerResponse response() {
        return context.response();
    }

    RelayProgress progress() {
        return progress;
    }

    /** True once the exchange is over (answered, failed, aborted or the client gone). */
    boolean completed() {
        return completed;
    }

    /** Holds the admission ticket, released when the exchange completes. */
    void hold(Ticket ticket) {
        if (completed) {
            ticket.release();
            return;
        }
        this.ticket = ticket;
    }

    /** Holds the caller's limit decision, whose token limit is charged once vLLM reports usage. */
    void charge(RateLimiter limiter, CallerDecision limits) {
        this.limiter = limiter;
        this.limits = limits;
    }

    /** Holds the timeout watch, cancelled when the exchange completes. */
    void watch(ExchangeTimeouts.Watch watch) {
        this.watch = watch;
    }

    /** Holds the call to vLLM, cancelled should the client leave or vgate give up first. */
    void call(UpstreamCall call) {
        this.call = call;
    }

    /** Holds the relay answering the client, so {@link #abort} can end it. */
    void relay(ResponseRelay relay) {
        this.relay = relay;
    }

    /**
     * Ends the exchange because vgate gives up on it (a timeout, shutdown): closes the upstream request so
     * vLLM aborts the generation and frees its slot, and tells the client: a JSON error while nothing has
     * been sent yet, else one SSE error event and {@code [DONE]}. A no-op once the exchange is complete.
     */
    void abort(ApiError error) {
        if (completed) {
            return;
        }
        if (context.response().closed() && !context.response().ended()) {
            // The client left before vgate gave up (its close is still on its way here): it failed first.
            clientClosed();
            return;
        }
        errorCode = error.code();
        if (relay != null) {
            relay.abort(error);
            return;
        }
        if (call != null) {
            // vgate gave up on vLLM before its answer began: the request's ending is vLLM's failure.
            call.cancel();
            failUpstream(error);
            return;
        }
        fail(error);
    }

    /** Ends the exchange with vgate's own error; a no-op once the exchange is complete. */
    void fail(ApiError error) {
        if (completed) {
            return;
        }
        errorCode = error.code();
        AnthropicErrors.send(context.response(), error, anthropicErrors());
        complete(RelayOutcome.of(false, true));
    }

    /**
     * Ends the exchange with vgate's own error for a failure of vLLM's (unreachable, closed before answering,
     * too slow): recorded as {@link RelayOutcome#UPSTREAM_FAILED}. A no-op once the exchange is complete.
     */
    void failUpstream(ApiError error) {
        if (completed) {
            return;
        }
        errorCode = error.code();
        AnthropicErrors.send(context.response(), error, anthropicErrors());
        complete(RelayOutcome.of(false, false));
    }

    /** True when vgate's own errors take Anthropic's shape: on its routes, and on unknown paths under them. */
    private boolean anthropicErrors() {
        return route != null
                ? route.errorDialect() == ApiRoute.ErrorDialect.ANTHROPIC
                : AnthropicErrors.isMessagesPath(context.request().path());
    }

    /** Charges the caller's token limit as soon as vLLM reports usage, before the client has the end. */
    @Override
    public void onUsage(long promptTokens, long completionTokens) {
        if (limits.chargesTokens() && !charged) {
            charged = true;
            limiter.charge(limits, Math.max(0, promptTokens) + Math.max(0, completionTokens));
        }
    }

    /** The relay is done: the one way a relayed answer ends. */
    @Override
    public void onEnd(RelayOutcome outcome) {
        complete(outcome);
    }

    private void clientClosed() {
        // Over HTTP/2 a stream closes when its response ends normally: the client got everything.
        if (completed || clientGone || context.response().ended()) {
            return;
        }
        clientGone = true;
        // The client failed first: settled before the resets below, whose echo (the upstream request failing)
        // would otherwise read as vLLM breaking the stream.
        complete(RelayOutcome.of(true, false));
        if (relay != null) {
            relay.clientGone();
        } else if (call != null) {
            call.cancel();
        }
    }

    /**
     * The one exit: every way an exchange ends comes through here exactly once. How it ended ({@code
     * outcome}) is decided by the caller: {@link #fail} (vgate answered), {@link #clientClosed} (the client
     * left first) or the relay ({@link #onEnd}).
     */
    private void complete(RelayOutcome outcome) {
        if (completed) {
            return;
        }
        completed = true;
        long endNanos = System.nanoTime();
        ticket.release();
        if (watch != null) {
            watch.cancel();
        }
        if (outcome == RelayOutcome.UPSTREAM_FAILED && progress.upstreamFailure() != null && call != null) {
            // vLLM failed after its head arrived (a cut stream, an in-band error): the breaker hears of it too.
            call.failedAfterHead(progress.upstreamFailure());
        }
        if (observers.length > 0) {
            notifyObservers(record(outcome, endNanos));
        }
    }

    private ExchangeRecord record(RelayOutcome outcome, long endNanos) {
        // Observers get the status the client actually received: the relay may have answered 502 itself
        // after vLLM's head arrived, and a client that left before any answer received none.
        HttpServerResponse response = context.response();
        int status = response.headWritten() ? response.getStatusCode() : 0;
        var http = context.request();
        return new ExchangeRecord(
                route,
                requestId,
                traceId,
                http.method().name(),
                http.path(),
                request == null ? null : request.model(),
                progress.servedModel(),
                request != null && request.stream(),
                tenant,
                keyId,
                priority,
                clientIp(),
                status,
                progress.streaming(),
                errorCode,
                outcome,
                startNanos,
                endNanos,
                ticket.waitedNanos(),
                progress.firstTokenNanos(),
                progress.lastEventNanos(),
                progress.events(),
                progress.maxEventGapNanos(),
                progress.promptTokens(),
                progress.completionTokens(),
                contextAdjustment,
                trimmedMessages,
                progress.finishReason(),
                progress.upstreamFailure());
    }

    private void notifyObservers(ExchangeRecord record) {
        for (ExchangeObserver observer : observers) {
            try {
                observer.onComplete(record);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Exchange observer %s failed", observer.getClass().getName());
            }
        }
    }

    /** The caller's address: as the address limit resolved it, else the socket peer. */
    String clientIp() {
        if (clientIp == null) {
            var peer = context.request().remoteAddress();
            clientIp = peer == null ? "unknown" : peer.hostAddress();
        }
        return clientIp;
    }

    /** Who is queued for this request: the caller's tenant, else the client address. */
    String queueTenant() {
        return tenant != null ? tenant : clientIp();
    }
}
