package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/**
 * With {@code vgate.simulator.enabled=false} (production's default) the simulator creates nothing: its bean is never
 * instantiated, so no engine, metrics registry, Vert.x instance, threads or server exist, and no address is
 * published. {@link SimulatorAddressTests} shows the same checks see a running simulator.
 */
@QuarkusTest
@TestProfile(SimulatorOffTests.Off.class)
class SimulatorOffTests {

    /** The simulator off, and vLLM somewhere else (a free loopback port nobody listens on). */
    public static class Off implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("vgate.simulator.enabled", "false", "vgate.upstream.url", "http://127.0.0.1:" + freePort());
        }

        @Override
        public String getConfigProfile() {
            return "test";
        }
    }

    @Inject
    BeanManager beans;

    @Inject
    Config config;

    @Test
    void noSimulatorIsCreated() {
        Bean<?> bean = beans.resolve(beans.getBeans(VllmSimulator.class));

        assertThat(beans.getContext(ApplicationScoped.class).get(bean)).isNull();
    }

    @Test
    void noAddressIsPublished() {
        assertThat(config.getOptionalValue(SimulatorAddress.URL, String.class)).isEmpty();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
