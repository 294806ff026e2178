package io.vgate.proxy;

import io.vgate.testing.Management;

/** Reads vgate's Prometheus metrics on the management port, summed over the series a test names. */
final class Scrape {

    private Scrape() {}

    /** The sum of every series of {@code name} whose labels contain all of {@code labels} (e.g. {@code outcome="completed"}). */
    static double sum(String name, String... labels) {
        return Management.given()
                .get("/q/metrics")
                .asString()
                .lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> {
                    for (String label : labels) {
                        if (!line.contains(label)) {
                            return false;
                        }
                    }
                    return true;
                })
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }
}
