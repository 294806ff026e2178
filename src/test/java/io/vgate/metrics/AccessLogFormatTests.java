package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.SmallRyeConfigBuilder;
import io.vgate.metrics.MetricsConfig.AccessLogFormat;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

class AccessLogFormatTests {

    @Test
    void writesMillisecondsWithThreeDecimals() {
        assertThat(AccessLog.millis(1_234_567_891L)).isEqualTo("1234.567");
        assertThat(AccessLog.millis(5_000L)).isEqualTo("0.005");
        assertThat(AccessLog.millis(70_000L)).isEqualTo("0.070");
        assertThat(AccessLog.millis(0)).isEqualTo("0.000");
        assertThat(AccessLog.millis(-5)).isEqualTo("0.000");
    }

    @Test
    void clipsAndNeutralisesClientText() {
        assertThat(AccessLog.clip(null)).isNull();
        assertThat(AccessLog.clip("llama-3")).isEqualTo("llama-3");
        assertThat(AccessLog.clip("a\r\nb\tc\u007f")).isEqualTo("a??b?c?");
        assertThat(AccessLog.clip("x".repeat(300))).hasSize(AccessLog.MAX_CLIENT_TEXT);
    }

    @Test
    void writesJsonItselfOnlyWhenTheConsolePrintsJsonAndInfo() {
        assertThat(AccessLog.destination(AccessLogFormat.AUTO, config(Map.of())))
                .as("production defaults: console on, JSON")
                .isInstanceOf(JsonAccessLines.class);
        assertThat(AccessLog.destination(
                        AccessLogFormat.AUTO, config(Map.of("quarkus.log.console.json.enabled", "false"))))
                .isInstanceOf(LoggedAccessLines.class);
        assertThat(AccessLog.destination(AccessLogFormat.AUTO, config(Map.of("quarkus.log.console.enabled", "false"))))
                .isInstanceOf(LoggedAccessLines.class);
        assertThat(AccessLog.destination(AccessLogFormat.AUTO, config(Map.of("quarkus.log.console.level", "WARN"))))
                .as("a console that hides INFO keeps hiding access lines")
                .isInstanceOf(LoggedAccessLines.class);
        assertThat(AccessLog.destination(AccessLogFormat.AUTO, config(Map.of("quarkus.log.console.level", "DEBUG"))))
                .isInstanceOf(JsonAccessLines.class);
        assertThat(AccessLog.destination(AccessLogFormat.LOG, config(Map.of()))).isInstanceOf(LoggedAccessLines.class);
        assertThat(AccessLog.destination(
                        AccessLogFormat.JSON, config(Map.of("quarkus.log.console.json.enabled", "false"))))
                .isInstanceOf(JsonAccessLines.class);
    }

    private static Config config(Map<String, String> values) {
        return new SmallRyeConfigBuilder().withDefaultValues(values).build();
    }
}
