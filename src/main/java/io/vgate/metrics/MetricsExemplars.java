package io.vgate.metrics;

import io.prometheus.client.exemplars.ExemplarSampler;
import io.quarkus.micrometer.runtime.export.exemplars.OpentelemetryExemplarSamplerProvider;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * Exemplars (the trace id of a sampled request beside a counter or histogram sample) only while tracing is on.
 * <p>
 * With OpenTelemetry on the class path, Quarkus gives the Prometheus registry an exemplar sampler whatever the
 * configuration, and it looks for the current span on every counter increment and histogram record: a dozen
 * look-ups per request that find nothing when the SDK is off ({@code quarkus.otel.sdk.disabled}, which
 * {@link TracingDefaults} answers {@code true} unless an OTLP endpoint is set). This producer replaces Quarkus's:
 * its sampler while tracing is on, none otherwise.
 */
public class MetricsExemplars {

    @Produces
    @Singleton
    @Alternative
    @Priority(1)
    Optional<ExemplarSampler> exemplarSampler(Config config) {
        boolean tracing = !config.getOptionalValue(TracingDefaults.SDK_DISABLED, Boolean.class)
                .orElse(false);
        return tracing ? new OpentelemetryExemplarSamplerProvider().exemplarSampler() : Optional.empty();
    }
}
