package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The simulated GPU's speed, changed while the simulator runs ({@code gpu-speed} in {@code /sim/settings}): every
 * prefill and decode step takes {@code 1 / gpu-speed} of its time, from the next step on, requests already running
 * included. Times are read from the simulator's own histograms (its timeline), not from a client's stopwatch.
 */
@QuarkusTest
class GpuSpeedTests extends SimSuite {

    @Test
    void aGpuHalfAsFastTakesTwiceAsLongPerToken() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ofMillis(10));
        double full = meanInterTokenLatency();

        HttpResponse<String> changed = client.post("/sim/settings", "{\"gpu-speed\":0.5}");
        double half = meanInterTokenLatency();

        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(full).isCloseTo(0.010, within(0.002));
        assertThat(half).isCloseTo(0.020, within(0.004));
    }

    @Test
    void aRequestAlreadyRunningSlowsDownFromTheNextStep() throws IOException {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ofMillis(10));
        double before = client.metric("vllm:e2e_request_latency_seconds_sum");

        try (Socket stream = client.openRaw(
                "/v1/completions", "{\"prompt\":\"Go\",\"max_tokens\":60,\"ignore_eos\":true,\"stream\":true}")) {
            SimClient.readUntil(stream, "data: ", 20);
            sim.settings().gpuSpeed(0.25);
            assertThat(SimClient.readUntil(stream, "data: [DONE]", 1)).contains("data: [DONE]");
        }
        double e2e = client.metric("vllm:e2e_request_latency_seconds_sum") - before;

        // About 20 steps of 10 ms, then 40 of 40 ms: 1.8 s; at full speed all along it would be 0.6 s.
        assertThat(e2e).isBetween(1.2, 2.2);
    }

    @Test
    void theSpeedIsASettingOfItsOwn() {
        HttpResponse<String> zero = client.post("/sim/settings", "{\"gpu-speed\":0}");
        HttpResponse<String> faster = client.post("/sim/settings", "{\"gpu-speed\":2.5}");

        assertThat(zero.statusCode()).isEqualTo(400);
        assertThat(zero.body()).contains("gpu-speed");
        assertThat(SimClient.parse(faster.body()).get("gpu-speed").asDouble()).isEqualTo(2.5);
        assertThat(SimClient.parse(client.post("/sim/settings/reset", "").body())
                        .get("gpu-speed")
                        .asDouble())
                .isEqualTo(1.0);
    }

    /** Mean modelled inter-token latency of one 30-token request. */
    private double meanInterTokenLatency() {
        double sum = client.metric("vllm:inter_token_latency_seconds_sum");
        double count = client.metric("vllm:inter_token_latency_seconds_count");
        HttpResponse<String> response =
                client.post("/v1/completions", "{\"prompt\":\"Go\",\"max_tokens\":30,\"ignore_eos\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        return (client.metric("vllm:inter_token_latency_seconds_sum") - sum)
                / (client.metric("vllm:inter_token_latency_seconds_count") - count);
    }
}
