package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class FaultsTests extends SimSuite {

    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8%s}";

    @Test
    void answersEveryGenerateRequestWithTheInjectedStatusAtFullErrorRate() {
        sim.settings().faults().errorRate(1.0).errorStatus(503);

        HttpResponse<String> chat = client.post("/v1/chat/completions", CHAT.formatted(""));
        HttpResponse<String> stream = client.post("/v1/chat/completions", CHAT.formatted(",\"stream\":true"));
        HttpResponse<String> completion = client.post("/v1/completions", "{\"prompt\":\"Hi\"}");
        HttpResponse<String> models = client.get("/v1/models");

        for (HttpResponse<String> response : List.of(chat, stream, completion)) {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
            JsonNode error = SimClient.parse(response.body()).get("error");
            assertThat(error.get("type").asText()).isEqualTo("InternalServerError");
            assertThat(error.get("code").asInt()).isEqualTo(503);
        }
        assertThat(models.statusCode()).isEqualTo(200);
    }

    @Test
    void failsAboutTheConfiguredFractionOfRequests() {
        sim.settings().faults().errorRate(0.5);

        long failures = 0;
        for (int i = 0; i < 100; i++) {
            if (client.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":1}")
                            .statusCode()
                    == 500) {
                failures++;
            }
        }

        assertThat(failures).isBetween(20L, 80L);
    }

    @Test
    void delaysTheFirstTokenWhenAsked() {
        sim.settings().faults().slowFirstToken(Duration.ofMillis(400));

        Duration slow = client.timeToFirstEvent("/v1/chat/completions", CHAT.formatted(",\"stream\":true"));

        assertThat(slow).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }

    private boolean refused() {
        try (Socket socket = new Socket(sim.baseUri().getHost(), sim.baseUri().getPort())) {
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }

    @Test
    void resetsTheConnectionAfterTheConfiguredNumberOfEvents() throws Exception {
        sim.settings().faults().resetAfterEvents(3);
        long aborted = sim.aborted();

        String received;
        try (Socket socket = client.openRaw("/v1/chat/completions", CHAT.formatted(",\"stream\":true"))) {
            received = SimClient.readToEnd(socket);
        }

        assertThat(received).startsWith("HTTP/1.1 200 OK");
        assertThat(received.split("data: ", -1)).hasSize(1 + 3);
        assertThat(received).doesNotContain("[DONE]").doesNotEndWith("0\r\n\r\n");
        await().atMost(Duration.ofSeconds(2)).until(() -> sim.aborted() == aborted + 1 && sim.running() == 0);
    }

    @Test
    void closesNonStreamingRequestsWithoutAnswerWhenResettingAtZero() throws Exception {
        sim.settings().faults().resetAfterEvents(0);

        String received;
        try (Socket socket = client.openRaw("/v1/chat/completions", CHAT.formatted(""))) {
            received = SimClient.readToEnd(socket);
        }

        assertThat(received).isEmpty();
    }

    @Test
    void endsAStreamWithVllmsInStreamErrorAfterTheConfiguredEvents() {
        sim.settings().faults().errorAfterEvents(2);

        HttpResponse<String> response = client.post("/v1/chat/completions", CHAT.formatted(",\"stream\":true"));

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> events = SimClient.events(response.body());
        assertThat(events).hasSize(4);
        assertThat(events.get(2))
                .startsWith("{\"error\":{\"message\":")
                .endsWith("\"type\":\"InternalServerError\",\"param\":null,\"code\":500}}");
        assertThat(events.get(3)).isEqualTo("[DONE]");
    }

    @Test
    void refusesConnectionsForAWhileWhenAskedOverHttp() {
        HttpResponse<String> response =
                client.post("/sim/settings", "{\"faults\":{\"refuse-connections-for\":\"500ms\"}}");

        assertThat(response.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(2)).until(() -> refused());
        await().atMost(Duration.ofSeconds(5)).until(() -> !refused());
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
        assertThat(sim.settings().faults().refuseConnections()).isFalse();
    }

    @Test
    void refusesConnectionsOnTheSamePortUntilToldOtherwise() {
        sim.settings().faults().refuseConnections(true);

        assertThatThrownBy(
                        () -> new Socket(sim.baseUri().getHost(), sim.baseUri().getPort()).close())
                .isInstanceOf(ConnectException.class);

        sim.settings().faults().refuseConnections(false);
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
    }
}
