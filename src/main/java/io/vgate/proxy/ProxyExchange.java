package io.vgate.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiError;
import io.vgate.api.ApiErrors;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestIds;
import io.vgate.streaming.RelayListener;
import io.vgate.streaming.RelayOutcome;
import io.vgate.streaming.ResponseRelay;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * One client request on its way through vgate: the typed facts each step of the data path adds, the
 * link to the upstream request, and what happened (status, timings, usage) for the observers.
 * <p>
 * Everything happens on the client connection's event loop, so no field needs synchronisation. The
 * exchange completes exactly once: when the answer is sent, or when the client goes away, in which case
 * the upstream request is reset at once so vLLM aborts the generation and frees its slot.
 */
public final class ProxyExchange implements RelayListener {

    private static final Logger LOG = Logger.getLogger(ProxyExchange.class);

    /** Priority class of callers that have none of their own. */
    public static final String DEFAULT_PRIORITY = "interactive";

    private final RoutingContext context;
    private final ApiRoute route;
    private final String requestId;
    private final long startNanos;
    private final ExchangeObserver[] observers;

    private InferenceRequest request;
    private String clientIp;
    private String tenant;
    private String keyId;
    private String priority = DEFAULT_PRIORITY;
    private String contextAdjustment;
    private int trimmedMessages;
    private long queueWaitNanos;
    private HttpClientRequest upstreamRequest;
    private ResponseRelay relay;
    private List<Runnable> onClientGone;
    private List<Runnable> onComplete;
    private boolean clientGone;
    private boolean completed;

    private int status;
    private boolean streaming;
    private String errorCode;
    private RelayOutcome outcome;
    private long responseHeadNanos;
    private long firstEventNanos;
    private long lastEventNanos;
    private long endNanos;
    private int events;
    private long promptTokens = -1;
    private long completionTokens = -1;
    private long maxEventGapNanos;
    private String traceId;

    ProxyExchange(RoutingContext context, ApiRoute route, ExchangeObserver[] observers) {
        this.context = context;
        this.route = route;
        this.observers = observers;
        this.startNanos = System.nanoTime();
        this.requestId = RequestIds.resolve(context.request().getHeader(RequestIds.HEADER));
        HttpServerResponse response = context.response();
        response.headers().set(RequestIds.HEADER, requestId);
        response.closeHandler(ignored -> clientClosed());
        // A peer that resets the connection mid-write is an ordinary event here, not an error to log.
        response.exceptionHandler(ignored -> clientClosed());
        for (ExchangeObserver observer : observers) {
            observer.onStart(this);
        }
    }

    /** The route, or {@code null} for a {@code /v1} path vgate does not serve (answered 404/405). */
    public ApiRoute route() {
        return route;
    }

    public String requestId() {
        return requestId;
    }

    public HttpServerRequest request() {
        return context.request();
    }

    public HttpServerResponse response() {
        return context.response();
    }

    public RoutingContext routingContext() {
        return context;
    }

    /** {@link System#nanoTime()} when the request reached vgate's handler. */
    public long startNanos() {
        return startNanos;
    }

    /** The parsed request, once parsing succeeded. */
    public InferenceRequest inferenceRequest() {
        return request;
    }

    void inferenceRequest(InferenceRequest parsed) {
        this.request = parsed;
    }

    /**
     * The caller's address: the socket peer, or the client behind a trusted proxy once the rate-limit step
     * has resolved {@code X-Forwarded-For}.
     */
    public String clientIp() {
        if (clientIp == null) {
            var peer = context.request().remoteAddress();
            clientIp = peer == null ? "unknown" : peer.hostAddress();
        }
        return clientIp;
    }

    public void clientIp(String address) {
        this.clientIp = address;
    }

    /** Who is billed and queued for this request: the API key's tenant, else the client address. */
    public String tenant() {
        return tenant != null ? tenant : clientIp();
    }

    public void tenant(String tenant) {
        this.tenant = tenant;
    }

    /** True when a step named the tenant; false while {@link #tenant()} is only the client address. */
    public boolean hasTenant() {
        return tenant != null;
    }

    /** Id of the API key or token subject that authenticated the caller, or {@code null}. */
    public String keyId() {
        return keyId;
    }

    public void keyId(String keyId) {
        this.keyId = keyId;
    }

    /** The caller's priority class, e.g. {@code interactive} or {@code batch}. */
    public String priority() {
        return priority;
    }

    public void priority(String priority) {
        this.priority = priority;
    }

    /** What context fitting changed ({@code clamped} or {@code trimmed}), or {@code null}. */
    public String contextAdjustment() {
        return contextAdjustment;
    }

    /** Records a context-fitting change and how many messages were dropped. */
    public void contextAdjustment(String adjustment, int trimmedMessages) {
        this.contextAdjustment = adjustment;
        this.trimmedMessages = trimmedMessages;
    }

    public int trimmedMessages() {
        return trimmedMessages;
    }

    /** Time spent waiting for admission, in nanoseconds. */
    public long queueWaitNanos() {
        return queueWaitNanos;
    }

    public void queueWaitNanos(long nanos) {
        this.queueWaitNanos = nanos;
    }

    /** The {@code model} the client asked for, or {@code null}. */
    public String model() {
        return request == null ? null : request.model();
    }

    /** True once the client has disconnected before its answer was complete. */
    public boolean clientGone() {
        return clientGone;
    }

