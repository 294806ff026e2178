package io.vgate.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.vgate.testing.PrometheusBinaries;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The alert rules, proven with Prometheus's own tooling: {@code promtool check rules} accepts them,
 * {@code promtool test rules} runs their unit tests, every alert has a test where it fires and one where it
 * stays quiet, every alert carries a runbook line, and the PrometheusRule manifest wraps exactly the rule
 * file promtool checked.
 * <p>
 * The rule file is the source; after editing it, regenerate the manifest with
 * {@code ./mvnw test -Dtest=AlertRulesTests -Dvgate.alerts.regenerate=true}.
 */
class AlertRulesTests {

    static final Path ALERTS = Path.of("deploy", "alerts");
    static final Path RULES = ALERTS.resolve("vgate-alerts.rules.yml");
    static final Path MANIFEST = ALERTS.resolve("vgate-prometheusrule.yaml");
    static final Path TESTS = ALERTS.resolve("tests");

    private static final Pattern ALERT = Pattern.compile("^\\s*- alert: (\\S+)\\s*$", Pattern.MULTILINE);

    private static final String MANIFEST_HEADER = """
            # GENERATED from vgate-alerts.rules.yml (the file promtool checks): edit that file, then run
            #   ./mvnw test -Dtest=AlertRulesTests -Dvgate.alerts.regenerate=true
            # AlertRulesTests fails the build while the two differ.
            #
            # Apply in vgate's namespace. The Prometheus Operator loads PrometheusRules matching its ruleSelector
            # (kube-prometheus-stack: the label release=<its Helm release>); add that label if yours needs it.
            apiVersion: monitoring.coreos.com/v1
            kind: PrometheusRule
            metadata:
              name: vgate
              labels:
                app.kubernetes.io/name: vgate
                app.kubernetes.io/component: alerts
            spec:
            """;

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        var result = PrometheusBinaries.promtool(
                ALERTS, "check", "rules", RULES.getFileName().toString());

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        var args = new ArrayList<>(List.of("test", "rules"));
        for (Path test : testFiles()) {
            args.add(ALERTS.relativize(test).toString());
        }
        var result = PrometheusBinaries.promtool(ALERTS, args.toArray(String[]::new));

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS").doesNotContain("FAILED");
    }

    @Test
    void everyAlertIsTestedFiringAndQuiet() throws IOException {
        var tests = new StringBuilder();
        for (Path test : testFiles()) {
            tests.append(Files.readString(test));
        }
        String text = tests.toString();

        List<String> alerts = alerts();
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(10);
        var untested = new ArrayList<String>();
        for (String alert : alerts) {
            if (!Pattern.compile("alertname: " + alert + "\\s*\\n\\s*exp_alerts:\\s*\\n\\s*- exp_labels:")
                    .matcher(text)
                    .find()) {
                untested.add(alert + " (firing)");
            }
            if (!Pattern.compile("alertname: " + alert + "\\s*\\n\\s*exp_alerts: \\[]")
                    .matcher(text)
                    .find()) {
                untested.add(alert + " (quiet)");
            }
        }
        assertThat(untested).as("alerts without a promtool test").isEmpty();
    }

    @Test
    void everyAlertHasARunbookAndASeverity() throws IOException {
        String rules = Files.readString(RULES);
        List<String> alerts = alerts();
        for (int i = 0; i < alerts.size(); i++) {
            int start = rules.indexOf("- alert: " + alerts.get(i));
            int end = i + 1 < alerts.size() ? rules.indexOf("- alert: " + alerts.get(i + 1)) : rules.length();
            String block = rules.substring(start, end);
            assertThat(block)
                    .as(alerts.get(i))
                    .containsPattern("\\n\\s+runbook: \"[^\"]{40,}\"")
                    .containsPattern("\\n\\s+severity: (critical|warning)");
        }
    }

    @Test
    void prometheusRuleWrapsExactlyTheRuleFile() throws IOException {
        String expected = manifestFor(Files.readString(RULES));
        if (Boolean.getBoolean("vgate.alerts.regenerate")) {
            Files.writeString(MANIFEST, expected, StandardCharsets.UTF_8);
        }

        assertThat(Files.readString(MANIFEST))
                .as(
                        "%s is out of date: run ./mvnw test -Dtest=AlertRulesTests -Dvgate.alerts.regenerate=true",
                        MANIFEST)
                .isEqualTo(expected);
    }

    /** The manifest: a fixed header, then the rule file's groups (without its leading comments) under {@code spec}. */
    static String manifestFor(String rules) {
        int groups = rules.indexOf("\ngroups:");
        var body = new StringBuilder(MANIFEST_HEADER);
        for (String line : rules.substring(groups + 1).split("\n", -1)) {
            body.append(line.isEmpty() ? "" : "  " + line).append('\n');
        }
        return body.toString().stripTrailing() + "\n";
    }

    static List<String> alerts() throws IOException {
        Matcher matcher = ALERT.matcher(Files.readString(RULES));
        var names = new ArrayList<String>();
        while (matcher.find()) {
            names.add(matcher.group(1));
        }
        return names;
    }

    private static List<Path> testFiles() throws IOException {
        try (var files = Files.list(TESTS)) {
            return files.filter(
                            f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml"))
                    .sorted()
                    .toList();
        }
    }
}
