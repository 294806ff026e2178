package io.vgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.vgate.api.ApiRoute;
import io.vgate.streaming.RelayOutcome;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
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

    /** The {@code model} label of requests that name no model and were not answered by one. */
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

    static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    /** The {@code outcome} label of {@code vgate_requests_total}, by {@link RelayOutcome#ordinal()}. */
    static final String[] OUTCOMES = {"completed", "client_gone", "upstream_failed"};
    /** The {@code finish_reason} values labelled by name; any other reason vLLM names is {@code other}. */
    static final Set<String> FINISH_REASONS =
            Set.of("stop", "length", "tool_calls", "content_filter", "function_call", "abort", "error");

    private static final int ROUTES = ApiRoute.values().length + 1;
    private static final int INPUT = 0;
    private static final int OUTPUT = 1;

    private final MeterRegistry registry;
    private final LabelBudget tenants;
    private final LabelBudget models;
    private final LabelBudget codes = LabelBudget.of(Optional.empty(), 100);
    private final LabelBudget finishReasons = LabelBudget.of(Optional.of(FINISH_REASONS), 0);
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

        ModelMeters model = model(exchange.model() != null ? exchange.model() : exchange.servedModel(), servedByVllm);
        RouteMeters meters = model.route(exchange.route());
        String tenant = tenant(exchange);

        meters.requests(tenant, statusClass, exchange.outcome()).increment();
        long durationNanos = exchange.endNanos() - exchange.startNanos();
        meters.duration(stream, statusClass).record(durationNanos, TimeUnit.NANOSECONDS);

        if (errorCode != null) {
            meters.rejections(tenant, codes.admit(errorCode)).increment();
        }
        String upstreamError = upstreamError(exchange);
        if (upstreamError != null) {
            meters.upstreamErrors(upstreamError).increment();
        }
        if (exchange.finishReason() != null) {
            meters.finishReasons(finishReasons.label(exchange.finishReason())).increment();
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

    /**
     * What vLLM did wrong — the {@code error_type} of {@code vgate_upstream_errors_total} and the access line's
     * {@code upstreamError} — or {@code null} when it did nothing wrong: vgate's code for vLLM being unreachable,
     * broken or too slow; {@code upstream_reset} for a stream or body it cut; {@code error_event} for its in-band
     * error event; {@code status_5xx} for its own 5xx answer. A client that left first is never vLLM's failure,
     * whatever the reset of its upstream request looked like.
     */
    static String upstreamError(ExchangeRecord exchange) {
        if (exchange.outcome() == RelayOutcome.CLIENT_GONE) {
            return null;
        }
        String errorCode = exchange.errorCode();
        if (errorCode != null) {
            String reason = Reasons.of(errorCode);
            return Reasons.UPSTREAM.equals(reason) || Reasons.TIMEOUT.equals(reason) ? errorCode : null;
        }
        if (exchange.outcome() == RelayOutcome.UPSTREAM_FAILED) {
            return exchange.upstreamFailure() != null ? exchange.upstreamFailure() : "upstream_reset";
        }
        return exchange.status() >= 500 && exchange.status() < 600 ? "status_5xx" : null;
    }

    /** The {@code outcome} label and access-line value of an ending. */
    static String outcome(RelayOutcome outcome) {
        return OUTCOMES[outcome.ordinal()];
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

    static String routeLabel(ApiRoute route) {
        return route == null ? UNKNOWN_ROUTE : route.label();
    }

    static Duration[] seconds(double[] buckets) {
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
                routes.compareAndSet(index, null, new RouteMeters(registry, model, route));
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

    record RejectionKey(String tenant, String code) {}
}
