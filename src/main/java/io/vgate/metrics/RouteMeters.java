package io.vgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vgate.api.ApiRoute;
import io.vgate.streaming.RelayOutcome;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** The meters of one (model, route) pair; label combinations below it are created on first use. */
final class RouteMeters {
    private final MeterRegistry registry;
    private final Tags tags;
    private final AtomicReferenceArray<Timer> durations =
            new AtomicReferenceArray<>(2 * GatewayMetrics.STATUS_CLASSES.length);
    private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> finishReasons = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<GatewayMetrics.RejectionKey, Counter> rejections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> upstreamErrors = new ConcurrentHashMap<>();
    private final Counter disconnectedWaiting;
    private final Counter disconnectedStreaming;
    private final Timer ttft;
    private final Timer tpot;
    private final Timer maxGap;
    private final DistributionSummary[] tokensPerSecond;
    private final DistributionSummary[] tokenUsage;

    /** Generation meters exist only on routes that generate, token meters only on routes that use the model. */
    RouteMeters(MeterRegistry registry, String model, ApiRoute route) {
        this.registry = registry;
        this.tags = Tags.of(MetricNames.ROUTE, GatewayMetrics.routeLabel(route), MetricNames.MODEL, model);
        this.disconnectedWaiting = disconnects("waiting");
        this.disconnectedStreaming = disconnects("streaming");
        boolean generates = route != null && route.generates();
        this.ttft = generates
                ? Timer.builder(MetricNames.TIME_TO_FIRST_TOKEN)
                        .description("Time to the first streamed token, measured at the gateway.")
                        .tags(tags)
                        .serviceLevelObjectives(GatewayMetrics.seconds(GatewayMetrics.TTFT_BUCKETS))
                        .register(registry)
                : null;
        this.tpot = generates
                ? Timer.builder(MetricNames.TIME_PER_OUTPUT_TOKEN)
                        .description("Mean time per output token after the first, per stream.")
                        .tags(tags)
                        .serviceLevelObjectives(GatewayMetrics.seconds(GatewayMetrics.TPOT_BUCKETS))
                        .register(registry)
                : null;
        this.maxGap = generates
                ? Timer.builder(MetricNames.STREAM_MAX_GAP)
                        .description("Longest pause between two events of one stream.")
                        .tags(tags)
                        .serviceLevelObjectives(GatewayMetrics.seconds(GatewayMetrics.GAP_BUCKETS))
                        .register(registry)
                : null;
        this.tokensPerSecond = generates ? new DistributionSummary[] {speed("false"), speed("true")} : null;
        if (generates) {
            this.tokenUsage = new DistributionSummary[] {usage("input"), usage("output")};
        } else if (route != null && route.usesModel()) {
            this.tokenUsage = new DistributionSummary[] {usage("input"), null};
        } else {
            this.tokenUsage = new DistributionSummary[2];
        }
    }

    boolean generates() {
        return ttft != null;
    }

    Counter requests(String tenant, int statusClass, RelayOutcome outcome) {
        AtomicReferenceArray<Counter> byStatus = requests.get(tenant);
        if (byStatus == null) {
            byStatus = requests.computeIfAbsent(tenant, t -> {
                var counters = new AtomicReferenceArray<Counter>(
                        GatewayMetrics.STATUS_CLASSES.length * GatewayMetrics.OUTCOMES.length);
                // The usual classes exist from the first request on, so error ratios read 0, not "no data".
                for (int c : new int[] {2, 4, 5}) {
                    counters.set(c, requestCounter(t, c, 0));
                }
                return counters;
            });
        }
        int ending = outcome == null ? 0 : outcome.ordinal();
        int index = ending * GatewayMetrics.STATUS_CLASSES.length + statusClass;
        Counter counter = byStatus.get(index);
        if (counter == null) {
            byStatus.compareAndSet(index, null, requestCounter(tenant, statusClass, ending));
            counter = byStatus.get(index);
        }
        return counter;
    }

    Counter finishReasons(String reason) {
        Counter counter = finishReasons.get(reason);
        return counter != null
                ? counter
                : finishReasons.computeIfAbsent(
                        reason,
                        r -> Counter.builder(MetricNames.FINISH_REASONS)
                                .description("Generations vLLM ended, by the finish_reason its answer gave.")
                                .tags(tags)
                                .tag(MetricNames.FINISH_REASON, r)
                                .register(registry));
    }

