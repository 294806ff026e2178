package io.vgate.proxy;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiError;
import io.vgate.api.ApiErrors;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestIds;
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
 * client goes away first, the upstream request is reset at once so vLLM aborts the generation and frees
 * its slot.
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
    InferenceRequest request;
    String clientIp;
    String tenant;
    String keyId;
    String priority;
    /** The caller's cap on its tenant's requests in flight and queued, or {@code null} for the default. */
    Integer maxConcurrency;

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
        errorCode = error.code();
        if (relay != null) {
            relay.abort(error);
            return;
        }
        if (call != null) {
            call.cancel();
        }
        fail(error);
    }

    /** Ends the exchange with vgate's own error; a no-op once the exchange is complete. */
    void fail(ApiError error) {
        if (completed) {
            return;
        }
        errorCode = error.code();
        ApiErrors.send(context.response(), error);
        complete(RelayOutcome.of(false, true));
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
        if (call != null) {
            call.cancel();
        }
        complete(RelayOutcome.of(true, false));
    }

    /**
     * The one exit: every way an exchange ends comes through here exactly once. How it ended ({@code
     * outcome}) is decided by the caller: {@link #fail} (vgate answered), {@link #clientClosed} (the client
     * left first) or the relay ({@link #relayEnded}).
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
                progress.firstEventNanos(),
                progress.lastEventNanos(),
                progress.events(),
                progress.maxEventGapNanos(),
                progress.promptTokens(),
                progress.completionTokens(),
                contextAdjustment,
                trimmedMessages);
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
