package io.vgate.proxy;

/**
 * Watches exchanges: metrics, the access log, tracing. Implementations are CDI beans, found once at
 * start-up and called on the request's event loop, so they must be cheap and must never block or throw.
 */
public interface ExchangeObserver {

    /**
     * The exchange has just been created, before any step ran; only the route, request id and start time
     * are known. Runs in the request's context, so the request's trace span is current.
     */
    default void onStart(ProxyExchange exchange) {}

    /** The exchange is over, after the client has its answer; every fact on it is final. */
    void onComplete(ProxyExchange exchange);
}
