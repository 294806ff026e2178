package io.vgate.metrics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;
import java.util.Set;

/**
 * Observability settings ({@code vgate.metrics.*}): how many distinct label values the request meters
 * may carry, and the access log.
 * <p>
 * Label values that come from callers (tenants, model names) are bounded so that a client cannot blow
 * up Prometheus with new series: values outside the budget are reported as {@code other}.
 */
@ConfigMapping(prefix = "vgate.metrics")
public interface MetricsConfig {

    /**
     * Tenants that always get their own {@code tenant} label value; every other tenant is labelled
     * {@code other}. When unset, the first {@link #maxTenants()} tenants seen since start-up get their
     * own value. Unset by default.
     */
    Optional<Set<String>> tenants();

    /**
     * With {@link #tenants()} unset: how many distinct tenants get their own {@code tenant} label value
     * before the rest are labelled {@code other}. Defaults to {@code 50}.
     */
    @WithDefault("50")
    int maxTenants();

    /**
     * Model names that always get their own {@code model} label value; any other name is labelled
     * {@code other}. When unset, a model name becomes a label value once vLLM has answered a request for
     * it successfully (so names vLLM rejects never create series), up to {@link #maxModels()}. Unset by
     * default.
     */
    Optional<Set<String>> models();

    /**
     * With {@link #models()} unset: how many distinct served model names get their own {@code model}
     * label value. Defaults to {@code 20}.
     */
    @WithDefault("20")
    int maxModels();

    /**
     * Write one access-log line per {@code /v1} request (logger category {@code io.vgate.access}, level
     * INFO). Defaults to {@code true}.
     */
    @WithDefault("true")
    boolean accessLog();

    /**
     * How many access lines may wait for the writer thread; when that many are waiting (the log output is
     * slower than the requests), further lines are dropped and counted in
     * {@code vgate_access_log_dropped_total} rather than slowing requests down. Rounded up to a power of two.
     * Defaults to {@code 8192}.
     */
    @WithDefault("8192")
    int accessLogBuffer();

    /**
     * How access lines are written: {@code json} prints one compact JSON object per line on the console's
     * stream itself (the console's own JSON options do not apply to it); {@code log} hands each line to the
     * logger, so it goes through Quarkus's log handlers and their format; {@code auto} is {@code json} when the
     * console is on, prints JSON ({@code quarkus.log.console.json.enabled}, the production default) and lets INFO through, else
     * {@code log}. Defaults to {@code auto}.
     */
    @WithDefault("auto")
    AccessLogFormat accessLogFormat();

    /**
     * Interval of the rejection-log throttle: within it, only the first rejection (401, 429, 400, 503, …)
     * of each client address and reason gets an access line; the others are counted and summed up in one
     * line at its end. Metrics count every rejection. {@code 0s} logs every rejection. Defaults to {@code 10s}.
     */
    @WithDefault("10s")
    java.time.Duration rejectionLogInterval();

    /** How access lines are written; see {@link #accessLogFormat()}. */
    enum AccessLogFormat {
        /** {@code json} with a JSON console, else {@code log}. */
        AUTO,
        /** One compact JSON object per line, written by vgate on the console's stream. */
        JSON,
        /** Through the logger and its handlers. */
        LOG
    }
}
