package io.vgate.metrics;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vgate.proxy.ExchangeObserver;
import io.vgate.proxy.ProxyExchange;
import jakarta.inject.Singleton;

/**
 * Links each exchange to its OpenTelemetry trace: records the server span's trace id on the exchange when
 * the request starts, for the access log and the client's support tickets.
 * <p>
 * The server span itself comes from Quarkus's Vert.x HTTP instrumentation, and the {@code traceparent}
 * header to vLLM from its Vert.x HTTP client instrumentation, which also covers the raw relay client (see
 * {@link TracingDefaults} for when tracing is on). With tracing off there is no valid span and nothing is
 * recorded.
 */
@Singleton
public class RequestTracing implements ExchangeObserver {

    @Override
    public void onStart(ProxyExchange exchange) {
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            exchange.traceId(span.getTraceId());
        }
    }

    @Override
    public void onComplete(ProxyExchange exchange) {
        // Nothing to add: the server span ends with the response.
    }
}
