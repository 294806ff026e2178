package io.vgate.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's shape: a data-source variable every panel uses, namespace/pod/model/route variables every query
 * honours, the rows and series the issue asks for, and a README line for every panel. What the queries
 * return is {@link PrometheusEndToEndTests}' job.
 */
class DashboardTests {

    @Test
    void hasTheTemplateVariables() throws IOException {
        JsonNode variables = DashboardQueries.dashboard().get("templating").get("list");
        var names = new ArrayList<String>();
        variables.forEach(v -> names.add(v.get("name").asText()));

        assertThat(names).containsExactly("datasource", "namespace", "pod", "model", "route");
        assertThat(variables.get(0).get("type").asText()).isEqualTo("datasource");
        assertThat(variables.get(0).get("query").asText()).isEqualTo("prometheus");
    }

    @Test
    void everyPanelAndQueryUsesTheDataSourceVariable() throws IOException {
        for (JsonNode panel : DashboardQueries.panels()) {
            if ("row".equals(panel.get("type").asText())) {
                continue;
            }
            assertThat(panel.get("datasource").get("uid").asText())
                    .as(panel.get("title").asText())
                    .isEqualTo("${datasource}");
            for (JsonNode target : panel.get("targets")) {
                assertThat(target.get("datasource").get("uid").asText()).isEqualTo("${datasource}");
            }
        }
    }

    @Test
    void everyQueryIsScopedToTheSelectedNamespaceAndPod() throws IOException {
        for (DashboardQueries.Query query : DashboardQueries.queries()) {
            assertThat(query.expr()).as(query.panel()).contains("namespace=~\"$namespace\"");
            if (!query.expr().contains("namespace:vgate_waiting_requests:sum")) {
                assertThat(query.expr()).as(query.panel()).contains("pod=~\"$pod\"");
            }
        }
    }

    @Test
    void everyQueryOfAMetricLabelledByRouteHonoursTheRouteVariable() throws IOException {
        var routed = java.util.Set.of(
                "vgate_requests_total",
                "gen_ai_server_request_duration_seconds",
                "gen_ai_server_time_to_first_token_seconds",
                "gen_ai_server_time_per_output_token_seconds",
                "gen_ai_client_token_usage",
                "vgate_output_tokens_per_second",
                "vgate_stream_max_gap_seconds",
                "vgate_client_disconnects_total",
                "vgate_upstream_errors_total");
        int scoped = 0;
        for (DashboardQueries.Query query : DashboardQueries.queries()) {
            if (query.metrics().stream().anyMatch(routed::contains)) {
                assertThat(query.expr()).as(query.panel()).contains("route=~\"$route\"");
                scoped++;
            }
        }
        assertThat(scoped).as("queries of route-labelled metrics").isGreaterThanOrEqualTo(10);
    }

    @Test
    void hasTheRowsAndSeriesOperatorsNeed() throws IOException {
        var rows = new ArrayList<String>();
        var metrics = new HashSet<String>();
        for (JsonNode panel : DashboardQueries.panels()) {
            if ("row".equals(panel.get("type").asText())) {
                rows.add(panel.get("title").asText());
            }
        }
        DashboardQueries.queries().forEach(q -> metrics.addAll(q.metrics()));

        assertThat(rows)
                .hasSize(5)
                .satisfiesExactly(
                        row -> assertThat(row).startsWith("User-facing"),
                        row -> assertThat(row).startsWith("Queueing and shaping"),
                        row -> assertThat(row).startsWith("vLLM"),
                        row -> assertThat(row).startsWith("GPU"),
                        row -> assertThat(row).startsWith("System"));
        assertThat(metrics)
                .contains(
                        "vgate_requests_total",
                        "gen_ai_server_request_duration_seconds",
                        "gen_ai_server_time_to_first_token_seconds",
                        "gen_ai_server_time_per_output_token_seconds",
                        "gen_ai_client_token_usage",
                        "vgate_output_tokens_per_second",
                        "vgate_queue_depth",
                        "vgate_queue_wait_seconds",
                        "vgate_rejections_total",
                        "vgate_context_adjustments_total",
                        "ft_circuitbreaker_state_current",
                        "vllm:num_requests_running",
                        "vllm:num_requests_waiting",
                        "vllm:kv_cache_usage_perc",
                        "vllm:prefix_cache_hits_total",
                        "vllm:prefix_cache_queries_total",
                        "vllm:num_preemptions_total",
                        "vllm:time_to_first_token_seconds",
                        "vllm:inter_token_latency_seconds",
                        "vllm:generation_tokens_total",
                        "DCGM_FI_DEV_GPU_UTIL",
                        "DCGM_FI_DEV_FB_USED",
                        "DCGM_FI_DEV_FB_FREE",
                        "DCGM_FI_DEV_POWER_USAGE",
                        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
                        "container_cpu_usage_seconds_total",
                        "container_memory_working_set_bytes",
                        "kube_pod_container_status_restarts_total",
                        "kube_pod_container_status_last_terminated_reason");
    }

    @Test
    void theReadmeListsEveryPanelWithItsQuestion() throws IOException {
        String readme = Files.readString(DashboardQueries.README);
        List<String> missing = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : DashboardQueries.panels()) {
            assertThat(ids.add(panel.get("id").asInt())).as("unique panel ids").isTrue();
            JsonNode grid = panel.get("gridPos");
            assertThat(grid.get("x").asInt() + grid.get("w").asInt()).isLessThanOrEqualTo(24);
            if ("row".equals(panel.get("type").asText())) {
                continue;
            }
            String question = panel.path("description").asText();
            assertThat(question).as(panel.get("title").asText()).contains("?");
            String line = "| " + panel.get("title").asText() + " | " + question + " |";
            if (!readme.contains(line)) {
                missing.add(panel.get("title").asText());
            }
        }
        assertThat(missing).as("panels missing from dashboards/README.md").isEmpty();
    }
}
