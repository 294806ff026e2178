package io.vgate.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} command-line options; a name given several times keeps every value. */
final class Args {

    private final Map<String, List<String>> values = new HashMap<>();

    Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
            }
            values.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
    }

    String get(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    String required(String name) {
        String v = get(name, null);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    int intValue(String name, int fallback) {
        return Integer.parseInt(get(name, Integer.toString(fallback)));
    }

    double doubleValue(String name, double fallback) {
        return Double.parseDouble(get(name, Double.toString(fallback)));
    }

    /** A duration as {@code 250ms}, {@code 20s}, {@code 2m} or plain seconds. */
    Duration duration(String name, String fallback) {
        return parseDuration(get(name, fallback));
    }

    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.endsWith("ms")) {
            return Duration.ofNanos((long) (Double.parseDouble(t.substring(0, t.length() - 2)) * 1e6));
        }
        if (t.endsWith("us")) {
            return Duration.ofNanos((long) (Double.parseDouble(t.substring(0, t.length() - 2)) * 1e3));
        }
        if (t.endsWith("m")) {
            return Duration.ofNanos((long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 60e9));
        }
        if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        }
        return Duration.ofNanos((long) (Double.parseDouble(t) * 1e9));
    }
}
