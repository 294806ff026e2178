package io.vgate.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real Prometheus (Debian's binary, found by {@link PrometheusBinaries}) on a free loopback port, scraping
 * vgate's management port and vLLM's {@code /metrics} every second with the labels a pod's monitors give
 * (namespace, pod, container), optionally evaluating a rule file. Closing it stops the process and removes its
 * data.
 */
public final class PrometheusServer implements AutoCloseable {

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path workDir;
    private final Process process;
    private final URI uri;

    private PrometheusServer(Path workDir, Process process, URI uri) {
        this.workDir = workDir;
        this.process = process;
        this.uri = uri;
    }

    /**
     * Starts Prometheus scraping {@code vgate} (its management interface) and {@code vllm} as one pod's two
     * containers, and waits until it is ready.
     *
     * @param rules a rule file to evaluate every second, or {@code null}
     */
    public static PrometheusServer start(URI vgate, URI vllm, String namespace, String pod, Path rules)
            throws IOException {
        Path binary = PrometheusBinaries.prometheus();
        Path workDir = Files.createTempDirectory("vgate-prometheus-");
        int port = freeLoopbackPort();
        Files.writeString(workDir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                %s
                scrape_configs:
                  - job_name: vgate
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ['%s:%d']
                        labels: {namespace: %s, pod: %s, container: vgate}
                  - job_name: vllm
                    metrics_path: /metrics
                    static_configs:
                      - targets: ['%s:%d']
                        labels: {namespace: %s, pod: %s, container: vllm}
                """.formatted(
                        rules == null ? "" : "rule_files:\n  - " + rules.toAbsolutePath(),
                        vgate.getHost(),
                        vgate.getPort(),
                        namespace,
                        pod,
                        vllm.getHost(),
                        vllm.getPort(),
                        namespace,
                        pod));
        Process process = new ProcessBuilder(
                        binary.toString(),
                        "--config.file=" + workDir.resolve("prometheus.yml"),
                        "--storage.tsdb.path=" + workDir.resolve("data"),
                        "--web.listen-address=127.0.0.1:" + port,
                        "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("prometheus.log").toFile())
                .start();
        var server = new PrometheusServer(workDir, process, URI.create("http://127.0.0.1:" + port));
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(IOException.class)
                .until(() -> {
                    assertThat(process.isAlive()).as(server.log()).isTrue();
                    return server.get("/-/ready").statusCode() == 200;
                });
        return server;
    }

    /** The instant query API's answer to {@code promql}. */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        return Json.parse(get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))
                .body());
    }

    /** A GET of Prometheus's own HTTP API. */
    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(uri.resolve(path))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** What Prometheus logged, for assertion messages. */
    public String log() {
        try {
            return Files.readString(workDir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        }
    }

    private static int freeLoopbackPort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
