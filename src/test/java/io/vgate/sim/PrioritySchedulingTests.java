package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.sim.SimulatorConfig.SchedulingPolicy;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * vLLM's {@code --scheduling-policy priority}: waiting requests are served by {@code priority} (lower first, arrival
 * order among equals), the {@code X-Vllm-Priority} header overrides the body, and a KV cache that runs out preempts
 * the least urgent running request. Under the default FCFS policy the field is accepted and ignored.
 */
@QuarkusTest
class PrioritySchedulingTests extends SimSuite {

    private final Queue<String> finished = new ConcurrentLinkedQueue<>();
    private final List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    private Socket blocker;

    /**
     * One GPU slot, held by a stream that runs until the test lets go of it ({@link #freeTheSlot()}), so that
     * everything sent meanwhile has to wait.
     */
    private void occupyTheOnlySlot() throws IOException {
        sim.settings().maxNumSeqs(1).interTokenLatency(Duration.ofMillis(20));
        blocker = client.openRaw(
                "/v1/completions",
                "{\"prompt\":\"Hold the slot\",\"max_tokens\":3000,\"ignore_eos\":true,\"stream\":true}");
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);
    }

    /** The client holding the slot leaves: the simulator aborts its request and admits the next waiting one. */
    private void freeTheSlot() throws IOException {
        blocker.close();
    }

    /** Sends a request and waits until it is queued, so arrival order is the order of the calls. */
    private void queue(String name, String priorityField, String... headers) {
        int before = sim.waiting();
        String field = priorityField == null ? "" : ",\"priority\":" + priorityField;
        send(name, "{\"prompt\":\"" + name + "\",\"max_tokens\":4,\"ignore_eos\":true" + field + "}", headers);
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.waiting() == before + 1);
    }

    private void send(String name, String body, String... headers) {
        CompletableFuture<HttpResponse<String>> response = client.postAsync("/v1/completions", body, headers);
        responses.add(response.whenComplete((r, e) -> finished.add(name)));
    }

    private List<String> finishOrder() throws IOException {
        if (blocker != null) {
            freeTheSlot();
        }
        responses.forEach(r -> assertThat(r.join().statusCode()).isEqualTo(200));
        return List.copyOf(finished);
    }

    @Test
    void servesLowerPriorityValuesFirstAndArrivalOrderAmongEquals() throws IOException {
        sim.settings().schedulingPolicy(SchedulingPolicy.PRIORITY);
        occupyTheOnlySlot();

        queue("a", "5");
        queue("b", "0");
        queue("c", "5");
        queue("d", null);
        queue("e", "-3");

        assertThat(finishOrder()).containsExactly("e", "b", "d", "a", "c");
    }

    @Test
    void theHeaderOverridesTheBodyAndIsIgnoredWhenNotAnInteger() throws IOException {
        sim.settings().schedulingPolicy(SchedulingPolicy.PRIORITY);
        occupyTheOnlySlot();

        queue("a", "1");
        queue("b", "9", "X-Vllm-Priority", "0");
        queue("c", "2", "X-Vllm-Priority", "urgent");

        assertThat(finishOrder()).containsExactly("b", "a", "c");
    }

    @Test
    void fcfsAcceptsAndIgnoresPriority() throws IOException {
        occupyTheOnlySlot();

        queue("a", "5");
        queue("b", "0");
        queue("c", "-1", "X-Vllm-Priority", "-7");

        assertThat(finishOrder()).containsExactly("a", "b", "c");
    }

    @Test
    void switchingToThePriorityPolicyReordersTheRequestsAlreadyWaiting() throws IOException {
        occupyTheOnlySlot();
        queue("a", "5");
        queue("b", "0");

        HttpResponse<String> changed = client.post("/sim/settings", "{\"scheduling-policy\":\"priority\"}");

        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(SimClient.parse(changed.body()).get("scheduling-policy").asText())
                .isEqualTo("priority");
        assertThat(finishOrder()).containsExactly("b", "a");
    }

    @Test
    void preemptsTheLeastUrgentRunningRequestWhenTheKvCacheRunsOut() throws IOException {
        // Two requests of 4 blocks each in a cache of 6: as they grow, one of them must give way.
        sim.settings()
                .schedulingPolicy(SchedulingPolicy.PRIORITY)
                .kvCacheTokens(16 * 6)
                .interTokenLatency(Duration.ofMillis(10));
        String body = "{\"prompt\":\"" + " go".repeat(14) + "\",\"max_tokens\":40,\"ignore_eos\":true,\"priority\":%d}";
        double before = preemptions();

        send("batch, first to arrive", body.formatted(10));
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);
        send("interactive, second", body.formatted(0));

        assertThat(finishOrder())
                .as("under FCFS the newest would be preempted and the first would finish first")
                .containsExactly("interactive, second", "batch, first to arrive");
        assertThat(preemptions()).isGreaterThan(before);
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            JsonNode answer = SimClient.parse(response.join().body());
            assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(40);
        }
    }

    @Test
    void fcfsPreemptsTheNewestRunningRequestWhateverItsPriority() throws IOException {
        sim.settings().kvCacheTokens(16 * 6).interTokenLatency(Duration.ofMillis(10));
        String body = "{\"prompt\":\"" + " go".repeat(14) + "\",\"max_tokens\":40,\"ignore_eos\":true,\"priority\":%d}";

        send("batch, first to arrive", body.formatted(10));
        await().atMost(Duration.ofSeconds(5)).until(() -> sim.running() == 1);
        send("interactive, second", body.formatted(0));

        assertThat(finishOrder()).containsExactly("batch, first to arrive", "interactive, second");
    }

    @Test
    void rejectsAPriorityThatIsNotAnIntegerAsVllmDoes() {
        HttpResponse<String> response =
                client.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":1,\"priority\":\"high\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = SimClient.parse(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("message").asText()).contains("priority").contains("valid integer");
    }

    private double preemptions() {
        String metrics = client.get("/metrics").body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("vllm:num_preemptions_total{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no vllm:num_preemptions_total in " + metrics);
    }
}
