package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading vLLM's load from its Prometheus text: only the four series the adaptive limit needs. */
class VllmLoadTests {

    private static final String LABELS = "{engine=\"0\",model_name=\"m\"}";

    @Test
    void readsTheSimulatorsOwnExpositionUnderLoad() throws IOException {
        VllmLoad load = VllmLoad.parse(resource("sim-metrics-under-load.txt"));

        assertThat(load).isEqualTo(new VllmLoad(3, 7, 0.825, 1));
    }

    @Test
    void sumsCountsOverEnginesAndTakesTheFullestCache() {
        String text = """
                vllm:num_requests_running{engine="0",model_name="m"} 30.0
                vllm:num_requests_running{engine="1",model_name="m"} 12.0
                vllm:num_requests_waiting{engine="0",model_name="m"} 0.0
                vllm:num_requests_waiting{engine="1",model_name="m"} 2.0
                vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.4
                vllm:kv_cache_usage_perc{engine="1",model_name="m"} 0.93
                vllm:kv_cache_usage_perc{engine="2",model_name="m"} 0.1
                vllm:num_preemptions_total{engine="0",model_name="m"} 5.0
                vllm:num_preemptions_total{engine="1",model_name="m"} 1.0
                """;

        assertThat(VllmLoad.parse(text)).isEqualTo(new VllmLoad(42, 2, 0.93, 6));
    }

    @Test
    void ignoresLookalikeSeriesCreatedSamplesAndHistograms() {
        String text = """
                # HELP vllm:num_requests_running Number of requests in model execution batches.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{engine="0",model_name="m"} 4.0
                vllm:num_requests_running_total{engine="0",model_name="m"} 900.0
                vllm:num_requests_waiting_by_reason{engine="0",model_name="m",reason="capacity"} 50.0
                vllm:num_requests_waiting{engine="0",model_name="m"} 1.0
                vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.5
                vllm:num_preemptions_total{engine="0",model_name="m"} 3.0
                vllm:num_preemptions_created{engine="0",model_name="m"} 1.796388834739e+09
                vllm:request_num_preemptions_bucket{engine="0",le="1.0",model_name="m"} 7.0
                xvllm:num_requests_running 77
                """;

        assertThat(VllmLoad.parse(text)).isEqualTo(new VllmLoad(4, 1, 0.5, 3));
    }

    @Test
    void toleratesOpenMetricsExemplarsTimestampsCarriageReturnsAndTrickyLabels() {
        String text = "# TYPE vllm:num_preemptions counter\r\n"
                + "vllm:num_requests_running{engine=\"0\",model_name=\"a} 99 \\\"b\"} 6 1700000000000\r\n"
                + "vllm:num_requests_waiting" + LABELS + " 2.0 # {trace_id=\"abc\"} 1.0 1700000000.1\r\n"
                + "vllm:kv_cache_usage_perc " + "0.25\r\n"
                + "vllm:num_preemptions_total" + LABELS + " 1e+01\r\n"
                + "# EOF\r\n";

        assertThat(VllmLoad.parse(text)).isEqualTo(new VllmLoad(6, 2, 0.25, 10));
    }

    @Test
    void fallsBackToOlderNamesForTheCacheAndPreemptionCounter() {
        String text = """
                vllm:num_requests_running{engine="0",model_name="m"} 1.0
                vllm:num_requests_waiting{engine="0",model_name="m"} 0.0
                vllm:gpu_cache_usage_perc{engine="0",model_name="m"} 0.7
                vllm:num_preemptions{engine="0",model_name="m"} 2.0
                """;

        assertThat(VllmLoad.parse(text)).isEqualTo(new VllmLoad(1, 0, 0.7, 2));
    }

    @Test
    void preferTheNewCacheNameWhenBothAreServed() {
        String text = """
                vllm:num_requests_running 1
                vllm:num_requests_waiting 0
                vllm:gpu_cache_usage_perc 0.9
                vllm:kv_cache_usage_perc 0.2
                """;

        assertThat(VllmLoad.parse(text).kvCacheUsage()).isEqualTo(0.2);
    }

    @Test
    void reportsAMissingPreemptionCounterAsUnknown() {
        String text = "vllm:num_requests_running 1\nvllm:num_requests_waiting 0\nvllm:kv_cache_usage_perc 0.1";

        assertThat(VllmLoad.parse(text)).isEqualTo(new VllmLoad(1, 0, 0.1, -1));
    }

    @Test
    void skipsValuesThatAreNotFiniteNumbers() {
        String text = """
                vllm:num_requests_running{engine="0"} 3
                vllm:num_requests_running{engine="1"} NaN
                vllm:num_requests_running{engine="2"} +Inf
                vllm:num_requests_running{engine="3"} three
                vllm:num_requests_running{engine="4"}
                vllm:num_requests_running{engine="5" 8
                vllm:num_requests_waiting 0
                vllm:kv_cache_usage_perc 0.1
                """;

        assertThat(VllmLoad.parse(text).running()).isEqualTo(3);
    }

    @Test
    void isUnreadableWithoutTheSeriesItSteersBy() {
        assertThat(VllmLoad.parse("")).isNull();
        assertThat(VllmLoad.parse("<html>502 Bad Gateway</html>")).isNull();
        assertThat(VllmLoad.parse("vllm:num_requests_running 1\nvllm:kv_cache_usage_perc 0.1\n"))
                .isNull();
        assertThat(VllmLoad.parse("vllm:num_requests_waiting 1\nvllm:kv_cache_usage_perc 0.1\n"))
                .isNull();
        assertThat(VllmLoad.parse("vllm:num_requests_running 1\nvllm:num_requests_waiting 0\n"))
                .isNull();
        assertThat(VllmLoad.parse("vllm:num_requests_running NaN\nvllm:num_requests_waiting 0\n"
                        + "vllm:kv_cache_usage_perc 0.1\n"))
                .isNull();
    }

    @Test
    void keepsTheCacheUsageAFraction() {
        String text = "vllm:num_requests_running 1\nvllm:num_requests_waiting 0\nvllm:kv_cache_usage_perc 1.5\n";

        assertThat(VllmLoad.parse(text).kvCacheUsage()).isEqualTo(1.0);
    }

    @Test
    void readsFromAnyCharSequence() throws IOException {
        StringBuilder text = new StringBuilder(resource("sim-metrics-under-load.txt"));

        assertThat(VllmLoad.parse(text)).isEqualTo(new VllmLoad(3, 7, 0.825, 1));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = VllmLoadTests.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
