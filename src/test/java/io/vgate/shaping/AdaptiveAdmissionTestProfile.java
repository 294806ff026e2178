package io.vgate.shaping;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Admission with the adaptive in-flight limit against a simulated GPU that runs {@link #CAPACITY} sequences,
 * which vgate is not told: an upper bound far above it, a limit that starts at {@link #MIN} and reads the
 * simulator's {@code /metrics} at the default interval, a per-tenant cap of {@link #TENANT_CAP}, priority classes sent to
 * vLLM as its {@code priority}, and loopback trusted to name tenants and classes with headers.
 */
public class AdaptiveAdmissionTestProfile implements QuarkusTestProfile {

    /** Sequences the simulated GPU runs at once. */
    public static final int CAPACITY = 12;
    /** Where the limit starts and the lowest it goes. */
    public static final int MIN = 4;
    /** The upper bound of the limit. */
    public static final int MAX = 64;
    /** Requests one tenant may have in flight and queued. */
    public static final int TENANT_CAP = 3;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("vgate.simulator.max-num-seqs", Integer.toString(CAPACITY)),
                Map.entry("vgate.simulator.time-factor-under-load", "1.0"),
                Map.entry("vgate.shaping.max-in-flight", Integer.toString(MAX)),
                Map.entry("vgate.shaping.adaptive.enabled", "true"),
                Map.entry("vgate.shaping.adaptive.min", Integer.toString(MIN)),
                Map.entry("vgate.shaping.max-queue", "64"),
                Map.entry("vgate.shaping.max-queue-wait", "60s"),
                Map.entry("vgate.shaping.tenant-max-concurrency", Integer.toString(TENANT_CAP)),
                Map.entry("vgate.shaping.priority.to-vllm", "true"),
                Map.entry("vgate.shaping.trusted.cidrs", "127.0.0.1/32,::1/128"),
                Map.entry("vgate.shaping.trusted.tenant-header", "true"));
    }
}
