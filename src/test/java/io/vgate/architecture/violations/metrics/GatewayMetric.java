package io.vgate.architecture.violations.metrics;

/** A gateway class the simulator fixture must not use. */
public final class GatewayMetric {

    private GatewayMetric() {}

    /** Returns what it counted. */
    public static int count(int value) {
        return value;
    }
}
