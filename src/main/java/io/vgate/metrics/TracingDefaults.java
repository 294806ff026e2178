package io.vgate.metrics;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
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
public class TracingDefaults implements ConfigSourceInterceptor {

    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
    static final String ENDPOINT = "quarkus.otel.exporter.otlp.endpoint";
    static final String TRACES_ENDPOINT = "quarkus.otel.exporter.otlp.traces.endpoint";

    /** Values from sources below this ordinal are defaults, not a choice someone made. */
    private static final int LOWEST_EXPLICIT_ORDINAL = 100;

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!SDK_DISABLED.equals(name) || isExplicit(value)) {
            return value;
        }
        boolean endpointSet = isExplicit(context.proceed(ENDPOINT)) || isExplicit(context.proceed(TRACES_ENDPOINT));
        var derived = Boolean.toString(!endpointSet);
        return value != null
                ? value.withValue(derived)
                : ConfigValue.builder()
                        .withName(name)
                        .withValue(derived)
                        .withConfigSourceName(TracingDefaults.class.getSimpleName())
                        .withConfigSourceOrdinal(Integer.MIN_VALUE)
                        .build();
    }

    private static boolean isExplicit(ConfigValue value) {
        return value != null
                && value.getValue() != null
                && !value.getValue().isBlank()
                && value.getConfigSourceOrdinal() >= LOWEST_EXPLICIT_ORDINAL;
    }
}
