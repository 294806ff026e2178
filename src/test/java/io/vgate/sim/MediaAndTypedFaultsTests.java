package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Images and audio in chat messages, and errors injected by type. */
@QuarkusTest
class MediaAndTypedFaultsTests extends SimSuite {

    static final String IMAGE = "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is this?\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}},"
            + "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklGRg==\",\"format\":\"wav\"}}]}";

    @BeforeEach
    void setUp() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    @Test
    void countsEachMediaItemAsPromptTokens() {
        JsonNode text = SimClient.parse(client.post(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"What is this?\"}],\"max_tokens\":1}")
                .body());
        JsonNode media =
                SimClient.parse(client.post("/v1/chat/completions", "{\"messages\":[" + IMAGE + "],\"max_tokens\":1}")
                        .body());

        assertThat(media.at("/usage/prompt_tokens").asInt()
                        - text.at("/usage/prompt_tokens").asInt())
                .isEqualTo(MediaParts.TOKENS_PER_IMAGE + MediaParts.TOKENS_PER_AUDIO);
    }

    @Test
    void aTextOnlyModelRefusesMedia() {
        sim.settings().multimodal(false);

        HttpResponse<String> response =
                client.post("/v1/chat/completions", "{\"messages\":[" + IMAGE + "],\"max_tokens\":1}");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = SimClient.parse(response.body()).get("error");
        assertThat(error.get("message").asText()).isEqualTo("vgate-sim-llama-3-8b is not a multimodal model");
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
    }

    @ParameterizedTest
    @CsvSource({
        "rate_limit,429,RateLimitError",
        "context_length,400,BadRequestError",
        "server_error,500,InternalServerError",
        "invalid_request,400,BadRequestError",
        "model_not_found,404,NotFoundError"
    })
    void injectsTypedErrorsWithVllmsStatusAndBody(String type, int status, String errorType) {
        sim.settings().faults().errorRate(1).errorTypes(List.of(type));

        HttpResponse<String> response = client.post(
                "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}");

        assertThat(response.statusCode()).isEqualTo(status);
        JsonNode error = SimClient.parse(response.body()).get("error");
        assertThat(SimClient.fieldNames(error)).containsExactly("message", "type", "param", "code");
        assertThat(error.get("type").asText()).isEqualTo(errorType);
        assertThat(error.get("code").asInt()).isEqualTo(status);
    }

    @Test
    void anInvalidKeyFaultAnswersVllmsPlainUnauthorized() {
        sim.settings().faults().errorRate(1).errorTypes(List.of("invalid_api_key"));

        HttpResponse<String> response = client.post(
                "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).isEqualTo("{\"error\":\"Unauthorized\"}");
    }

    @Test
    void latencySpreadVariesTheTimeToFirstToken() {
        sim.settings().timeToFirstToken(Duration.ofMillis(40)).timeToFirstTokenStdDev(Duration.ofMillis(30));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 8; i++) {
            long start = System.nanoTime();
            client.post(
                    "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}");
            long took = System.nanoTime() - start;
            min = Math.min(min, took);
            max = Math.max(max, took);
        }
        assertThat(Duration.ofNanos(max - min)).isGreaterThan(Duration.ofMillis(15));
    }
}
