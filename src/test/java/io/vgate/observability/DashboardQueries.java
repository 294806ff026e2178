package io.vgate.observability;

import com.fasterxml.jackson.databind.JsonNode;
import io.vgate.testing.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Grafana dashboard's panels and PromQL queries, read from {@code dashboards/}. */
final class DashboardQueries {

    static final Path DASHBOARD = Path.of("dashboards", "vgate-overview.json");
    static final Path README = Path.of("dashboards", "README.md");

    private static final Pattern METRIC = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{");

    /** One query of one panel. */
    record Query(String panel, String refId, String expr) {

        /** Metric names the query selects ({@code name{...}}), without histogram suffixes. */
        Set<String> metrics() {
            var names = new LinkedHashSet<String>();
            Matcher matcher = METRIC.matcher(expr);
            while (matcher.find()) {
                names.add(matcher.group(1).replaceAll("_(bucket|sum|count)$", ""));
            }
            return names;
        }

        /** The query with Grafana's variables replaced by concrete values. */
        String substituted(String namespace, String pod, String model) {
            return expr.replace("$__rate_interval", "1m")
                    .replace("$__range", "5m")
                    .replace("$namespace", namespace)
                    .replace("$pod", pod)
                    .replace("$model", model)
                    .replace("$route", ".*");
        }
    }

    private DashboardQueries() {}

    static JsonNode dashboard() throws IOException {
        return Json.parse(Files.readString(DASHBOARD));
    }

    static List<JsonNode> panels() throws IOException {
        var panels = new ArrayList<JsonNode>();
        dashboard().get("panels").forEach(panels::add);
        return panels;
    }

    static List<Query> queries() throws IOException {
        var queries = new ArrayList<Query>();
        for (JsonNode panel : panels()) {
            JsonNode targets = panel.get("targets");
            if (targets == null) {
                continue;
            }
            for (JsonNode target : targets) {
                queries.add(new Query(
                        panel.get("title").asText(),
                        target.get("refId").asText(),
                        target.get("expr").asText()));
            }
        }
        return queries;
    }
}
