package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * On Linux, where the sidecar runs, Vert.x serves and proxies on Netty's native epoll transport, which costs less CPU
 * per relayed request than Java NIO: the dependency is on the class path for the machine's architecture and the
 * configuration asks for it.
 */
@QuarkusTest
class NativeTransportTests {

    @Inject
    Vertx vertx;

    @Test
    void vertxRunsOnTheNativeTransportOnLinux() {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux"), "native transport: Linux");

        assertThat(vertx.isNativeTransportEnabled())
                .as("Vert.x on epoll (netty-transport-native-epoll, quarkus.vertx.prefer-native-transport)")
                .isTrue();
    }
}
