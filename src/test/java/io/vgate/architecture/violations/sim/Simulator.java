package io.vgate.architecture.violations.sim;

import io.vgate.architecture.violations.metrics.GatewayMetric;

/** A simulator that records into the gateway's metrics. */
public class Simulator {

    /** Read by the gateway fixture. */
    public static final String ADDRESS_FIELD = "http://127.0.0.1:";

    /** Its port, counted in a gateway metric. */
    public int port() {
        return GatewayMetric.count(8000);
    }
}
