package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Simulators started by hand with configurations the application profile does not use. */
class StandaloneSimulatorTests {

    private VllmSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.stop();
        }
    }

    @Test
    void knowsItsPortAtOnceButListensOnlyAfterTheStartupDelay() {
        TestConfig config = new TestConfig();
        config.startupDelay = Duration.ofMillis(600);
        sim = new VllmSimulator(config);

        long start = System.nanoTime();
        sim.start();
        SimClient client = new SimClient(sim.baseUri());

        assertThat(sim.baseUri().getPort()).isPositive();
        assertThatThrownBy(() -> client.get("/health")).hasCauseInstanceOf(ConnectException.class);
        await().atMost(Duration.ofSeconds(5))
                .ignoreException(UncheckedIOException.class)
                .until(() -> client.get("/health").statusCode() == 200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
    }

    @Test
    void startsRefusingWhenConfiguredTo() {
        TestConfig config = new TestConfig();
        config.refuseConnections = true;
        sim = new VllmSimulator(config);
        sim.start();
        SimClient client = new SimClient(sim.baseUri());

        assertThatThrownBy(() -> client.get("/health")).hasCauseInstanceOf(ConnectException.class);

        sim.settings().faults().refuseConnections(false);
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void servesEveryAliasButAnswersWithTheFirstServedName() {
        TestConfig config = new TestConfig();
        config.servedModelNames = Optional.of(List.of("main-name", "alias"));
        sim = new VllmSimulator(config);
        sim.start();
        SimClient client = new SimClient(sim.baseUri());

        JsonNode models = SimClient.parse(client.get("/v1/models").body());
        JsonNode answer = client.postJson(
                "/v1/chat/completions",
                "{\"model\":\"alias\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}");
        String metrics = client.get("/metrics").body();

        assertThat(models.get("data"))
                .extracting(card -> card.get("id").asText())
                .containsExactly("main-name", "alias");
        assertThat(models.get("data"))
                .allSatisfy(card -> assertThat(card.get("root").asText()).isEqualTo("/models/test-model"));
        assertThat(answer.get("model").asText()).isEqualTo("main-name");
        assertThat(metrics).contains("model_name=\"main-name\"").doesNotContain("model_name=\"alias\"");
        assertThat(client.post(
                                "/v1/chat/completions",
                                "{\"model\":\"/models/test-model\","
                                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void releasesItsPortWhenStopped() {
        sim = new VllmSimulator(new TestConfig());
        sim.start();
        SimClient client = new SimClient(sim.baseUri());
        assertThat(client.get("/health").statusCode()).isEqualTo(200);

        sim.stop();

        assertThatThrownBy(() -> client.get("/health")).hasCauseInstanceOf(ConnectException.class);
    }
}
