package io.vgate.responses;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vgate.security.SecuredFixture;
import io.vgate.testing.Json;
import io.vgate.testing.PackagedVgate;
import io.vgate.testing.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two packaged vgate replicas, each with its own simulator as its vLLM (whose stored responses live in that
 * process only), sharing one real {@code redis-server} as the response ledger: a follow-up that lands on the
 * other replica is forwarded to the one that holds the response; another tenant gets 404 on either replica,
 * from vgate, without reaching vLLM.
 */
class ResponseFollowUpIT {

    private static final Path DIR = Path.of("target", "response-follow-up-it").toAbsolutePath();
    private static final String KEY_A = "vgk-it-a-" + Long.toHexString(System.nanoTime());
    private static final String KEY_B = "vgk-it-b-" + Long.toHexString(System.nanoTime());
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private static RedisServer redis;
    private static final List<PackagedVgate> replicas = new ArrayList<>();

    @BeforeAll
    static void startRedisAndTwoReplicas() throws IOException {
        Files.createDirectories(DIR);
        Files.writeString(
                DIR.resolve("api-keys.yaml"),
                "- {id: a, tenant: team-a, hash: '" + SecuredFixture.hash(KEY_A) + "'}\n"
                        + "- {id: b, tenant: team-b, hash: '" + SecuredFixture.hash(KEY_B) + "'}\n");
        redis = RedisServer.start(DIR.resolve("redis"));
        for (int i = 0; i < 2; i++) {
            int port = RedisServer.freePort();
            Map<String, String> env = new HashMap<>(Map.of(
                    "VGATE_AUTH_KEYS_FILE", DIR.resolve("api-keys.yaml").toString(),
                    "QUARKUS_REDIS_HOSTS", redis.url(),
                    "VGATE_RESPONSES_STORE", "redis",
                    "VGATE_RESPONSES_REPLICA_SECRET", "it-replica-secret",
                    "VGATE_SIMULATOR_ENABLED", "true",
                    "VGATE_SIMULATOR_PORT", "0",
                    "VGATE_SIMULATOR_RESPONSES_STORE", "true"));
            env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
            // One replica names its whole address; the other only its host (as the manifests do, from the pod
            // IP) and vgate adds its own port.
            if (i == 0) {
                env.put("VGATE_RESPONSES_REPLICA_ADDRESS", "http://127.0.0.1:" + port);
            } else {
                env.put("VGATE_RESPONSES_REPLICA_HOST", "127.0.0.1");
            }
            replicas.add(PackagedVgate.start(env, DIR.resolve("replica-" + i + ".log")));
        }
        replicas.forEach(PackagedVgate::awaitReady);
    }

    @AfterAll
    static void stopEverything() {
        replicas.forEach(PackagedVgate::close);
        if (redis != null) {
            redis.stop();
        }
    }

    @Test
    void aStoredResponseIsFoundFromEitherReplicaByItsCreatorOnly() throws Exception {
        JsonNode created = Json.parse(
                send(0, KEY_A, "POST", "/v1/responses", "{\"input\":\"Remember: blue.\",\"max_output_tokens\":4}")
                        .body());
        String id = created.path("id").asText();
        assertThat(id).startsWith("resp_");

        HttpResponse<String> here = send(0, KEY_A, "GET", "/v1/responses/" + id, null);
        HttpResponse<String> there = send(1, KEY_A, "GET", "/v1/responses/" + id, null);
        assertThat(here.statusCode()).as(here.body()).isEqualTo(200);
        assertThat(there.statusCode())
                .as("forwarded to the replica that holds it: " + there.body())
                .isEqualTo(200);
        assertThat(Json.parse(there.body()).path("id").asText()).isEqualTo(id);

        JsonNode createdThere =
                Json.parse(send(1, KEY_A, "POST", "/v1/responses", "{\"input\":\"Red.\",\"max_output_tokens\":4}")
                        .body());
        HttpResponse<String> back =
                send(0, KEY_A, "GET", "/v1/responses/" + createdThere.path("id").asText(), null);
        assertThat(back.statusCode())
                .as("the other way, to the replica that named only its host: " + back.body())
                .isEqualTo(200);

        for (int replica = 0; replica < 2; replica++) {
            HttpResponse<String> other = send(replica, KEY_B, "GET", "/v1/responses/" + id, null);
            assertThat(other.statusCode())
                    .as("another tenant on replica %d", replica)
                    .isEqualTo(404);
            JsonNode error = Json.error(other.body());
            assertThat(error.path("message").asText()).isEqualTo("Response with id '" + id + "' not found.");
            assertThat(error.path("code").asText()).as("vgate's own 404").isEqualTo("response_not_found");
        }
    }

    @Test
    void aFollowUpOnTheOtherReplicaContinuesTheConversationWhereItIsStored() throws Exception {
        HttpResponse<String> first =
                send(0, KEY_A, "POST", "/v1/responses", "{\"input\":\"Hello\",\"max_output_tokens\":4}");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        String id = Json.parse(first.body()).path("id").asText();

        HttpResponse<String> followUp = send(
                1,
                KEY_A,
                "POST",
                "/v1/responses",
                "{\"input\":\"And then?\",\"previous_response_id\":\"" + id + "\",\"max_output_tokens\":4}");
        assertThat(followUp.statusCode()).as(followUp.body()).isEqualTo(200);
        String next = Json.parse(followUp.body()).path("id").asText();
        assertThat(next).isNotEqualTo(id);

        HttpResponse<String> stolen = send(
                1,
                KEY_B,
                "POST",
                "/v1/responses",
                "{\"input\":\"Tell me\",\"previous_response_id\":\"" + id + "\",\"max_output_tokens\":4}");
        assertThat(stolen.statusCode()).isEqualTo(404);
        assertThat(send(1, KEY_A, "GET", "/v1/responses/" + next, null).statusCode())
                .as("the follow-up's own response, from the other replica")
                .isEqualTo(200);
    }

    @Test
    void aForgedReplicaSignatureIsRefused() throws Exception {
        HttpResponse<String> forged = HTTP.send(
                HttpRequest.newBuilder(replicas.get(0).base().resolve("/v1/responses/resp_0000"))
                        .header(ReplicaSignature.HEADER, System.currentTimeMillis() + ".AAAA")
                        .header(ReplicaSignature.TENANT_HEADER, "team-a")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(401);
    }

    private static HttpResponse<String> send(int replica, String key, String method, String path, String body)
            throws IOException, InterruptedException {
        URI uri = replicas.get(replica).base().resolve(path);
        var builder =
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key);
        if (body == null) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }
}
