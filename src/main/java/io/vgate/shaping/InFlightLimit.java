package io.vgate.shaping;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vgate.shaping.AdaptiveLimit.Decision;
import io.vgate.shaping.AdaptiveLimit.Reason;
import io.vgate.shaping.AdaptiveLimit.Settings;
import io.vgate.shaping.AdaptiveLimit.State;
import io.vgate.upstream.UpstreamConfig;
import io.vgate.upstream.UpstreamTarget;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The limit on requests in flight to vLLM that admission enforces: adaptive by default ({@link AdaptiveLimit},
 * fed every {@code vgate.shaping.adaptive.interval} by a {@link VllmLoadReader}), or static at
 * {@code vgate.shaping.max-in-flight} when {@code vgate.shaping.adaptive.enabled=false}.
 *
 * <p>Readings run on a Vert.x timer and never block; a reading still unanswered when the next is due is not
 * doubled, the tick is skipped. When vLLM's metrics cannot be read the last limit holds, one warning is logged
 * (and one line when they can be read again), and {@code vgate_vllm_metrics_readable} is 0.
 *
 * <p>Meters: {@code vgate_in_flight_limit} (the limit now), {@code vgate_in_flight_limit_adjustments_total
 * {direction,reason}} (each change), and the signals of the last reading: {@code vgate_vllm_running_requests},
 * {@code vgate_vllm_waiting_requests}, {@code vgate_vllm_kv_cache_usage_ratio}, {@code vgate_vllm_metrics_readable}.
 */
@Singleton
public class InFlightLimit {

    private static final Logger LOG = Logger.getLogger(InFlightLimit.class);

    private final Settings settings;
    private final Duration interval;
    private final Supplier<VllmLoadReader> readers;
    private final Vertx vertx;
    private final Map<Reason, Counter> ups = new EnumMap<>(Reason.class);
    private final Map<Reason, Counter> downs = new EnumMap<>(Reason.class);

    private volatile int limit;
    private volatile VllmLoad lastLoad;
    private volatile boolean readable = true;
    private volatile IntSupplier inFlight = () -> 0;
    private volatile IntSupplier queued = () -> 0;
    private volatile Runnable raised = () -> {};

    // Touched only by the timer's ticks and their readings' completions, never at the same time.
    private State state;
    private VllmLoadReader reader;
    private boolean reading;
    private long timerId = -1;

    @Inject
    public InFlightLimit(
            ShapingConfig config, UpstreamTarget target, UpstreamConfig upstream, Vertx vertx, MeterRegistry registry) {
        this(
                Settings.of(config),
                config.adaptive().enabled() ? config.adaptive().interval() : null,
                () -> new VllmLoadReader(
                        vertx, target.baseUri(), config.adaptive().metricsPath(), upstream.controlTimeout()),
                vertx,
                registry);
    }

    /**
     * @param interval how often to read vLLM's load, or {@code null} for a static limit of {@code settings.max()}
     * @param readers makes the reader when the first reading is due (after start-up: the upstream may only then
     *     know its address)
     */
    InFlightLimit(
            Settings settings,
            Duration interval,
            Supplier<VllmLoadReader> readers,
            Vertx vertx,
            MeterRegistry registry) {
        this.settings = settings;
        this.interval = interval;
        this.readers = readers;
        this.vertx = vertx;
        this.state = State.initial(settings);
        this.limit = interval == null ? settings.max() : state.limit();
        Gauge.builder("vgate.in.flight.limit", this, InFlightLimit::limit)
                .description("Requests vgate lets through to vLLM at once, now (adaptive or static)")
                .register(registry);
        if (interval != null) {
            Gauge.builder("vgate.vllm.running.requests", this, l -> signal(l.lastLoad, VllmLoad::running))
                    .description("vLLM's running requests at the last reading of its metrics")
                    .register(registry);
            Gauge.builder("vgate.vllm.waiting.requests", this, l -> signal(l.lastLoad, VllmLoad::waiting))
                    .description("vLLM's own waiting queue at the last reading of its metrics")
                    .register(registry);
            Gauge.builder("vgate.vllm.kv.cache.usage.ratio", this, l -> signal(l.lastLoad, VllmLoad::kvCacheUsage))
                    .description("vLLM's KV-cache usage (0 to 1) at the last reading of its metrics")
                    .register(registry);
            Gauge.builder("vgate.vllm.metrics.readable", this, l -> l.readable ? 1 : 0)
                    .description("1 while vLLM's metrics can be read; 0 while the in-flight limit is held")
                    .register(registry);
            for (Reason reason : Reason.values()) {
                ups.put(reason, adjustments(registry, "up", reason));
                downs.put(reason, adjustments(registry, "down", reason));
            }
        }
    }

    private static Counter adjustments(MeterRegistry registry, String direction, Reason reason) {
        return Counter.builder("vgate.in.flight.limit.adjustments")
                .description("Changes of the adaptive in-flight limit, by direction and reason")
                .tag("direction", direction)
                .tag("reason", reason.label())
                .register(registry);
    }

    private static double signal(VllmLoad load, java.util.function.ToDoubleFunction<VllmLoad> value) {
        return load == null ? Double.NaN : value.applyAsDouble(load);
    }

    /**
     * Tells the limit where vgate's demand stands and whom to wake when the limit rises. Admission calls it
     * once; the suppliers are read on the timer's event loop and must be cheap and thread-safe.
     */
    public void attach(IntSupplier inFlight, IntSupplier queued, Runnable raised) {
        this.inFlight = inFlight;
        this.queued = queued;
        this.raised = raised;
    }

    /** The limit now. */
    public int limit() {
        return limit;
    }

    /** True when the limit follows vLLM's load; false when it is the static {@code max-in-flight}. */
    public boolean adaptive() {
        return interval != null;
    }

    void start(@Observes StartupEvent event) {
        start();
    }

    void stop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Starts reading vLLM's load (adaptive mode only); idempotent. */
    synchronized void start() {
        if (interval == null || timerId >= 0) {
            return;
        }
        reader = readers.get();
        timerId = vertx.setPeriodic(Math.max(1, interval.toMillis()), id -> tick());
    }

    /** Stops reading; the limit stays where it is. */
    synchronized void stop() {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
            timerId = -1;
        }
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    private void tick() {
        VllmLoadReader current;
        synchronized (this) {
            current = reader;
            if (current == null || reading) {
                return;
            }
            reading = true;
        }
        current.read().onComplete(result -> {
            synchronized (this) {
                reading = false;
            }
            if (result.succeeded()) {
                apply(result.result(), null);
            } else {
                apply(null, result.cause());
            }
        });
    }

    /** One step of the rule with the reading just taken ({@code null} when it failed). */
    synchronized Decision apply(VllmLoad load, Throwable failure) {
        if (load == null && readable) {
            readable = false;
            LOG.warnf(
                    "Cannot read vLLM's metrics (%s); holding the in-flight limit at %d until they can be read again",
                    failure == null ? "no load in the answer" : failure.getMessage(), limit);
        } else if (load != null && !readable) {
            readable = true;
            LOG.infof("vLLM's metrics can be read again; the in-flight limit (%d) adapts again", limit);
        }
        if (load != null) {
            lastLoad = load;
        }
        Decision decision = AdaptiveLimit.next(state, load, inFlight.getAsInt(), queued.getAsInt(), settings);
        state = decision.state();
        limit = decision.limit();
        if (decision.limit() > decision.previousLimit()) {
            ups.get(decision.reason()).increment();
            raised.run();
        } else if (decision.limit() < decision.previousLimit()) {
            downs.get(decision.reason()).increment();
        }
        return decision;
    }
}
