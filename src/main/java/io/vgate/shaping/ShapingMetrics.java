package io.vgate.shaping;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vgate.metrics.MetricNames;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;

/**
 * Request shaping's meters, as Prometheus sees them:
 * <ul>
 * <li>{@code vgate_queue_depth{priority}}: requests waiting in vgate's admission queue. KEDA scales on
 * {@code sum(vgate_queue_depth)} plus vLLM's {@code vllm:num_requests_waiting}.</li>
 * <li>{@code vgate_in_flight_requests}: requests admitted and not yet finished.</li>
 * <li>{@code vgate_queue_wait_seconds{priority,outcome}}: histogram of the time from arrival to admission
 * ({@code outcome=admitted}, 0 when a slot was free) or to leaving the queue otherwise
 * ({@code timed_out}, {@code shed}, {@code abandoned}, {@code shutting_down}).</li>
 * <li>{@code vgate_context_adjustments_total{model,action}}: requests changed by context fitting,
 * {@code action=clamped|trimmed}.</li>
 * </ul>
 */
@Singleton
public class ShapingMetrics {

    /** How a stay in the queue ended. */
    enum Outcome {
        ADMITTED("admitted"),
        TIMED_OUT("timed_out"),
        SHED("shed"),
        ABANDONED("abandoned"),
        SHUTTING_DOWN("shutting_down");

        final String tag;

        Outcome(String tag) {
            this.tag = tag;
        }
    }

    /** Histogram buckets of the queue wait: from "a slot was free" to "waited the longest allowed". */
    private static final Duration[] WAIT_BUCKETS = Stream.of(
                    "PT0.001S",
                    "PT0.005S",
                    "PT0.025S",
                    "PT0.1S",
                    "PT0.25S",
                    "PT0.5S",
                    "PT1S",
                    "PT2.5S",
                    "PT5S",
                    "PT10S",
                    "PT30S",
                    "PT60S",
                    "PT120S",
                    "PT300S")
            .map(Duration::parse)
            .toArray(Duration[]::new);

    private final MeterRegistry registry;
    private final Map<String, Counter> adjustments = new ConcurrentHashMap<>();
    private Timer[][] queueWait;

    public ShapingMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the admission meters; called once by {@link Admission}. */
    void registerAdmission(PriorityClasses classes, IntSupplier inFlight, IntUnaryOperator queued) {
        Gauge.builder(MetricNames.IN_FLIGHT_REQUESTS, inFlight::getAsInt)
                .description("Requests vgate has admitted to vLLM and not yet finished")
                .register(registry);
        queueWait = new Timer[classes.count()][Outcome.values().length];
        for (int rank = 0; rank < classes.count(); rank++) {
            int r = rank;
            Gauge.builder(MetricNames.QUEUE_DEPTH, () -> queued.applyAsInt(r))
                    .description("Requests waiting in vgate's admission queue; sum over priority for the total")
                    .tag(MetricNames.PRIORITY, classes.name(rank))
                    .register(registry);
            for (Outcome outcome : Outcome.values()) {
                queueWait[rank][outcome.ordinal()] = Timer.builder(MetricNames.QUEUE_WAIT)
                        .description("Time requests spent in vgate's admission queue")
                        .tag(MetricNames.PRIORITY, classes.name(rank))
                        .tag(MetricNames.OUTCOME, outcome.tag)
                        .serviceLevelObjectives(WAIT_BUCKETS)
                        .register(registry);
            }
        }
    }

    void queueWait(int rank, Outcome outcome, long nanos) {
        queueWait[rank][outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    void contextAdjusted(String model, String action) {
        adjustments
                .computeIfAbsent(
                        model + '\u0000' + action,
                        key -> Counter.builder(MetricNames.CONTEXT_ADJUSTMENTS)
                                .description("Requests changed by context fitting")
                                .tag(MetricNames.MODEL, model)
                                .tag(MetricNames.ACTION, action)
                                .register(registry))
                .increment();
    }
}
