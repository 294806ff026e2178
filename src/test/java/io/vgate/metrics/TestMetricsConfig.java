package io.vgate.metrics;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link MetricsConfig} for tests that build the access log or the rejection-log throttle by hand: the access-log
 * settings each test chooses, with the label limits at their defaults (no allow-lists, 50 tenants, 20 models).
 */
record TestMetricsConfig(
        boolean accessLog, int accessLogBuffer, AccessLogFormat accessLogFormat, Duration rejectionLogInterval)
        implements MetricsConfig {

    @Override
    public Optional<Set<String>> tenants() {
        return Optional.empty();
    }

    @Override
    public int maxTenants() {
        return 50;
    }

    @Override
    public Optional<Set<String>> models() {
        return Optional.empty();
    }

    @Override
    public int maxModels() {
        return 20;
    }
}
