package io.vgate.sim;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A {@link SimulatorConfig} for simulators started by hand in tests (startup faults, served-name aliases), with the
 * documented defaults except for a free port, fast latencies and two event loops.
 */
class TestConfig implements SimulatorConfig {

    Optional<List<String>> servedModelNames = Optional.empty();
    Duration startupDelay = Duration.ZERO;
    boolean refuseConnections;
    int maxNumSeqs = 256;
    int kvCacheTokens = 262144;
    double timeFactorUnderLoad = 3.0;

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return 0;
    }

    @Override
    public String model() {
        return "/models/test-model";
    }

    @Override
    public Optional<List<String>> servedModelNames() {
        return servedModelNames;
    }

    @Override
    public int maxModelLen() {
        return 4096;
    }

    @Override
    public int maxNumSeqs() {
        return maxNumSeqs;
    }

    @Override
    public int maxNumBatchedTokens() {
        return 2048;
    }

    @Override
    public Duration timeToFirstToken() {
        return Duration.ofMillis(1);
    }

    @Override
    public Duration prefillTimePerToken() {
        return Duration.ZERO;
    }

    @Override
    public Duration interTokenLatency() {
        return Duration.ofMillis(1);
    }

    @Override
    public double timeFactorUnderLoad() {
        return timeFactorUnderLoad;
    }

    @Override
    public int meanOutputTokens() {
        return 24;
    }

    @Override
    public SchedulingPolicy schedulingPolicy() {
        return SchedulingPolicy.FCFS;
    }

    @Override
    public double gpuSpeed() {
        return 1.0;
    }

    @Override
    public Mode mode() {
        return Mode.RANDOM;
    }

    @Override
    public int embeddingDimensions() {
        return 8;
    }

    @Override
    public int kvCacheTokens() {
        return kvCacheTokens;
    }

    @Override
    public Duration timeToFirstTokenStdDev() {
        return Duration.ZERO;
    }

    @Override
    public Duration interTokenLatencyStdDev() {
        return Duration.ZERO;
    }

    @Override
    public String reasoning() {
        return "on-request";
    }

    @Override
    public String reasoningField() {
        return "reasoning";
    }

    @Override
    public boolean toolParser() {
        return true;
    }

    @Override
    public double autoToolCallRate() {
        return 1.0;
    }

    @Override
    public boolean multimodal() {
        return true;
    }

    @Override
    public boolean responsesStore() {
        return true;
    }

    @Override
    public OptionalInt eventLoops() {
        return OptionalInt.of(2);
    }

    @Override
    public Faults faults() {
        return new Faults() {
            @Override
            public double errorRate() {
                return 0;
            }

            @Override
            public int errorStatus() {
                return 500;
            }

            @Override
            public java.util.Optional<java.util.List<String>> errorTypes() {
                return java.util.Optional.empty();
            }

            @Override
            public Duration slowFirstToken() {
                return Duration.ZERO;
            }

            @Override
            public OptionalInt resetAfterEvents() {
                return OptionalInt.empty();
            }

            @Override
            public OptionalInt errorAfterEvents() {
                return OptionalInt.empty();
            }

            @Override
            public boolean refuseConnections() {
                return refuseConnections;
            }

            @Override
            public Duration startupDelay() {
                return startupDelay;
            }
        };
    }
}
