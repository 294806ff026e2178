package io.vgate.metrics;

import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.Priorities;
import io.vgate.config.DerivedDefault;
import jakarta.annotation.Priority;

/**
 * Keeps OpenTelemetry off unless an OTLP endpoint is configured.
 * <p>
 * Quarkus starts the OpenTelemetry SDK by default and exports to {@code localhost:4317}, which in a pod
 * without a collector means a span per request built for nothing and a warning per failed export. This
 * interceptor answers {@code quarkus.otel.sdk.disabled} when nobody set it: {@code false} (tracing on)
 * when {@code quarkus.otel.exporter.otlp.endpoint} or {@code quarkus.otel.exporter.otlp.traces.endpoint}
 * is set (env {@code QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT} / {@code QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}),
 * {@code true} otherwise. An explicit {@code quarkus.otel.sdk.disabled} always wins. With the SDK disabled
 * Quarkus installs no Vert.x tracer at all, so tracing costs nothing on the data path.
 * <p>
 * Registered in {@code META-INF/services/io.smallrye.config.ConfigSourceInterceptor}.
 */
@Priority(Priorities.APPLICATION)
public class TracingDefaults extends DerivedDefault {

    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
    static final String ENDPOINT = "quarkus.otel.exporter.otlp.endpoint";
    static final String TRACES_ENDPOINT = "quarkus.otel.exporter.otlp.traces.endpoint";

    public TracingDefaults() {
        super(SDK_DISABLED);
    }

    @Override
    protected String derive(ConfigSourceInterceptorContext context) {
        boolean endpointSet = isExplicit(context.proceed(ENDPOINT)) || isExplicit(context.proceed(TRACES_ENDPOINT));
        return Boolean.toString(!endpointSet);
    }
}