    /** Runs {@code action} if the client disconnects before the exchange completes. */
    public void onClientGone(Runnable action) {
        if (onClientGone == null) {
            onClientGone = new ArrayList<>(2);
        }
        onClientGone.add(action);
    }

    /** Runs {@code action} once the exchange completes, however it ends (e.g. to release a slot). */
    public void onComplete(Runnable action) {
        if (completed) {
            action.run();
            return;
        }
        if (onComplete == null) {
            onComplete = new ArrayList<>(2);
        }
        onComplete.add(action);
    }

    /**
     * Links the upstream request so a client disconnect can reset it. Returns false (and resets it) when
     * the exchange is already over (the client gone, or vgate gave up on it).
     */
    boolean attachUpstream(HttpClientRequest upstream) {
        this.upstreamRequest = upstream;
        if (completed) {
            upstream.reset();
            return false;
        }
        return true;
    }

    /** Links the relay that is answering the client, so {@link #abort} can end it. */
    void attachRelay(ResponseRelay relay) {
        this.relay = relay;
    }

    /** True once the exchange is over (answered, failed, aborted or the client gone). */
    public boolean completed() {
        return completed;
    }

    /**
     * Ends the exchange because vgate gives up on it (a timeout, shutdown): closes the upstream request so
     * vLLM aborts the generation and frees its slot, and tells the client: a JSON error while nothing has
     * been sent yet, else one SSE error event and {@code [DONE]}. A no-op once the exchange is complete.
     */
    public void abort(ApiError error) {
        if (completed) {
            return;
        }
        errorCode = error.code();
        if (relay != null) {
            if (!context.response().headWritten()) {
                status = error.status();
            }
            relay.abort(error);
            return;
        }
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
        fail(error);
    }

    /** Ends the exchange with vgate's own error; a no-op once the exchange is complete. */
    public void fail(ApiError error) {
        if (completed) {
            return;
        }
        status = error.status();
        errorCode = error.code();
        ApiErrors.send(context.response(), error);
        complete(RelayOutcome.COMPLETED);
    }

    // -- facts for observers ---------------------------------------------------------------------

    /** HTTP status sent to the client (0 if none was sent). */
    public int status() {
        return status;
    }

    /** True when the answer was an SSE stream. */
    public boolean streaming() {
        return streaming;
    }

    /** vgate's reason code when vgate itself answered with an error, else {@code null}. */
    public String errorCode() {
        return errorCode;
    }

    public RelayOutcome outcome() {
        return outcome;
    }

    /** Nanos when vLLM's response head arrived, or 0. */
    public long responseHeadNanos() {
        return responseHeadNanos;
    }

    /** Nanos when the first SSE event was forwarded, or 0. */
    public long firstEventNanos() {
        return firstEventNanos;
    }

    /** Nanos when the last SSE event was forwarded, or 0. */
    public long lastEventNanos() {
        return lastEventNanos;
    }

    /** Nanos when the exchange completed. */
    public long endNanos() {
        return endNanos;
    }

    /** SSE events forwarded. */
    public int events() {
        return events;
    }

    /** Longest pause between two consecutive forwarded SSE events, in nanoseconds (0 with fewer than two). */
    public long maxEventGapNanos() {
        return maxEventGapNanos;
    }

    /** The W3C trace id of this request's server span, or {@code null} when tracing is off. */
    public String traceId() {
        return traceId;
    }

    public void traceId(String traceId) {
        this.traceId = traceId;
    }

    /** Prompt tokens reported by vLLM, or -1 if it reported none. */
    public long promptTokens() {
        return promptTokens;
    }

    /** Completion tokens reported by vLLM, or -1 if it reported none. */
    public long completionTokens() {
        return completionTokens;
    }

    // -- RelayListener -----------------------------------------------------------------------------

    @Override
    public void onResponseHead(int status, boolean streaming) {
        this.status = status;
        this.streaming = streaming;
        this.responseHeadNanos = System.nanoTime();
    }

    @Override
    public void onEvent(Buffer event) {
        long now = System.nanoTime();
        if (events == 0) {
            firstEventNanos = now;
        } else if (now - lastEventNanos > maxEventGapNanos) {
            maxEventGapNanos = now - lastEventNanos;
        }
        lastEventNanos = now;
        events++;
    }

    @Override
    public void onUsage(long promptTokens, long completionTokens) {
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
    }

    @Override
    public void onEnd(RelayOutcome outcome) {
        complete(outcome);
    }

    // -- lifecycle ---------------------------------------------------------------------------------

    private void clientClosed() {
        // Over HTTP/2 a stream closes when its response ends normally: the client got everything.
        if (completed || clientGone || context.response().ended()) {
            return;
        }
        clientGone = true;
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
        if (onClientGone != null) {
            for (Runnable action : onClientGone) {
                action.run();
            }
        }
        complete(RelayOutcome.CLIENT_GONE);
    }

    private void complete(RelayOutcome how) {
        if (completed) {
            return;
        }
        completed = true;
        outcome = how;
        endNanos = System.nanoTime();
        // Observers get the status the client actually received: the relay may have answered 502 itself
        // after vLLM's head arrived, and a client that left before any answer received none.
        HttpServerResponse response = context.response();
        status = response.headWritten() ? response.getStatusCode() : 0;
        if (onComplete != null) {
            for (Runnable action : onComplete) {
                action.run();
            }
        }
        for (ExchangeObserver observer : observers) {
            try {
                observer.onComplete(this);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Exchange observer %s failed", observer.getClass().getName());
            }
        }
    }
}
