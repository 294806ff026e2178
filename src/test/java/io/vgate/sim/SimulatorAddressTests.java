package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.inject.Inject;
import java.net.URI;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

/** An enabled simulator (the test profile's) runs as a bean of the application and publishes its address. */
@QuarkusTest
class SimulatorAddressTests {

    @Inject
    BeanManager beans;

    @Inject
    Config config;

    @Test
    void theRunningSimulatorIsABeanOfTheApplication() {
        Bean<?> bean = beans.resolve(beans.getBeans(VllmSimulator.class));

        assertThat(beans.getContext(ApplicationScoped.class).get(bean)).isNotNull();
    }

    @Test
    void publishesItsBaseUriOnAFreePort() {
        Bean<?> bean = beans.resolve(beans.getBeans(VllmSimulator.class));
        VllmSimulator sim =
                (VllmSimulator) beans.getContext(ApplicationScoped.class).get(bean);
        URI published = config.getValue(SimulatorAddress.URL, URI.class);

        assertThat(published).isEqualTo(sim.baseUri());
        assertThat(published.getPort()).isPositive().isNotEqualTo(8000);
    }
}
