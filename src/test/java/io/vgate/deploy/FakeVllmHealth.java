package io.vgate.deploy;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Stands in for the vLLM container's {@code /health} on a free loopback port and points vgate at it
 * the way the Deployment does ({@code vgate.upstream.url}, env VGATE_UPSTREAM_URL). The status it
 * answers is switched by the test.
 */
public class FakeVllmHealth implements QuarkusTestResourceLifecycleManager {

    static volatile int status = 200;

    /**
     * The packaged application's management port (health and metrics): a free one, chosen here because a
     * {@code @QuarkusIntegrationTest} does not pass the test profile's random management port on.
     */
    static volatile int managementPort;

    private HttpServer server;

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            managementPort = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Probes are open whatever the credentials; the prod profile only insists that some are configured.
        return Map.of(
                "vgate.upstream.url",
                "http://127.0.0.1:" + server.getAddress().getPort(),
                "vgate.auth.enabled",
                "false",
                "quarkus.management.host",
                "127.0.0.1",
                "quarkus.management.port",
                Integer.toString(managementPort));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
