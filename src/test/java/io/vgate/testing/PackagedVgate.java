package io.vgate.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A vgate process started from the packaged application ({@code target/quarkus-app}), as integration tests
 * run it after {@code package}: API and management ports picked free on 127.0.0.1, the environment given,
 * its output in a log file. {@link #awaitReady()} waits until its readiness check passes.
 */
public final class PackagedVgate implements AutoCloseable {

    /** The packaged application. */
    public static final Path APP =
            Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final Process process;
    private final URI base;
    private final URI management;
    private final Path log;

    private PackagedVgate(Process process, URI base, URI management, Path log) {
        this.process = process;
        this.base = base;
        this.management = management;
        this.log = log;
    }

    /** Starts vgate with {@code env} on free ports (the ports given in {@code env}, if any, win). */
    public static PackagedVgate start(Map<String, String> env, Path log) throws IOException {
        if (!Files.exists(APP)) {
            throw new AssertionError("run after package: " + APP + " does not exist");
        }
        Map<String, String> all = new HashMap<>();
        all.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        all.put("QUARKUS_HTTP_PORT", Integer.toString(RedisServer.freePort()));
        all.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        all.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(RedisServer.freePort()));
        all.putAll(env);
        String java = ProcessHandle.current().info().command().orElse("java");
        var builder = new ProcessBuilder(java, "-Xmx256m", "-jar", APP.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(all);
        return new PackagedVgate(
                builder.start(),
                URI.create("http://127.0.0.1:" + all.get("QUARKUS_HTTP_PORT")),
                URI.create("http://127.0.0.1:" + all.get("QUARKUS_MANAGEMENT_PORT")),
                log);
    }

    /** The API port's base URI. */
    public URI base() {
        return base;
    }

    /** The management interface's base URI (health, metrics). */
    public URI management() {
        return management;
    }

    /** The process, for tests of how it ends. */
    public Process process() {
        return process;
    }

    /** What the process logged so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Waits up to 90 s for {@code /q/health/ready} to answer 200; fails with the log if the process exits. */
    public PackagedVgate awaitReady() {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsInstanceOf(IOException.class)
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("vgate exited during start-up:\n" + log());
                    }
                    return HTTP.send(
                                            HttpRequest.newBuilder(management.resolve("/q/health/ready"))
                                                    .build(),
                                            BodyHandlers.discarding())
                                    .statusCode()
                            == 200;
                });
        return this;
    }

    /** Stops the process (SIGTERM, then SIGKILL after 15 s) and waits for it. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