    Timer duration(boolean stream, int statusClass) {
        int index = (stream ? GatewayMetrics.STATUS_CLASSES.length : 0) + statusClass;
        Timer timer = durations.get(index);
        if (timer == null) {
            durations.compareAndSet(
                    index,
                    null,
                    Timer.builder(MetricNames.REQUEST_DURATION)
                            .description("End-to-end request latency at the gateway.")
                            .tags(tags)
                            .tag(MetricNames.STREAM, Boolean.toString(stream))
                            .tag(MetricNames.STATUS_CLASS, GatewayMetrics.STATUS_CLASSES[statusClass])
                            .serviceLevelObjectives(GatewayMetrics.seconds(GatewayMetrics.DURATION_BUCKETS))
                            .register(registry));
            timer = durations.get(index);
        }
        return timer;
    }

    Counter rejections(String tenant, String code) {
        var key = new GatewayMetrics.RejectionKey(tenant, code);
        Counter counter = rejections.get(key);
        return counter != null
                ? counter
                : rejections.computeIfAbsent(
                        key,
                        k -> Counter.builder(MetricNames.REJECTIONS)
                                .description("Requests vgate answered with its own error, by reason.")
                                .tags(tags)
                                .tag(MetricNames.TENANT, k.tenant())
                                .tag(MetricNames.REASON, Reasons.of(k.code()))
                                .tag(MetricNames.CODE, k.code())
                                .register(registry));
    }

    Counter upstreamErrors(String errorType) {
        Counter counter = upstreamErrors.get(errorType);
        return counter != null
                ? counter
                : upstreamErrors.computeIfAbsent(
                        errorType,
                        type -> Counter.builder(MetricNames.UPSTREAM_ERRORS)
                                .description("Requests vLLM failed: unreachable, broken, too slow, or a 5xx.")
                                .tags(tags)
                                .tag(MetricNames.ERROR_TYPE, type)
                                .register(registry));
    }

    Counter disconnects(boolean streaming) {
        return streaming ? disconnectedStreaming : disconnectedWaiting;
    }

    Timer ttft() {
        return ttft;
    }

    Timer tpot() {
        return tpot;
    }

    Timer maxGap() {
        return maxGap;
    }

    DistributionSummary tokensPerSecond(boolean stream) {
        return tokensPerSecond[stream ? 1 : 0];
    }

    DistributionSummary tokenUsage(int type) {
        return tokenUsage[type];
    }

    private Counter requestCounter(String tenant, int statusClass, int outcome) {
        return Counter.builder(MetricNames.REQUESTS)
                .description("Requests, by route, model, tenant, status class and how they ended.")
                .tags(tags)
                .tag(MetricNames.TENANT, tenant)
                .tag(MetricNames.STATUS_CLASS, GatewayMetrics.STATUS_CLASSES[statusClass])
                .tag(MetricNames.OUTCOME, GatewayMetrics.OUTCOMES[outcome])
                .register(registry);
    }

    private Counter disconnects(String phase) {
        return Counter.builder(MetricNames.CLIENT_DISCONNECTS)
                .description("Clients that left before their answer was complete.")
                .tags(tags)
                .tag(MetricNames.PHASE, phase)
                .register(registry);
    }

    private DistributionSummary speed(String stream) {
        return DistributionSummary.builder(MetricNames.OUTPUT_TOKENS_PER_SECOND)
                .description("Output tokens per second of one request.")
                .tags(tags)
                .tag(MetricNames.STREAM, stream)
                .serviceLevelObjectives(GatewayMetrics.TOKENS_PER_SECOND_BUCKETS)
                .register(registry);
    }

    private DistributionSummary usage(String type) {
        return DistributionSummary.builder(MetricNames.TOKEN_USAGE)
                .description("Tokens per request, as reported by vLLM.")
                .tags(tags)
                .tag(MetricNames.TOKEN_TYPE, type)
                .serviceLevelObjectives(GatewayMetrics.TOKEN_BUCKETS)
                .register(registry);
    }
}
