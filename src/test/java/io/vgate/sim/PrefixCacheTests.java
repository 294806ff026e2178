package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The prefix cache: shared whole blocks skip their prefill, salts partition the cache, the counters count it. */
@QuarkusTest
class PrefixCacheTests extends SimSuite {

    /** About 800 prompt tokens: 0.2 s of prefill at 0.25 ms per token. */
    private static final String LONG = " go".repeat(800);

    @BeforeEach
    void slowPrefill() {
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .prefillTimePerToken(Duration.ofNanos(250_000))
                .interTokenLatency(Duration.ZERO);
    }

    @Test
    void aRepeatedPromptSkipsItsCachedPrefill() {
        double queries = client.metric("vllm:prefix_cache_queries_total");
        double hits = client.metric("vllm:prefix_cache_hits_total");

        double miss = modelledTtft(request(LONG + " first", null));
        double afterMiss = client.metric("vllm:prefix_cache_hits_total");
        double hit = modelledTtft(request(LONG + " second", null));

        assertThat(miss).isGreaterThan(0.19);
        assertThat(hit).as("only the last partial block is prefilled").isLessThan(miss / 4);
        assertThat(afterMiss).isEqualTo(hits);
        double hitTokens = client.metric("vllm:prefix_cache_hits_total") - afterMiss;
        assertThat(hitTokens).isPositive();
        assertThat(hitTokens % SimEngine.BLOCK_SIZE).as("whole blocks").isZero();
        double queried = client.metric("vllm:prefix_cache_queries_total") - queries;
        assertThat(hitTokens).isLessThan(queried / 2);
    }

    @Test
    void aDifferentSaltNeverHitsAndTheSameSaltDoes() {
        modelledTtft(request(LONG, "tenant-a"));

        double otherSalt = modelledTtft(request(LONG, "tenant-b"));
        double noSalt = modelledTtft(request(LONG + " x", null));
        double hitsBefore = client.metric("vllm:prefix_cache_hits_total");
        double sameSalt = modelledTtft(request(LONG, "tenant-a"));

        assertThat(otherSalt).isGreaterThan(0.19);
        assertThat(noSalt).isGreaterThan(0.19);
        assertThat(sameSalt).isLessThan(0.05);
        assertThat(client.metric("vllm:prefix_cache_hits_total")).isGreaterThan(hitsBefore);
    }

    @Test
    void responsesAndMessagesPromptsUseTheSaltedCacheToo() {
        String responses = "{\"input\":\"" + LONG + "\",\"max_output_tokens\":1,\"store\":false,\"cache_salt\":\"r\"}";
        String messages = "{\"model\":\"vgate-sim-llama-3-8b\",\"max_tokens\":1,\"cache_salt\":\"m\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG + "\"}]}";
        for (String[] route : new String[][] {{"/v1/responses", responses}, {"/v1/messages", messages}}) {
            double before = client.metric("vllm:prefix_cache_hits_total");
            assertThat(client.post(route[0], route[1]).statusCode()).isEqualTo(200);
            double afterFirst = client.metric("vllm:prefix_cache_hits_total");
            assertThat(client.post(route[0], route[1].replace("_salt\":\"", "_salt\":\"other-"))
                            .statusCode())
                    .isEqualTo(200);
            double afterOtherSalt = client.metric("vllm:prefix_cache_hits_total");
            assertThat(client.post(route[0], route[1]).statusCode()).isEqualTo(200);

            assertThat(afterFirst).as("%s: first time", route[0]).isEqualTo(before);
            assertThat(afterOtherSalt).as("%s: another salt", route[0]).isEqualTo(afterFirst);
            assertThat(client.metric("vllm:prefix_cache_hits_total"))
                    .as("%s: the same prompt and salt again", route[0])
                    .isGreaterThan(afterOtherSalt);
        }
    }

    @Test
    void cachesChatPromptsAndChecksTheSalt() {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG
                + "\"}],\"max_tokens\":1,\"stream\":true,\"cache_salt\":\"s\"}";
        double before = client.metric("vllm:prefix_cache_hits_total");
        client.timeToFirstEvent("/v1/chat/completions", chat);
        client.timeToFirstEvent("/v1/chat/completions", chat);
        HttpResponse<String> empty = client.post(
                "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"cache_salt\":\"\"}");
        HttpResponse<String> tooLong =
                client.post("/v1/completions", "{\"prompt\":\"Hi\",\"cache_salt\":\"" + "s".repeat(1025) + "\"}");

        assertThat(client.metric("vllm:prefix_cache_hits_total")).isGreaterThan(before);
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(empty.body()).at("/error/type").asText()).isEqualTo("Bad Request");
        assertThat(SimClient.parse(empty.body()).at("/error/param").asText()).isEqualTo("body.cache_salt");
        assertThat(SimClient.parse(tooLong.body()).at("/error/message").asText())
                .contains("'type': 'string_too_long'")
                .contains("'ctx': {'max_length': 1024}");
    }

    @Test
    void turningCachingOffStopsHitsAndCounting() {
        sim.settings().serving().enablePrefixCaching(false);
        double queries = client.metric("vllm:prefix_cache_queries_total");

        modelledTtft(request(LONG, null));
        double second = modelledTtft(request(LONG, null));

        assertThat(second).isGreaterThan(0.19);
        assertThat(client.metric("vllm:prefix_cache_queries_total")).isEqualTo(queries);
    }

    private static String request(String prompt, String salt) {
        return "{\"prompt\":\"" + prompt + "\",\"max_tokens\":1,\"stream\":true"
                + (salt == null ? "" : ",\"cache_salt\":\"" + salt + "\"") + "}";
    }

    /** The time to first token the simulator's timeline gave the request (its histogram sum grows by it). */
    private double modelledTtft(String completionRequest) {
        double before = client.metric("vllm:time_to_first_token_seconds_sum");
        client.timeToFirstEvent("/v1/completions", completionRequest);
        return client.metric("vllm:time_to_first_token_seconds_sum") - before;
    }
}
