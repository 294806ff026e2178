package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SimEngineTests {

    @Test
    void scalesLatencyLinearlyFromOneToTheFactorAsTheBatchFills() {
        assertThat(SimEngine.loadFactor(0, 5, 3.0)).isEqualTo(1.0);
        assertThat(SimEngine.loadFactor(1, 5, 3.0)).isEqualTo(1.0);
        assertThat(SimEngine.loadFactor(3, 5, 3.0)).isCloseTo(2.0, within(1e-9));
        assertThat(SimEngine.loadFactor(5, 5, 3.0)).isCloseTo(3.0, within(1e-9));
        assertThat(SimEngine.loadFactor(9, 5, 3.0)).as("capped at a full batch").isCloseTo(3.0, within(1e-9));
        assertThat(SimEngine.loadFactor(5, 5, 1.0)).isEqualTo(1.0);
    }

    @Test
    void sizesTheKvCacheInBlocksOfSixteen() {
        TestConfig config = new TestConfig();
        config.kvCacheTokens = 100;

        assertThat(new SimEngine(new SimSettings(config)).totalBlocks()).isEqualTo(7);
        assertThat(SimEngine.blocksFor(16)).isEqualTo(1);
        assertThat(SimEngine.blocksFor(17)).isEqualTo(2);
    }

    @Test
    void buildsOneTwoFiveBucketsUpToTheContextLength() {
        assertThat(SimMetrics.oneTwoFiveBuckets(4096)).containsExactly(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000);
    }

    @Test
    void formatsFloatsLikePrometheusClient() {
        assertThat(SimMetrics.goFloat(1.0)).isEqualTo("1.0");
        assertThat(SimMetrics.goFloat(0.001)).isEqualTo("0.001");
        assertThat(SimMetrics.goFloat(1.7954346551234e9)).isEqualTo("1.7954346551234e+09");
        assertThat(SimMetrics.goFloat(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
        assertThat(Json.pyFloat(1e-05)).isEqualTo("1e-05");
        assertThat(Json.pyFloat(0.00012345)).isEqualTo("0.00012345");
        assertThat(Json.pyFloat(-2.5)).isEqualTo("-2.5");
        assertThat(Json.pyFloat(1e16)).isEqualTo("1e+16");
    }
}
