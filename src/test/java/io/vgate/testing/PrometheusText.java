package io.vgate.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the Prometheus text exposition format (what {@code /q/metrics} and vLLM's {@code /metrics}
 * serve) into samples, strictly: a line that does not parse fails the test, so the parser doubles as a
 * check that the exposition is valid.
 */
public final class PrometheusText {

    /** One sample line: metric name, labels in order, value. */
    public record Sample(String name, Map<String, String> labels, double value) {

        /** True when every entry of {@code wanted} is among this sample's labels. */
        public boolean matches(Map<String, String> wanted) {
            for (var entry : wanted.entrySet()) {
                if (!entry.getValue().equals(labels.get(entry.getKey()))) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Sample> samples;

    private PrometheusText(List<Sample> samples) {
        this.samples = samples;
    }

    public static PrometheusText parse(String exposition) {
        var samples = new ArrayList<Sample>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            samples.add(parseLine(line));
        }
        return new PrometheusText(samples);
    }

    public List<Sample> samples() {
        return samples;
    }

    /** Sum of the samples named {@code name} whose labels include {@code labels} (0 when none). */
    public double sum(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.matches(labels))
                .mapToDouble(Sample::value)
                .sum();
    }

    /** The samples named {@code name} whose labels include {@code labels}. */
    public List<Sample> find(String name, Map<String, String> labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.matches(labels))
                .toList();
    }

    /** True when any sample carries label {@code label} with value {@code value}. */
    public boolean anyLabelValue(String label, String value) {
        return samples.stream().anyMatch(s -> value.equals(s.labels().get(label)));
    }

    static Sample parseLine(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
            throw new IllegalArgumentException("invalid metric name in: " + line);
        }
        var labels = new LinkedHashMap<String, String>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String key = line.substring(i, eq);
                if (!key.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
                    throw new IllegalArgumentException("invalid label name '" + key + "' in: " + line);
                }
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("unquoted label value in: " + line);
                }
                var value = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        String[] rest = line.substring(i).trim().split(" ");
        double value = switch (rest[0]) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(rest[0]);
        };
        return new Sample(name, labels, value);
    }
}
