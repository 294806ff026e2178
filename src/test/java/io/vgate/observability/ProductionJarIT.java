package io.vgate.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.vgate.testing.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged application as it runs in production (prod profile, configured only through environment
 * variables, the embedded simulator standing in for vLLM), with its console output captured: every line
 * is a JSON object, the access log's facts are JSON fields, and tracing is off until an OTLP endpoint is
 * set, then on with the caller's trace id in the access log.
 */
class ProductionJarIT {

    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static final Pattern LISTENING = Pattern.compile("Listening on: http://[^:]+:(\\d+)");

    private static final String API_KEY = "sk-prod-" + UUID.randomUUID();

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> console = new CopyOnWriteArrayList<>();
    private Process app;

    @AfterEach
    void stop() throws InterruptedException {
        if (app != null) {
            app.destroy();
            app.waitFor();
        }
    }

    @Test
    void logsJsonLinesAndNoTraceWithoutACollector() throws Exception {
        URI base = start(Map.of());
        String requestId = "prod-" + UUID.randomUUID();
        assertThat(chat(base, requestId, null).statusCode()).isEqualTo(200);

        JsonNode access = awaitAccessLine(requestId);
        JsonNode fields = access.get("mdc");
        assertThat(access.get("level").asText()).isEqualTo("INFO");
        assertThat(fields.get("route").asText()).isEqualTo("chat");
        assertThat(fields.get("status").asText()).isEqualTo("200");
        assertThat(fields.get("outcome").asText()).isEqualTo("completed");
        assertThat(fields.get("completionTokens").asText()).isEqualTo("4");
        assertThat(fields.has("traceId"))
                .as("tracing stays off without an OTLP endpoint")
                .isFalse();
        assertThat(console)
                .isNotEmpty()
                .allSatisfy(
                        line -> assertThat(Json.parse(line).isObject()).as(line).isTrue());
        assertThat(String.join("\n", console))
                .doesNotContain("localhost:4317")
                .doesNotContain("Failed to export")
                .doesNotContain(API_KEY);
        assertThat(fields.get("keyId").asText()).isEqualTo("prod-it");
    }

    @Test
    void anOtlpEndpointAloneTurnsTracingOn() throws Exception {
        URI base = start(Map.of("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9"));
        String requestId = "prod-trace-" + UUID.randomUUID();
        String traceId = "5b8efff798038103d269b633813fc60c";
        assertThat(chat(base, requestId, "00-" + traceId + "-eee19b7ec3c1b174-01")
                        .statusCode())
                .isEqualTo(200);

        assertThat(awaitAccessLine(requestId).get("mdc").get("traceId").asText())
                .isEqualTo(traceId);
    }

    private URI start(Map<String, String> extraEnv) throws IOException {
        assertThat(JAR).as("the packaged application (run ./mvnw verify)").exists();
        String java = ProcessHandle.current().info().command().orElse("java");
        var builder = new ProcessBuilder(java, "-jar", JAR.toString()).redirectErrorStream(true);
        var env = builder.environment();
        env.put("VGATE_SIMULATOR_ENABLED", "true");
        env.put("VGATE_SIMULATOR_PORT", "0");
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", "0");
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", "0");
        // Production refuses to start without credentials: one API key, stored as its hash as in a Secret.
        env.put("VGATE_AUTH_KEYS_FILE", keysFile().toString());
        env.keySet().removeIf(key -> key.startsWith("QUARKUS_OTEL") || key.startsWith("OTEL_"));
        env.putAll(extraEnv);
        app = builder.start();
        Thread.ofPlatform().daemon().start(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (!line.isBlank()) {
                        console.add(line);
                    }
                }
            } catch (IOException ignored) {
                // The process ended.
            }
        });
        int port = await().atMost(Duration.ofSeconds(60))
                .until(
                        () -> {
                            assertThat(app.isAlive())
                                    .as(String.join("\n", console))
                                    .isTrue();
                            for (String line : console) {
                                Matcher matcher = LISTENING.matcher(line);
                                if (matcher.find()) {
                                    return Integer.parseInt(matcher.group(1));
                                }
                            }
                            return 0;
                        },
                        p -> p > 0);
        return URI.create("http://127.0.0.1:" + port);
    }

    private static Path keysFile() throws IOException {
        Path file = Files.createTempFile("vgate-keys", ".yaml");
        file.toFile().deleteOnExit();
        String hash = HexFormat.of().formatHex(sha256(API_KEY));
        Files.writeString(file, "- id: prod-it\n  tenant: it\n  hash: \"sha256:" + hash + "\"\n");
        return file;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> chat(URI base, String requestId, String traceparent) throws Exception {
        var request = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .header("Authorization", "Bearer " + API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(Json.chat("Log me.", false, Map.of("max_tokens", 4))));
        if (traceparent != null) {
            request.header("traceparent", traceparent);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode awaitAccessLine(String requestId) {
        return await().atMost(Duration.ofSeconds(20))
                .until(
                        () -> {
                            List<JsonNode> found = new ArrayList<>();
                            for (String line : console) {
                                if (line.contains(requestId) && line.contains("\"io.vgate.access\"")) {
                                    found.add(Json.parse(line));
                                }
                            }
                            assertThat(found)
                                    .as("access lines for " + requestId)
                                    .hasSizeLessThanOrEqualTo(1);
                            return found.isEmpty() ? null : found.getFirst();
                        },
                        line -> line != null);
    }
}
