package io.vgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.HdrHistogram.Histogram;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Result files: JSON trees, and latency histograms summarised in milliseconds. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Percentiles written for every histogram, and drawn in the charts. */
    static final double[] PERCENTILES = { 50, 75, 90, 95, 99, 99.9, 99.99 };

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** A histogram of nanoseconds as {@code {count, mean_ms, p50_ms, ..., max_ms, percentiles: [[p, ms]...]}}. */
    static ObjectNode latency(Histogram nanos) {
        ObjectNode o = object();
        o.put("count", nanos.getTotalCount());
        if (nanos.getTotalCount() == 0) {
            return o;
        }
        o.put("mean_ms", round(nanos.getMean() / 1e6));
        o.put("min_ms", round(nanos.getMinValue() / 1e6));
        o.put("p50_ms", ms(nanos, 50));
        o.put("p90_ms", ms(nanos, 90));
        o.put("p99_ms", ms(nanos, 99));
        o.put("p999_ms", ms(nanos, 99.9));
        o.put("max_ms", round(nanos.getMaxValue() / 1e6));
        ArrayNode pts = o.putArray("percentiles");
        for (double p : PERCENTILES) {
            pts.addArray().add(p).add(ms(nanos, p));
        }
        return o;
    }

    static double ms(Histogram nanos, double percentile) {
        return round(nanos.getValueAtPercentile(percentile) / 1e6);
    }

    static double round(double value) {
        return Math.round(value * 1000.0) / 1000.0;
    }

    static void write(Path file, ObjectNode node) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        MAPPER.writeValue(file.toFile(), node);
    }
}
