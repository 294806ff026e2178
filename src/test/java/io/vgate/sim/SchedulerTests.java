package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SchedulerTests extends SimSuite {

    @Test
    void queuesWhatDoesNotFitInMaxNumSeqs() {
        sim.settings().maxNumSeqs(2).interTokenLatency(Duration.ofMillis(20));
        String request = "{\"prompt\":\"Wait for me\",\"max_tokens\":25,\"ignore_eos\":true}";

        List<CompletableFuture<HttpResponse<String>>> responses = IntStream.range(0, 3)
                .mapToObj(i -> client.postAsync("/v1/completions", request))
                .toList();

        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 2 && sim.waiting() == 1);
        String metrics = client.get("/metrics").body();
        assertThat(SimClient.metric(metrics, "vllm:num_requests_running")).isEqualTo(2.0);
        assertThat(SimClient.metric(metrics, "vllm:num_requests_waiting")).isEqualTo(1.0);
        assertThat(client.get("/load").body()).isEqualTo("{\"server_load\":3}");
        assertThat(responses).allSatisfy(r -> assertThat(r.join().statusCode()).isEqualTo(200));
        assertThat(sim.running()).isZero();
        assertThat(sim.waiting()).isZero();
    }

    @Test
    void takesLongerToTheFirstTokenForLongerPrompts() {
        // The long prompt goes twice: without this the second one would find its blocks in the prefix cache.
        sim.settings().serving().enablePrefixCaching(false);
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .prefillTimePerToken(Duration.ofMillis(1))
                .interTokenLatency(Duration.ZERO);

        double shortPrompt = modelledTtft("{\"prompt\":\"Hi\",\"max_tokens\":1,\"stream\":true}");
        Duration longWallClock = client.timeToFirstEvent(
                "/v1/completions", "{\"prompt\":\"" + " go".repeat(400) + "\",\"max_tokens\":1,\"stream\":true}");
        double longPrompt = modelledTtft("{\"prompt\":\"" + " go".repeat(400) + "\",\"max_tokens\":1,\"stream\":true}");

        assertThat(longWallClock).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(shortPrompt).isLessThan(0.05);
        assertThat(longPrompt).isBetween(0.4, 0.45);
    }

    @Test
    void prefillsPromptsLargerThanTheStepBudgetInSeveralSteps() {
        // The same prompt goes twice: without this the second one would find its blocks in the prefix cache.
        sim.settings().serving().enablePrefixCaching(false);
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .prefillTimePerToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(80));
        String request = "{\"prompt\":\"" + " go".repeat(400) + "\",\"max_tokens\":1,\"stream\":true}";

        double oneStep = modelledTtft(request);
        sim.settings().maxNumBatchedTokens(100);
        double fiveSteps = modelledTtft(request);

        assertThat(oneStep).isLessThan(0.05);
        assertThat(fiveSteps).isBetween(4 * 0.08, 4 * 0.08 + 0.05);
    }

    @Test
    void waitsForKvCacheRoomBeforeAdmitting() {
        sim.settings().kvCacheTokens(16 * 8).interTokenLatency(Duration.ofMillis(20));
        String request = "{\"prompt\":\"" + " go".repeat(70) + "\",\"max_tokens\":10,\"ignore_eos\":true}";

        List<CompletableFuture<HttpResponse<String>>> responses =
                List.of(client.postAsync("/v1/completions", request), client.postAsync("/v1/completions", request));

        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1 && sim.waiting() == 1);
        assertThat(client.metric("vllm:kv_cache_usage_perc")).isGreaterThan(0.5);
        assertThat(responses).allSatisfy(r -> assertThat(r.join().statusCode()).isEqualTo(200));
    }

    @Test
    void preemptsTheNewestRequestWhenTheKvCacheRunsOut() {
        sim.settings().kvCacheTokens(16 * 6).interTokenLatency(Duration.ofMillis(5));
        double before = client.metric("vllm:num_preemptions_total");
        String request = "{\"prompt\":\"" + " go".repeat(14) + "\",\"max_tokens\":40,\"ignore_eos\":true}";

        List<CompletableFuture<HttpResponse<String>>> responses =
                List.of(client.postAsync("/v1/completions", request), client.postAsync("/v1/completions", request));

        for (CompletableFuture<HttpResponse<String>> response : responses) {
            JsonNode body = SimClient.parse(response.join().body());
            assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(40);
        }
        assertThat(client.metric("vllm:num_preemptions_total")).isGreaterThan(before);
    }

    @Test
    void answersAtOnceWithZeroLatencies() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);

        List<CompletableFuture<HttpResponse<String>>> responses = IntStream.range(0, 200)
                .mapToObj(i -> client.postAsync(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi " + i + "\"}],\"max_tokens\":8}"))
                .toList();

        assertThat(responses).allSatisfy(r -> assertThat(r.join().statusCode()).isEqualTo(200));
        sim.awaitIdle(Duration.ofSeconds(5));
        assertThat(sim.running()).isZero();
    }

    /**
     * The time to first token the simulator's timeline gave one request, read from the TTFT histogram: unlike a
     * client-side stopwatch it does not move with the test machine's load.
     */
    private double modelledTtft(String completionRequest) {
        double before = client.metric("vllm:time_to_first_token_seconds_sum");
        client.timeToFirstEvent("/v1/completions", completionRequest);
        return client.metric("vllm:time_to_first_token_seconds_sum") - before;
    }
}
