package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.junit.QuarkusTest;
import java.net.Socket;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DisconnectTests extends SimSuite {

    private static final String SLOW_CHAT =
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Talk\"}]," + "\"max_tokens\":400,\"ignore_eos\":true%s}";

    @BeforeEach
    void setUp() {
        sim.settings().interTokenLatency(Duration.ofMillis(20));
    }

    @Test
    void abortsAStreamWhenTheClientGoesAway() throws Exception {
        long aborted = sim.aborted();
        double abortMetric = aborts();

        try (Socket socket = client.openRaw("/v1/chat/completions", SLOW_CHAT.formatted(",\"stream\":true"))) {
            String received = SimClient.readUntil(socket, "\n\n", 3);
            assertThat(received).startsWith("HTTP/1.1 200 OK").contains("\"role\":\"assistant\"");
            assertThat(sim.running()).isEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 0 && sim.aborted() == aborted + 1);
        assertThat(aborts()).isEqualTo(abortMetric + 1);
        assertThat(gaugeText())
                .contains("vllm:num_requests_running{engine=\"0\",model_name=\"vgate-sim-llama-3-8b\"} 0.0");
    }

    @Test
    void abortsANonStreamingRequestWhileItGenerates() throws Exception {
        long aborted = sim.aborted();
        long finished = sim.finished();

        try (Socket socket = client.openRaw("/v1/chat/completions", SLOW_CHAT.formatted(""))) {
            await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 1);
        }

        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 0 && sim.aborted() == aborted + 1);
        assertThat(sim.finished()).isEqualTo(finished);
    }

    @Test
    void dropsAQueuedRequestWhenItsClientGoesAway() throws Exception {
        sim.settings().maxNumSeqs(1);
        long aborted = sim.aborted();
        var first = client.postAsync("/v1/completions", "{\"prompt\":\"First\",\"max_tokens\":20,\"ignore_eos\":true}");
        await().atMost(Duration.ofSeconds(2)).until(() -> sim.running() == 1);

        try (Socket socket = client.openRaw("/v1/completions", "{\"prompt\":\"Second\",\"max_tokens\":5}")) {
            await().atMost(Duration.ofSeconds(2)).until(() -> sim.waiting() == 1);
        }

        await().atMost(Duration.ofSeconds(2)).until(() -> sim.waiting() == 0 && sim.aborted() == aborted + 1);
        assertThat(first.join().statusCode()).isEqualTo(200);
    }

    @Test
    void freesTheSlotAtOnceForTheNextRequest() throws Exception {
        sim.settings().maxNumSeqs(1);

        try (Socket socket = client.openRaw("/v1/chat/completions", SLOW_CHAT.formatted(",\"stream\":true"))) {
            SimClient.readUntil(socket, "\n\n", 2);
        }
        long start = System.nanoTime();
        var next = client.post("/v1/completions", "{\"prompt\":\"Next\",\"max_tokens\":2}");

        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("not queued behind the abandoned stream")
                .isLessThan(Duration.ofSeconds(3));
    }

    private double aborts() {
        Matcher m = Pattern.compile("(?m)^vllm:request_success_total\\{engine=\"0\",finished_reason=\"abort\","
                        + "model_name=\"vgate-sim-llama-3-8b\"\\} (\\S+)$")
                .matcher(gaugeText());
        assertThat(m.find()).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private String gaugeText() {
        return client.get("/metrics").body();
    }
}
