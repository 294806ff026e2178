package io.vgate.proxy;

/**
 * Watches finished exchanges: metrics, the access log. Implementations are CDI beans, found once at
 * start-up and called on the request's event loop after the client has its answer, so they must be
 * cheap and must never block or throw.
 */
public interface ExchangeObserver {

    /** The exchange is over; every fact on it is final. */
    void onComplete(ProxyExchange exchange);
}
