package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

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
}
