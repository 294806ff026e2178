package io.vgate.metrics;

/**
 * Watches finished exchanges: metrics, the access log. Implementations are CDI beans, found once at
 * start-up and called on the request's event loop, so they must be cheap and must never block or throw.
 * They receive an immutable {@link ExchangeRecord} and cannot change anything about the request.
 */
@FunctionalInterface
public interface ExchangeObserver {

    /** The exchange is over, after the client has its answer. */
    void onComplete(ExchangeRecord exchange);
}
