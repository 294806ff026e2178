package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vgate.testing.LogCapture;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One line per client address and reason per interval, then a count; never unbounded memory. */
class RejectionLogThrottleTests {

    private static final Duration INTERVAL = Duration.ofHours(1);

    private final Vertx vertx = Vertx.vertx();
    private final AtomicLong now = new AtomicLong();
    private final RejectionLogThrottle throttle = new RejectionLogThrottle(config(INTERVAL), vertx, now::get);

    @AfterEach
    void closeVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void logsTheFirstRejectionOfEachClientAndReasonThenCounts() {
        long admitted = IntStream.range(0, 10_000)
                .filter(i -> throttle.admit("198.18.0.1", "rate_limit_exceeded"))
                .count();

        assertThat(admitted).isEqualTo(1);
        assertThat(throttle.admit("198.18.0.1", "invalid_api_key"))
                .as("another reason")
                .isTrue();
        assertThat(throttle.admit("198.18.0.2", "rate_limit_exceeded"))
                .as("another client")
                .isTrue();
        assertThat(throttle.admit("198.18.0.2", "rate_limit_exceeded")).isFalse();
    }

    @Test
    void sumsUpWhatItLeftOutInOneLineAndLogsAPairAgainOnceItsOwnIntervalHasPassed() {
        for (int i = 0; i < 500; i++) {
            throttle.admit("198.18.0.1", "rate_limit_exceeded");
        }
        throttle.admit("198.18.0.9", "invalid_api_key");
        throttle.admit("198.18.0.9", "invalid_api_key");

        try (LogCapture log = LogCapture.start()) {
            throttle.flush();
            throttle.flush();

            assertThat(log.lines()).hasSize(1);
            assertThat(log.lines().getFirst())
                    .contains("Left out 500 rejection log lines")
                    .contains("198.18.0.1/rate_limit_exceeded=499")
                    .contains("198.18.0.9/invalid_api_key=1");
        }
        now.addAndGet(INTERVAL.toNanos() - 1);
        assertThat(throttle.admit("198.18.0.1", "rate_limit_exceeded"))
                .as("still within the pair's interval")
                .isFalse();
        now.addAndGet(1);
        assertThat(throttle.admit("198.18.0.1", "rate_limit_exceeded"))
                .as("the pair's next interval logs its first line again")
                .isTrue();
    }

    @Test
    void aFloodThatStraddlesTheSummaryTimerStillWritesOneLine() {
        assertThat(throttle.admit("198.18.0.3", "invalid_api_key")).isTrue();
        now.addAndGet(Duration.ofSeconds(1).toNanos());

        throttle.flush(); // the periodic summary fires in the middle of the flood

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(throttle.admit("198.18.0.3", "invalid_api_key"))
                .as("the same flood, after the summary")
                .isFalse();
    }

    @Test
    void forgetsAPairAtTheFirstSummaryAfterItsIntervalEnded() {
        for (int i = 0; i < RejectionLogThrottle.MAX_KEYS; i++) {
            throttle.admit("client-" + i, "invalid_api_key");
        }
        assertThat(throttle.admit("late-client", "invalid_api_key"))
                .as("over the bound")
                .isFalse();

        now.addAndGet(INTERVAL.toNanos());
        throttle.flush();

        assertThat(throttle.admit("late-client", "invalid_api_key"))
                .as("room again once the old pairs are forgotten")
                .isTrue();
    }

    @Test
    void tracksABoundedNumberOfClients() {
        for (int i = 0; i < RejectionLogThrottle.MAX_KEYS + 500; i++) {
            throttle.admit("client-" + i, "invalid_api_key");
        }

        try (LogCapture log = LogCapture.start()) {
            throttle.flush();
            assertThat(log.lines()).singleElement().asString().contains("500 from other clients");
        }
    }

    private static MetricsConfig config(Duration interval) {
        return new TestMetricsConfig(true, 8192, MetricsConfig.AccessLogFormat.LOG, interval);
    }
}
