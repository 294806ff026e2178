package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.PrometheusServer;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The ScaledObject's own query, read from the generated manifest, evaluated by a real Prometheus
 * (Debian's {@code /usr/bin/prometheus}) scraping vgate and the simulator as the PodMonitor would, with the
 * simulator at {@code --max-num-seqs 8}. From its value the test computes what the HPA asks for with
 * {@code metricType: AverageValue} ({@code ceil(value / threshold)}) at idle, with a full GPU and nothing
 * queued, and at 4x oversubscription; and it shows that without series the query has no value at all (so
 * KEDA, with {@code ignoreNullValues: "false"}, falls back instead of reading 0).
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KedaQueryTests {

    /** The simulated vLLM's batch: also the capacity the overlays copy into the query. */
    private static final int MAX_NUM_SEQS = 8;
    /** As the PodMonitor labels them in the namespace the base's query selects. */
    private static final String NAMESPACE = "vgate";

    private static final String POD = "vgate-7d9f8b6c5-x2k4q";

    @Inject
    VllmSimulator sim;

    @TestHTTPResource("/")
    URI gateway;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** The streams that keep the GPU busy; shut down at the end, which cancels them. */
    private final HttpClient streams =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private String query;
    private double threshold;
    private PrometheusServer prometheus;

    @BeforeAll
    void startPrometheus() throws Exception {
        JsonNode metadata = StrictManifests.load(BaseManifestsTests.BASE)
                .tree("ScaledObject", "vgate")
                .path("spec")
                .path("triggers")
                .get(0)
                .path("metadata");
        // What the overlays' replacement does: the capacity after the only `/` is --max-num-seqs.
        String generated = metadata.path("query").asText();
        assertThat(generated.split("/")).as(generated).hasSize(2);
        query = generated.split("/")[0] + "/ " + MAX_NUM_SEQS;
        threshold = Double.parseDouble(metadata.path("threshold").asText());

        prometheus = PrometheusServer.start(io.vgate.testing.Management.uri(), sim.baseUri(), NAMESPACE, POD, null);
        // Streams stay running: a slow decode and answers far longer than the test.
        simSettings(Map.of("max-num-seqs", MAX_NUM_SEQS, "inter-token-latency", "500ms", "mean-output-tokens", 4000));
    }

    @AfterAll
    void stopPrometheus() throws Exception {
        streams.shutdownNow();
        if (prometheus != null) {
            prometheus.close();
        }
        sim.settings().reset();
        sim.awaitIdle(Duration.ofSeconds(30));
    }

    @Test
    void desiredReplicasFollowSaturation() throws Exception {
        // No series (a monitor that selects nothing, pods not scraped): no value, not 0.
        String unscraped = query.replace("namespace=\"" + NAMESPACE + "\"", "namespace=\"not-scraped\"");
        assertThat(unscraped).isNotEqualTo(query);
        JsonNode empty = evaluate(unscraped);
        assertThat(empty.path("status").asText()).isEqualTo("success");
        assertThat(empty.path("data").path("result"))
                .as("result without series")
                .isEmpty();

        // Idle: a value, 0, and the HPA keeps the minimum of one replica.
        double idle = await().atMost(Duration.ofSeconds(60))
                .until(() -> value(query), OptionalDouble::isPresent)
                .getAsDouble();
        assertThat(idle).as("idle load").isZero();
        assertThat(desiredReplicas(idle)).as("desired replicas at idle").isLessThanOrEqualTo(1);

        // A full GPU and nothing queued: the signal of a backlog would read 0 here.
        List<?> running = openStreams(MAX_NUM_SEQS);
        await().atMost(Duration.ofSeconds(60)).until(() -> sim.running() == MAX_NUM_SEQS);
        assertThat(sim.waiting()).as("nothing waits in vLLM").isZero();
        double full = await().atMost(Duration.ofSeconds(60))
                .until(() -> value(query).orElse(-1), v -> v * MAX_NUM_SEQS == MAX_NUM_SEQS);
        assertThat(desiredReplicas(full))
                .as("desired replicas at a full GPU (%s)", full)
                .isGreaterThanOrEqualTo(2);

        // 4x oversubscribed: 32 streams for a batch of 8. The excess waits in vgate's queue (its in-flight limit
        // follows vLLM's capacity) or in vLLM's: the signal must count it wherever it is.
        List<?> more = openStreams(3 * MAX_NUM_SEQS);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> sim.running() + sim.waiting() + queuedInVgate() == 4 * MAX_NUM_SEQS);
        double over = await().atMost(Duration.ofSeconds(60))
                .until(() -> value(query).orElse(-1), v -> v * MAX_NUM_SEQS == 4 * MAX_NUM_SEQS);
        assertThat(desiredReplicas(over))
                .as("desired replicas at 4x oversubscription (%s)", over)
                .isGreaterThanOrEqualTo(4);
        assertThat(running.size() + more.size()).isEqualTo(4 * MAX_NUM_SEQS);
    }

    /** Requests waiting in vgate's own queue, as its metrics say. */
    private static double queuedInVgate() {
        return io.vgate.testing.PrometheusText.parse(
                        io.vgate.testing.Management.given().get("/q/metrics").asString())
                .sum("vgate_queue_depth", Map.of());
    }

    /** The HPA's replica count for an AverageValue metric, before min/max clamping. */
    private int desiredReplicas(double value) {
        return (int) Math.ceil(value / threshold);
    }

    private List<?> openStreams(int count) {
        var futures = new ArrayList<Object>();
        String body = Json.chat(
                "Keep the GPU busy.", true, Map.of("model", sim.modelName(), "max_tokens", 4000, "ignore_eos", true));
        for (int i = 0; i < count; i++) {
            futures.add(streams.sendAsync(
                    HttpRequest.newBuilder(gateway.resolve("/v1/chat/completions"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.discarding()));
        }
        return futures;
    }

    private void simSettings(Map<String, Object> settings) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(sim.baseUri().resolve("/sim/settings"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(Json.write(settings)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    /** The query's single value at the latest scrape, or empty when it has none. */
    private OptionalDouble value(String promql) throws Exception {
        JsonNode result = evaluate(promql).path("data").path("result");
        assertThat(result.size()).as("KEDA needs a single element: " + result).isLessThanOrEqualTo(1);
        return result.isEmpty()
                ? OptionalDouble.empty()
                : OptionalDouble.of(
                        Double.parseDouble(result.get(0).path("value").path(1).asText()));
    }

    private JsonNode evaluate(String promql) throws Exception {
        return prometheus.query(promql);
    }
}
