package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The simulated GPU's capacity behaves like a GPU's, so that a limit learned against it means something: the KV
 * cache fills with the tokens running requests hold, and each engine step takes longer the more sequences share
 * it. (Waiting for KV room and preemption when it runs out are in {@link SchedulerTests}.) Times come from the
 * simulator's own histograms.
 */
@QuarkusTest
class GpuCapacityTests extends SimSuite {

    @Test
    void kvCacheUsageRisesWithTheTokensARunningRequestHolds() throws IOException {
        sim.settings().kvCacheTokens(16 * 32).timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ofMillis(10));

        double early;
        double late;
        int seenEarly;
        int seenLate;
        try (Socket stream = client.openRaw(
                "/v1/completions", "{\"prompt\":\"Go\",\"max_tokens\":300,\"ignore_eos\":true,\"stream\":true}")) {
            String text = SimClient.readUntil(stream, "data: ", 20);
            early = client.metric("vllm:kv_cache_usage_perc");
            seenEarly = count(text, "data: ");
            text += SimClient.readUntil(stream, "data: ", 120 - seenEarly);
            late = client.metric("vllm:kv_cache_usage_perc");
            seenLate = count(text, "data: ");
            SimClient.readUntil(stream, "data: [DONE]", 1);
        }

        // The request holds at least the blocks of the tokens the client has already seen (an event carries one token
        // or,
        // when the machine lags, several), in a cache of 32.
        assertThat(early).isGreaterThanOrEqualTo(((seenEarly + 15) / 16) / 32.0);
        assertThat(late).isGreaterThanOrEqualTo(((seenLate + 15) / 16) / 32.0).isGreaterThan(early);
        assertThat(late)
                .as("never more than the whole answer: 300 tokens, 19 blocks")
                .isLessThanOrEqualTo(19 / 32.0);
        assertThat(client.metric("vllm:kv_cache_usage_perc"))
                .as("freed when it ends")
                .isZero();
    }

    private static int count(String text, String marker) {
        int n = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length())) {
            n++;
        }
        return n;
    }

    @Test
    void eachStepTakesLongerTheMoreSequencesShareIt() {
        sim.settings()
                .maxNumSeqs(8)
                .timeFactorUnderLoad(3.0)
                .timeToFirstToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(10));

        double alone = meanInterTokenLatency(1);
        double fullBatch = meanInterTokenLatency(8);

        assertThat(alone).isBetween(0.009, 0.012);
        // The batch fills within a few steps and then runs at three times the single-sequence step time.
        assertThat(fullBatch).isBetween(0.024, 0.031);
    }

    /** Mean modelled inter-token latency of {@code requests} concurrent 40-token requests. */
    private double meanInterTokenLatency(int requests) {
        double sum = client.metric("vllm:inter_token_latency_seconds_sum");
        double count = client.metric("vllm:inter_token_latency_seconds_count");
        List<CompletableFuture<HttpResponse<String>>> responses = IntStream.range(0, requests)
                .mapToObj(i -> client.postAsync(
                        "/v1/completions", "{\"prompt\":\"Go " + i + "\",\"max_tokens\":40,\"ignore_eos\":true}"))
                .toList();
        responses.forEach(r -> assertThat(r.join().statusCode()).isEqualTo(200));
        return (client.metric("vllm:inter_token_latency_seconds_sum") - sum)
                / (client.metric("vllm:inter_token_latency_seconds_count") - count);
    }
}
