package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@QuarkusTest
class MetricsTests extends SimSuite {

    private static final String LABELS = "engine=\"0\",model_name=\"vgate-sim-llama-3-8b\"";

    @Test
    void servesPrometheusTextWithVllmsContentType() {
        HttpResponse<String> response = client.get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    }

    @ParameterizedTest
    @CsvSource({
        "vllm:num_requests_running, gauge",
        "vllm:num_requests_waiting, gauge",
        "vllm:kv_cache_usage_perc, gauge",
        "vllm:num_preemptions_total, counter",
        "vllm:prefix_cache_queries_total, counter",
        "vllm:prefix_cache_hits_total, counter",
        "vllm:prompt_tokens_total, counter",
        "vllm:generation_tokens_total, counter",
        "vllm:request_success_total, counter",
        "vllm:time_to_first_token_seconds, histogram",
        "vllm:inter_token_latency_seconds, histogram",
        "vllm:e2e_request_latency_seconds, histogram",
        "vllm:request_queue_time_seconds, histogram",
        "vllm:request_prefill_time_seconds, histogram",
        "vllm:request_decode_time_seconds, histogram",
        "vllm:request_inference_time_seconds, histogram",
        "vllm:request_prompt_tokens, histogram",
        "vllm:request_generation_tokens, histogram",
        "vllm:request_params_max_tokens, histogram",
        "vllm:request_params_n, histogram",
        "vllm:cache_config_info, gauge"
    })
    void exposesVllmMetricsWithTheirTypes(String name, String type) {
        String text = client.get("/metrics").body();

        assertThat(text).contains("# TYPE " + name + " " + type + "\n").contains("# HELP " + name + " ");
    }

    @Test
    void labelsSamplesLikePrometheusClient() {
        String text = client.get("/metrics").body();

        assertThat(text).contains("vllm:num_requests_running{" + LABELS + "} 0.0\n");
        assertThat(text)
                .contains(
                        "vllm:request_success_total{engine=\"0\",finished_reason=\"stop\",model_name=\"vgate-sim-llama-3-8b\"} ");
        assertThat(text).contains("# TYPE vllm:prompt_tokens_created gauge\n");
        assertThat(text).doesNotContain(",}");
        assertThat(text)
                .containsPattern("vllm:cache_config_info\\{block_size=\"16\",.*engine=\"0\",.*"
                        + "num_gpu_blocks=\"\\d+\".*\\} 1\\.0\n");
    }

    @Test
    void usesVllmsBuckets() {
        String text = client.get("/metrics").body();

        assertThat(buckets(text, "vllm:time_to_first_token_seconds"))
                .containsExactly(
                        "0.001", "0.005", "0.01", "0.02", "0.04", "0.06", "0.08", "0.1", "0.25", "0.5", "0.75", "1.0",
                        "2.5", "5.0", "7.5", "10.0", "20.0", "40.0", "80.0", "160.0", "640.0", "2560.0", "+Inf");
        assertThat(buckets(text, "vllm:inter_token_latency_seconds"))
                .containsExactly(
                        "0.01", "0.025", "0.05", "0.075", "0.1", "0.15", "0.2", "0.3", "0.4", "0.5", "0.75", "1.0",
                        "2.5", "5.0", "7.5", "10.0", "20.0", "40.0", "80.0", "+Inf");
        assertThat(buckets(text, "vllm:e2e_request_latency_seconds"))
                .containsExactly(
                        "0.3", "0.5", "0.8", "1.0", "1.5", "2.0", "2.5", "5.0", "10.0", "15.0", "20.0", "30.0", "40.0",
                        "50.0", "60.0", "120.0", "240.0", "480.0", "960.0", "1920.0", "7680.0", "+Inf");
        assertThat(buckets(text, "vllm:request_prompt_tokens"))
                .containsExactly(
                        "1.0", "2.0", "5.0", "10.0", "20.0", "50.0", "100.0", "200.0", "500.0", "1000.0", "2000.0",
                        "+Inf");
        assertThat(buckets(text, "vllm:request_params_n")).containsExactly("1.0", "2.0", "5.0", "10.0", "20.0", "+Inf");
    }

    @Test
    void countsTokensAndFinishReasons() {
        double promptBefore = client.metric("vllm:prompt_tokens_total");
        double stopBefore = success(client.get("/metrics").body(), "stop");
        double lengthBefore = success(client.get("/metrics").body(), "length");

        var response = client.postJson("/v1/completions", "{\"prompt\":\"Count me\",\"max_tokens\":5,\"n\":2}");
        sim.awaitIdle(Duration.ofSeconds(5));
        String text = client.get("/metrics").body();

        assertThat(SimClient.metric(text, "vllm:prompt_tokens_total") - promptBefore)
                .isEqualTo(2.0 * response.at("/usage/prompt_tokens").asInt());
        assertThat(success(text, "length") - lengthBefore).isEqualTo(2.0);
        assertThat(success(text, "stop")).isEqualTo(stopBefore);
        assertThat(text).containsPattern("vllm:time_to_first_token_seconds_count\\{" + LABELS + "\\} [1-9]");
    }

    private static List<String> buckets(String text, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "_bucket\\{engine=\"0\",le=\"([^\"]+)\",model_name=")
                .matcher(text);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static double success(String text, String reason) {
        Matcher m = Pattern.compile("(?m)^vllm:request_success_total\\{engine=\"0\",finished_reason=\"" + reason
                        + "\",model_name=\"vgate-sim-llama-3-8b\"\\} (\\S+)$")
                .matcher(text);
        assertThat(m.find()).as(reason).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
