package io.vgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vgate.api.ApiRoute;
import io.vgate.streaming.RelayOutcome;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Records every completed exchange in Micrometer meters (names in {@link MetricNames}).
 * <p>
 * Meters are resolved once per label combination and cached in small structures keyed by the bounded
 * label strings, so recording a request costs a few hash lookups and atomic adds, with no string building
 * and no registry lookups. Histograms use explicit buckets sized for LLM traffic, so
 * {@code histogram_quantile} gives p50/p95/p99.
 */
@Singleton
public class GatewayMetrics implements ExchangeObserver {

    /** The {@code model} label of requests that name no model. */
    static final String NO_MODEL = "none";
    /** The {@code tenant} label of callers no step identified. */
    static final String ANONYMOUS = "anonymous";
    /** The {@code route} label of {@code /v1} paths vgate does not serve. */
    static final String UNKNOWN_ROUTE = "unknown";

    /** OTel's advisory buckets for request duration, extended for long generations (seconds). */
    static final double[] DURATION_BUCKETS = {
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68
    };
    /** OTel's advisory TTFT buckets, extended for long queues (seconds). */
    static final double[] TTFT_BUCKETS = {
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0
    };
    /** Per-token latency: a few ms on a fast GPU, hundreds of ms when overloaded (seconds). */
    static final double[] TPOT_BUCKETS = {
        0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0,
        2.5
    };
    /** Longest pause in a stream (seconds). */
    static final double[] GAP_BUCKETS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};
    /** Output tokens per second of one request. */
    static final double[] TOKENS_PER_SECOND_BUCKETS = {
        1, 2.5, 5, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000
    };
    /** OTel's advisory token-count buckets (powers of 4). */
    static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};

    private static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final int ROUTES = ApiRoute.values().length + 1;
    private static final int INPUT = 0;
    private static final int OUTPUT = 1;

    private final MeterRegistry registry;
    private final LabelBudget tenants;
    private final LabelBudget models;
    private final LabelBudget codes = LabelBudget.of(Optional.empty(), 100);
    private final ConcurrentHashMap<String, ModelMeters> byModel = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry, MetricsConfig config) {
        this.registry = registry;
        this.tenants = LabelBudget.of(config.tenants(), config.maxTenants());
        this.models = LabelBudget.of(config.models(), config.maxModels());
    }

    @Override
    public void onComplete(ExchangeRecord exchange) {
        boolean stream = exchange.stream();
        int status = exchange.status();
        int statusClass = status >= 100 && status < 600 ? status / 100 : 0;
        String errorCode = exchange.errorCode();
        boolean servedByVllm = errorCode == null && statusClass == 2 && exchange.outcome() == RelayOutcome.COMPLETED;

        ModelMeters model = model(exchange.model(), servedByVllm);
        RouteMeters meters = model.route(exchange.route());
        String tenant = tenant(exchange);

        meters.requests(tenant, statusClass).increment();
        long durationNanos = exchange.endNanos() - exchange.startNanos();
        meters.duration(stream, statusClass).record(durationNanos, TimeUnit.NANOSECONDS);

        if (errorCode != null) {
            meters.rejections(tenant, codes.admit(errorCode)).increment();
        }
        String upstreamError = upstreamError(exchange, errorCode, statusClass);
        if (upstreamError != null) {
            meters.upstreamErrors(upstreamError).increment();
        }
        if (exchange.outcome() == RelayOutcome.CLIENT_GONE) {
            meters.disconnects(exchange.streaming() && exchange.events() > 0).increment();
        }

        long completion = exchange.completionTokens();
        if (!meters.generates()) {
            recordTokens(meters, model, tenant, exchange.promptTokens(), -1);
            return;
        }
        if (exchange.streaming() && exchange.events() > 0) {
            meters.ttft().record(exchange.firstEventNanos() - exchange.startNanos(), TimeUnit.NANOSECONDS);
            if (exchange.events() > 1) {
                meters.maxGap().record(exchange.maxEventGapNanos(), TimeUnit.NANOSECONDS);
            }
        }
        if (exchange.outcome() == RelayOutcome.COMPLETED && completion > 0) {
            recordSpeed(exchange, meters, stream, completion, durationNanos);
        }

        recordTokens(meters, model, tenant, exchange.promptTokens(), completion);
    }

    private static void recordTokens(
            RouteMeters meters, ModelMeters model, String tenant, long prompt, long completion) {
        DistributionSummary input = meters.tokenUsage(INPUT);
        if (prompt >= 0 && input != null) {
            input.record(prompt);
            model.tokens(tenant, INPUT).increment(prompt);
        }
        DistributionSummary output = meters.tokenUsage(OUTPUT);
        if (completion >= 0 && output != null) {
            output.record(completion);
            model.tokens(tenant, OUTPUT).increment(completion);
        }
    }

    private static void recordSpeed(
            ExchangeRecord exchange, RouteMeters meters, boolean stream, long completion, long durationNanos) {
        if (exchange.streaming()) {
            long decodeNanos = exchange.lastEventNanos() - exchange.firstEventNanos();
            if (completion > 1 && decodeNanos > 0) {
                long perToken = decodeNanos / (completion - 1);
                meters.tpot().record(perToken, TimeUnit.NANOSECONDS);
                meters.tokensPerSecond(true).record((completion - 1) * 1e9 / decodeNanos);
            }
        } else if (durationNanos > 0 && !stream) {
            meters.tokensPerSecond(false).record(completion * 1e9 / durationNanos);
        }
    }

    /** What vLLM did wrong, or {@code null} when it did nothing wrong. */
    private static String upstreamError(ExchangeRecord exchange, String errorCode, int statusClass) {
        if (errorCode != null) {
            String reason = Reasons.of(errorCode);
            return Reasons.UPSTREAM.equals(reason) || Reasons.TIMEOUT.equals(reason) ? errorCode : null;
        }
        if (exchange.outcome() == RelayOutcome.UPSTREAM_FAILED) {
            return "upstream_reset";
        }
        return statusClass == 5 ? "status_5xx" : null;
    }

    private String tenant(ExchangeRecord exchange) {
        return exchange.hasTenant() ? tenants.admit(exchange.tenant()) : ANONYMOUS;
    }

    private ModelMeters model(String requested, boolean servedByVllm) {
        String label;
        if (requested == null) {
            label = NO_MODEL;
        } else if (servedByVllm) {
            label = models.admit(requested);
        } else {
            label = models.label(requested);
        }
        ModelMeters meters = byModel.get(label);
        return meters != null ? meters : byModel.computeIfAbsent(label, ModelMeters::new);
    }

    private static String routeLabel(ApiRoute route) {
        return route == null ? UNKNOWN_ROUTE : route.label();
    }

    private static Duration[] seconds(double[] buckets) {
        var durations = new Duration[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(buckets[i] * 1e9));
        }
        return durations;
    }

    /** The meters of one model label. */
    private final class ModelMeters {
        private final String model;
        private final AtomicReferenceArray<RouteMeters> routes = new AtomicReferenceArray<>(ROUTES);
        private final ConcurrentHashMap<String, Counter[]> tokensByTenant = new ConcurrentHashMap<>();

        ModelMeters(String model) {
            this.model = model;
        }

        RouteMeters route(ApiRoute route) {
            int index = route == null ? ROUTES - 1 : route.ordinal();
            RouteMeters meters = routes.get(index);
            if (meters == null) {
                routes.compareAndSet(index, null, new RouteMeters(model, route));
                meters = routes.get(index);
            }
            return meters;
        }

        Counter tokens(String tenant, int type) {
            Counter[] counters = tokensByTenant.get(tenant);
            if (counters == null) {
                counters = tokensByTenant.computeIfAbsent(
                        tenant, t -> new Counter[] {tokenCounter(t, "input"), tokenCounter(t, "output")});
            }
            return counters[type];
        }

        private Counter tokenCounter(String tenant, String type) {
            return Counter.builder(MetricNames.TOKENS)
                    .description("Tokens processed for a tenant, as reported by vLLM.")
                    .tags(MetricNames.MODEL, model, MetricNames.TENANT, tenant, MetricNames.TOKEN_TYPE, type)
                    .register(registry);
        }
    }

    /** The meters of one (model, route) pair; label combinations below it are created on first use. */
    private final class RouteMeters {
        private final Tags tags;
        private final AtomicReferenceArray<Timer> durations = new AtomicReferenceArray<>(2 * STATUS_CLASSES.length);
        private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> requests = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<RejectionKey, Counter> rejections = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Counter> upstreamErrors = new ConcurrentHashMap<>();
        private final Counter disconnectedWaiting;
        private final Counter disconnectedStreaming;
        private final Timer ttft;
        private final Timer tpot;
        private final Timer maxGap;
        private final DistributionSummary[] tokensPerSecond;
        private final DistributionSummary[] tokenUsage;

        /** Generation meters exist only on routes that generate, token meters only on routes that use the model. */
        RouteMeters(String model, ApiRoute route) {
            this.tags = Tags.of(MetricNames.ROUTE, routeLabel(route), MetricNames.MODEL, model);
            this.disconnectedWaiting = disconnects("waiting");
            this.disconnectedStreaming = disconnects("streaming");
            boolean generates = route != null && route.generates();
            this.ttft = generates
                    ? Timer.builder(MetricNames.TIME_TO_FIRST_TOKEN)
                            .description("Time to the first streamed token, measured at the gateway.")
                            .tags(tags)
                            .serviceLevelObjectives(seconds(TTFT_BUCKETS))
                            .register(registry)
                    : null;
            this.tpot = generates
                    ? Timer.builder(MetricNames.TIME_PER_OUTPUT_TOKEN)
                            .description("Mean time per output token after the first, per stream.")
                            .tags(tags)
                            .serviceLevelObjectives(seconds(TPOT_BUCKETS))
                            .register(registry)
                    : null;
            this.maxGap = generates
                    ? Timer.builder(MetricNames.STREAM_MAX_GAP)
                            .description("Longest pause between two events of one stream.")
                            .tags(tags)
                            .serviceLevelObjectives(seconds(GAP_BUCKETS))
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

        Counter requests(String tenant, int statusClass) {
            AtomicReferenceArray<Counter> byStatus = requests.get(tenant);
            if (byStatus == null) {
                byStatus = requests.computeIfAbsent(tenant, t -> {
                    var counters = new AtomicReferenceArray<Counter>(STATUS_CLASSES.length);
                    // The usual classes exist from the first request on, so error ratios read 0, not "no data".
                    for (int c : new int[] {2, 4, 5}) {
                        counters.set(c, requestCounter(t, c));
                    }
                    return counters;
                });
            }
            Counter counter = byStatus.get(statusClass);
            if (counter == null) {
                byStatus.compareAndSet(statusClass, null, requestCounter(tenant, statusClass));
                counter = byStatus.get(statusClass);
            }
            return counter;
        }

        Timer duration(boolean stream, int statusClass) {
            int index = (stream ? STATUS_CLASSES.length : 0) + statusClass;
            Timer timer = durations.get(index);
            if (timer == null) {
                durations.compareAndSet(
                        index,
                        null,
                        Timer.builder(MetricNames.REQUEST_DURATION)
                                .description("End-to-end request latency at the gateway.")
                                .tags(tags)
                                .tag(MetricNames.STREAM, Boolean.toString(stream))
                                .tag(MetricNames.STATUS_CLASS, STATUS_CLASSES[statusClass])
                                .serviceLevelObjectives(seconds(DURATION_BUCKETS))
                                .register(registry));
                timer = durations.get(index);
            }
            return timer;
        }

        Counter rejections(String tenant, String code) {
            var key = new RejectionKey(tenant, code);
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

        private Counter requestCounter(String tenant, int statusClass) {
            return Counter.builder(MetricNames.REQUESTS)
                    .description("Requests, by route, model, tenant and status class.")
                    .tags(tags)
                    .tag(MetricNames.TENANT, tenant)
                    .tag(MetricNames.STATUS_CLASS, STATUS_CLASSES[statusClass])
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
                    .serviceLevelObjectives(TOKENS_PER_SECOND_BUCKETS)
                    .register(registry);
        }

        private DistributionSummary usage(String type) {
            return DistributionSummary.builder(MetricNames.TOKEN_USAGE)
                    .description("Tokens per request, as reported by vLLM.")
                    .tags(tags)
                    .tag(MetricNames.TOKEN_TYPE, type)
                    .serviceLevelObjectives(TOKEN_BUCKETS)
                    .register(registry);
        }
    }

    private record RejectionKey(String tenant, String code) {}
}
