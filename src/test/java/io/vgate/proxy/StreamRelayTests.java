package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.SseClient;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SSE through vgate: the same events, byte for byte, as straight from vLLM, each forwarded when it arrives.
 */
@QuarkusTest
class StreamRelayTests {

    @Inject
    VllmSimulator sim;

    @Inject
    Vertx vertx;

    @TestHTTPResource("/")
    URI gateway;

    private SseClient client;

    @BeforeEach
    void openClient() {
        client = new SseClient(vertx);
    }

    @AfterEach
    void restore() {
        client.close();
        sim.settings().reset();
    }

    @Test
    void relaysExactlyTheEventsVllmSends() {
        String body = Json.chat(
                "Stream me a story.",
                true,
                Map.of("max_tokens", 20, "n", 2, "stream_options", Map.of("include_usage", true)));
        String requestId = "stream-" + UUID.randomUUID();

        List<String> direct = events(sim.baseUri(), "/v1/chat/completions", body, requestId);
        List<String> relayed = events(gateway(), "/v1/chat/completions", body, requestId);

        assertThat(direct).hasSizeGreaterThan(5);
        assertThat(direct.getLast()).isEqualTo("data: [DONE]\n\n");
        assertThat(normalised(relayed)).isEqualTo(normalised(direct));
    }

    @Test
    void relaysCompletionStreamsToo() {
        String body = "{\"prompt\":\"The relay\",\"max_tokens\":8,\"stream\":true}";
        String requestId = "cmpl-" + UUID.randomUUID();

        List<String> direct = events(sim.baseUri(), "/v1/completions", body, requestId);
        List<String> relayed = events(gateway(), "/v1/completions", body, requestId);

        assertThat(normalised(relayed)).isEqualTo(normalised(direct));
    }

    @Test
    void removesTheUsageChunkVgateAskedForOnTheClientsBehalf() {
        String body = Json.chat("Count my tokens.", true, Map.of("max_tokens", 6));
        String requestId = "usage-" + UUID.randomUUID();

        List<String> direct = events(sim.baseUri(), "/v1/chat/completions", body, requestId);
        List<String> relayed = events(gateway(), "/v1/chat/completions", body, requestId);

        assertThat(direct).noneMatch(event -> event.contains("\"usage\""));
        assertThat(normalised(relayed)).isEqualTo(normalised(direct));
    }

    @Test
    void keepsTheUsageChunkWhenTheClientAskedForIt() {
        String body = Json.chat(
                "Count my tokens.", true, Map.of("max_tokens", 6, "stream_options", Map.of("include_usage", true)));

        List<String> relayed = events(gateway(), "/v1/chat/completions", body, "u-" + UUID.randomUUID());

        assertThat(relayed.get(relayed.size() - 2)).contains("\"choices\":[]").contains("\"completion_tokens\":6");
    }

    @Test
    void sendsStreamingHeaders() {
        var call = client.post(
                gateway().resolve("/v1/chat/completions"), Json.chat("hi", true, Map.of("max_tokens", 3)), null);

        assertThat(call.status()).isEqualTo(200);
        MultiMap headers = call.headers();
        assertThat(headers.get("Content-Type")).startsWith("text/event-stream");
        assertThat(headers.get("Cache-Control")).isEqualTo("no-cache");
        assertThat(headers.get("X-Accel-Buffering")).isEqualTo("no");
        assertThat(headers.get("X-Request-Id")).isNotBlank();
        call.body();
    }

    @Test
    void forwardsEachEventAsSoonAsItArrives() {
        Duration itl = Duration.ofMillis(60);
        sim.settings().interTokenLatency(itl).timeToFirstToken(Duration.ZERO);
        int tokens = 8;

        var call = client.post(
                gateway().resolve("/v1/chat/completions"),
                Json.chat("Slowly, please.", true, Map.of("max_tokens", tokens, "ignore_eos", true)),
                null);
        call.body();

        List<SseClient.Event> events = call.events();
        // role chunk, one chunk per token (the last carrying finish_reason), [DONE]
        assertThat(events).hasSizeGreaterThanOrEqualTo(tokens + 1);
        long spreadMillis = (events.getLast().arrivalNanos() - events.getFirst().arrivalNanos()) / 1_000_000;
        assertThat(spreadMillis).isGreaterThanOrEqualTo((tokens - 2) * itl.toMillis());
        long separatedArrivals = java.util.stream.IntStream.range(1, events.size())
                .filter(i -> events.get(i).arrivalNanos() - events.get(i - 1).arrivalNanos() > itl.toNanos() / 3)
                .count();
        // Had vgate held events back, several would arrive together; each token arrives on its own.
        assertThat(separatedArrivals).isGreaterThanOrEqualTo(tokens - 3);
    }

    private URI gateway() {
        return gateway;
    }

    private List<String> events(URI base, String path, String body, String requestId) {
        var call = client.post(
                base.resolve(path), body, MultiMap.caseInsensitiveMultiMap().add("X-Request-Id", requestId));
        assertThat(call.status()).isEqualTo(200);
        call.body();
        return call.events().stream().map(SseClient.Event::text).toList();
    }

    /** The only field two identical requests may differ in is the creation second. */
    private static List<String> normalised(List<String> events) {
        return events.stream()
                .map(event -> event.replaceAll("\"created\":\\d+", "\"created\":0"))
                .toList();
    }
}
