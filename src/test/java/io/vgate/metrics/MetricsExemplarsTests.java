package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.client.exemplars.ExemplarSampler;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetricsExemplarsTests {

    @Test
    void theRegistryGetsNoSamplerWhileTheTracingSdkIsOff() {
        assertThat(sampler(Map.of(TracingDefaults.SDK_DISABLED, "true"))).isEmpty();
    }

    @Test
    void theRegistryGetsQuarkusSamplerWhileTracingIsOn() {
        assertThat(sampler(Map.of(TracingDefaults.SDK_DISABLED, "false"))).isPresent();
    }

    @Test
    void tracingCountsAsOnUnlessTheSdkIsSaidToBeOff() {
        assertThat(sampler(Map.of())).isPresent();
    }

    private static Optional<ExemplarSampler> sampler(Map<String, String> properties) {
        var config = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "test", 300))
                .build();
        return new MetricsExemplars().exemplarSampler(config);
    }
}
