package io.vgate.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/**
 * With no {@code vgate.upstream.url} of its own (the test profile sets none), vgate's upstream is the address the
 * embedded simulator published as configuration: the gateway knows the simulator only as an HTTP address.
 */
@QuarkusTest
class UpstreamTargetTests {

    @Inject
    UpstreamTarget target;

    @Inject
    Config config;

    @Test
    void upstreamIsTheAddressTheSimulatorPublished() {
        URI published = config.getValue("vgate.simulator.url", URI.class);

        assertThat(target.baseUri()).isEqualTo(published);
        assertThat(target.host()).isEqualTo("127.0.0.1");
        assertThat(target.port()).isEqualTo(published.getPort());
    }
}
