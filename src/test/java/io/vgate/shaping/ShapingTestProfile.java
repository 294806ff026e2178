package io.vgate.shaping;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * One application configuration for every shaping, fault-tolerance and readiness test: a GPU of two
 * sequences ({@code max-num-seqs} 2) behind an in-flight cap of 2 and a queue of 6, timeouts of a second or
 * two, a breaker that trips after a handful of failures, and loopback trusted to set
 * {@code X-Vgate-Priority} and {@code X-Vgate-Tenant} (every in-process client is 127.0.0.1, so tenants come
 * from that header). The model is served under three names whose context policies differ.
 */
public class ShapingTestProfile implements QuarkusTestProfile {

    /** Requests vLLM and vgate run at once. */
    public static final int SLOTS = 2;
    /** Requests that may wait. */
    public static final int QUEUE = 6;
    /** Served name with the default policy ({@code clamp}). */
    public static final String CLAMP_MODEL = "vgate-sim-llama-3-8b";
    /** Served name with {@code trim} and a minimum completion of {@link #TRIM_MIN_COMPLETION}. */
    public static final String TRIM_MODEL = "sim-trim";
    /** Served name with context fitting {@code off}. */
    public static final String OFF_MODEL = "sim-off";

    public static final int TRIM_MIN_COMPLETION = 32;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("vgate.simulator.max-num-seqs", Integer.toString(SLOTS)),
                Map.entry("vgate.simulator.time-factor-under-load", "1.0"),
                Map.entry("vgate.simulator.served-model-names", CLAMP_MODEL + "," + TRIM_MODEL + "," + OFF_MODEL),
                Map.entry("vgate.shaping.max-in-flight", Integer.toString(SLOTS)),
                Map.entry("vgate.shaping.max-queue", Integer.toString(QUEUE)),
                Map.entry("vgate.shaping.max-queue-wait", "3s"),
                Map.entry("vgate.shaping.drain-timeout", "10s"),
                Map.entry("vgate.shaping.timeouts.time-to-first-token", "1s"),
                Map.entry("vgate.shaping.timeouts.idle-between-events", "1s"),
                Map.entry("vgate.shaping.timeouts.non-streaming-response", "3s"),
                Map.entry("vgate.shaping.trusted.cidrs", "127.0.0.1/32,::1/128"),
                Map.entry("vgate.shaping.trusted.tenant-header", "true"),
                Map.entry("vgate.shaping.context.models.\"" + TRIM_MODEL + "\".policy", "trim"),
                Map.entry(
                        "vgate.shaping.context.models.\"" + TRIM_MODEL + "\".min-completion-tokens",
                        Integer.toString(TRIM_MIN_COMPLETION)),
                Map.entry("vgate.shaping.context.models.\"" + OFF_MODEL + "\".policy", "off"),
                Map.entry("vgate.upstream.breaker.request-volume-threshold", "4"),
                Map.entry("vgate.upstream.breaker.delay", "1s"),
                Map.entry("vgate.upstream.breaker.success-threshold", "1"),
                Map.entry("vgate.upstream.retry.delay", "20ms"),
                Map.entry("vgate.upstream.retry.jitter", "10ms"));
    }
}
