package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code --api-key}: Bearer only, on {@code /v1} and {@code /v2} paths; vLLM's other routes stay open. */
@QuarkusTest
class ApiKeyTests extends SimSuite {

    private static final String UNAUTHORIZED = "{\"error\":\"Unauthorized\"}";
    private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}";

    @BeforeEach
    void requireKeys() {
        sim.settings().serving().apiKeys(List.of("sk-one", "sk-two"));
    }

    @Test
    void refusesGuardedRoutesWithoutTheKey() {
        for (String path : List.of("/v1/chat/completions", "/v1/embeddings", "/v1/rerank", "/v2/rerank", "/v1/score")) {
            HttpResponse<String> response = client.post(path, CHAT);
            assertThat(response.statusCode()).as(path).isEqualTo(401);
            assertThat(response.body()).as(path).isEqualTo(UNAUTHORIZED);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        }
        HttpResponse<String> models = client.get("/v1/models");
        assertThat(models.statusCode()).isEqualTo(401);
        assertThat(client.post("/v1/no-such-route", "{}").statusCode())
                .as("the middleware runs before routing")
                .isEqualTo(401);
    }

    @Test
    void acceptsAnyConfiguredKeyAsBearerOnly() {
        HttpResponse<String> second = client.post(
                "/v1/chat/completions", CHAT, "content-type", "application/json", "Authorization", "Bearer sk-two");
        HttpResponse<String> wrong = client.post(
                "/v1/chat/completions", CHAT, "content-type", "application/json", "Authorization", "Bearer sk-three");
        HttpResponse<String> xApiKey =
                client.post("/v1/chat/completions", CHAT, "content-type", "application/json", "x-api-key", "sk-one");
        HttpResponse<String> noScheme = client.post(
                "/v1/chat/completions", CHAT, "content-type", "application/json", "Authorization", "sk-one");

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(wrong.body()).isEqualTo(UNAUTHORIZED);
        assertThat(xApiKey.statusCode()).isEqualTo(401);
        assertThat(noScheme.statusCode()).isEqualTo(401);
    }

    @Test
    void leavesVllmsOpenRoutesOpen() throws Exception {
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
        assertThat(client.get("/metrics").statusCode()).isEqualTo(200);
        assertThat(client.get("/version").statusCode()).isEqualTo(200);
        assertThat(client.get("/load").statusCode()).isEqualTo(200);
        assertThat(client.post("/tokenize", "{\"prompt\":\"Hi\"}").statusCode()).isEqualTo(200);
        assertThat(client.post("/rerank", "{\"query\":\"a\",\"documents\":[\"b\"]}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(client.post("/score", "{\"queries\":\"a\",\"documents\":[\"b\"]}")
                        .statusCode())
                .isEqualTo(200);
        HttpResponse<String> options = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(sim.baseUri() + "/v1/models"))
                                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(options.statusCode()).as("OPTIONS is never checked").isNotEqualTo(401);
    }

    @Test
    void isASettingOverHttpAndResetsToNone() {
        client.post("/sim/settings", "{\"serving\":{\"api-key\":[\"k-http\"]}}");

        assertThat(client.get("/v1/models").statusCode()).isEqualTo(401);
        assertThat(client.post(
                                "/v1/completions",
                                "{\"prompt\":\"Hi\",\"max_tokens\":1}",
                                "content-type",
                                "application/json",
                                "Authorization",
                                "Bearer k-http")
                        .statusCode())
                .isEqualTo(200);
        sim.settings().reset();
        assertThat(client.get("/v1/models").statusCode()).isEqualTo(200);
    }
}
