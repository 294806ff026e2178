package io.vgate.shaping;

/** Reads one sample from vgate's Prometheus scrape. */
final class Metrics {

    private Metrics() {}

    /** The value of the sample whose name and labels are exactly {@code series}, or 0 when absent. */
    static double value(String series) {
        for (String line :
                io.vgate.testing.Management.given().get("/q/metrics").asString().split("\n")) {
            if (line.startsWith(series + " ")) {
                // The value is the first field; an exemplar ("# {trace_id=…} …") may follow when tracing is on.
                return Double.parseDouble(
                        line.substring(series.length() + 1).trim().split("\\s+")[0]);
            }
        }
        return 0;
    }
}
