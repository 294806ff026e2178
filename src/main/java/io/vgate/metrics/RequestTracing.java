package io.vgate.metrics;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import jakarta.inject.Singleton;

/**
 * Names the OpenTelemetry trace of the current request, so the data path can put its id in the exchange's
 * record (for the access log and the client's support tickets).
 * <p>
 * The server span itself comes from Quarkus's Vert.x HTTP instrumentation, and the {@code traceparent}
 * header to vLLM from its Vert.x HTTP client instrumentation, which also covers the raw relay client (see
 * {@link TracingDefaults} for when tracing is on). With tracing off there is no valid span and no id.
 */
@Singleton
public class RequestTracing {

    /** The trace id of the span current on this thread, or {@code null} when there is none (tracing off). */
    public String currentTraceId() {
        SpanContext span = Span.current().getSpanContext();
        return span.isValid() ? span.getTraceId() : null;
    }
}
