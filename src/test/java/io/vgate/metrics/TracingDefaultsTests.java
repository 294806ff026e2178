package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code quarkus.otel.sdk.disabled} as {@link TracingDefaults} derives it, on a real SmallRye Config. */
class TracingDefaultsTests {

    private static final int ENV_ORDINAL = 300;

    @Test
    void keepsTheSdkOffWithoutAnEndpoint() {
        assertThat(sdkDisabled(Map.of())).isTrue();
    }

    @Test
    void turnsTheSdkOnWhenAnEndpointIsSet() {
        assertThat(sdkDisabled(Map.of(TracingDefaults.ENDPOINT, "http://otel-collector:4317")))
                .isFalse();
        assertThat(sdkDisabled(Map.of(TracingDefaults.TRACES_ENDPOINT, "http://tempo:4318/v1/traces")))
                .isFalse();
    }

    @Test
    void ignoresABlankEndpoint() {
        assertThat(sdkDisabled(Map.of(TracingDefaults.ENDPOINT, " "))).isTrue();
    }

    @Test
    void anExplicitChoiceWins() {
        assertThat(sdkDisabled(Map.of(TracingDefaults.SDK_DISABLED, "false"))).isFalse();
        assertThat(sdkDisabled(Map.of(TracingDefaults.SDK_DISABLED, "true", TracingDefaults.ENDPOINT, "http://c:4317")))
                .isTrue();
    }

    @Test
    void readsEnvironmentStyleNames() {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withInterceptors(new TracingDefaults())
                .withDefaultValue(TracingDefaults.SDK_DISABLED, "false")
                .withSources(new io.smallrye.config.EnvConfigSource(
                        Map.of("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317"), ENV_ORDINAL))
                .build();

        assertThat(config.getValue(TracingDefaults.SDK_DISABLED, Boolean.class)).isFalse();
    }

    private static boolean sdkDisabled(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withInterceptors(new TracingDefaults())
                // Quarkus registers the mapping's own default, which must not count as a choice.
                .withDefaultValue(TracingDefaults.SDK_DISABLED, "false")
                .withSources(new PropertiesConfigSource(new HashMap<>(properties), "test", ENV_ORDINAL))
                .build();
        return config.getValue(TracingDefaults.SDK_DISABLED, Boolean.class);
    }
}
