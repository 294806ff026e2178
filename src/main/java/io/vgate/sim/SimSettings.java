package io.vgate.sim;

import io.vgate.sim.SimulatorConfig.Mode;
import io.vgate.sim.SimulatorConfig.SchedulingPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * The simulator's live, mutable settings, initialised from {@link SimulatorConfig}.
 *
 * <p>Tests change latencies, limits, mode and faults while the simulator runs and call {@link #reset()} afterwards.
 * Setters are fluent and validate their argument; a change applies to the next engine step of running requests.
 * The same values are readable and writable over HTTP at {@code /sim/settings} on the simulator port.</p>
 *
 * <p>Thread-safe: every value is volatile; a reader may see a mix of old and new values while several setters run.</p>
 */
public final class SimSettings {

    private final SimulatorConfig config;
    private final FaultSettings faults;
    private final ServingSettings serving;
    private volatile Runnable changeListener = () -> {};

    private volatile int maxModelLen;
    private volatile int maxNumSeqs;
    private volatile SchedulingPolicy schedulingPolicy;
    private volatile double gpuSpeed;
    private volatile int maxNumBatchedTokens;
    private volatile long timeToFirstTokenNanos;
    private volatile long prefillTimePerTokenNanos;
    private volatile long interTokenLatencyNanos;
    private volatile double timeFactorUnderLoad;
    private volatile int meanOutputTokens;
    private volatile Mode mode;
    private volatile int embeddingDimensions;
    private volatile int kvCacheTokens;
    private volatile long timeToFirstTokenStdDevNanos;
    private volatile long interTokenLatencyStdDevNanos;
    private volatile ReasoningPlan.Mode reasoning;
    private volatile ReasoningPlan.Field reasoningField;
    private volatile boolean toolParser;
    private volatile double autoToolCallRate;
    private volatile boolean multimodal;
    // The Responses API's store (VLLM_ENABLE_RESPONSES_API_STORE).
    private volatile boolean responsesStore;

    /**
     * Creates settings holding the configured values.
     *
     * @param config the simulator configuration, also used by {@link #reset()}
     */
    public SimSettings(SimulatorConfig config) {
        this.config = Objects.requireNonNull(config);
        this.faults = new FaultSettings(this::changed);
        this.serving = new ServingSettings(config.serving());
        applyConfig();
    }

    /**
     * Restores every value, faults included, to the configured one.
     *
     * @return this
     */
    public SimSettings reset() {
        applyConfig();
        serving.reset();
        changed();
        return this;
    }

    private void applyConfig() {
        maxModelLen = positive("max-model-len", config.maxModelLen());
        maxNumSeqs = positive("max-num-seqs", config.maxNumSeqs());
        schedulingPolicy = Objects.requireNonNull(config.schedulingPolicy());
        gpuSpeed = speed(config.gpuSpeed());
        maxNumBatchedTokens = positive("max-num-batched-tokens", config.maxNumBatchedTokens());
        timeToFirstTokenNanos = nanos("time-to-first-token", config.timeToFirstToken());
        prefillTimePerTokenNanos = nanos("prefill-time-per-token", config.prefillTimePerToken());
        interTokenLatencyNanos = nanos("inter-token-latency", config.interTokenLatency());
        timeFactorUnderLoad = factor(config.timeFactorUnderLoad());
        meanOutputTokens = positive("mean-output-tokens", config.meanOutputTokens());
        mode = Objects.requireNonNull(config.mode());
        embeddingDimensions = positive("embedding-dimensions", config.embeddingDimensions());
        kvCacheTokens = positive("kv-cache-tokens", config.kvCacheTokens());
        timeToFirstTokenStdDevNanos = nanos("time-to-first-token-std-dev", config.timeToFirstTokenStdDev());
        interTokenLatencyStdDevNanos = nanos("inter-token-latency-std-dev", config.interTokenLatencyStdDev());
        reasoning = ReasoningPlan.Mode.parse(config.reasoning());
        reasoningField = ReasoningPlan.Field.parse(config.reasoningField());
        toolParser = config.toolParser();
        autoToolCallRate = probability("auto-tool-call-rate", config.autoToolCallRate());
        multimodal = config.multimodal();
        responsesStore = config.responsesStore();
        faults.applyConfig(config.faults());
    }

    /** @return context length in tokens (prompt plus output) */
    public int maxModelLen() {
        return maxModelLen;
    }

    /**
     * @param value context length in tokens, at least 1
     * @return this
     */
    public SimSettings maxModelLen(int value) {
        maxModelLen = positive("max-model-len", value);
        return changed();
    }

    /** @return sequences that may run at once */
    public int maxNumSeqs() {
        return maxNumSeqs;
    }

    /**
     * @param value sequences that may run at once, at least 1
     * @return this
     */
    public SimSettings maxNumSeqs(int value) {
        maxNumSeqs = positive("max-num-seqs", value);
        return changed();
    }

    /** @return token budget of one engine step */
    public int maxNumBatchedTokens() {
        return maxNumBatchedTokens;
    }

    /**
     * @param value token budget of one engine step, at least 1
     * @return this
     */
    public SimSettings maxNumBatchedTokens(int value) {
        maxNumBatchedTokens = positive("max-num-batched-tokens", value);
        return changed();
    }

    /** @return fixed part of the time to first token */
    public Duration timeToFirstToken() {
        return Duration.ofNanos(timeToFirstTokenNanos);
    }

    /**
     * @param value fixed part of the time to first token, zero or more
     * @return this
     */
    public SimSettings timeToFirstToken(Duration value) {
        timeToFirstTokenNanos = nanos("time-to-first-token", value);
        return changed();
    }

    /** @return prefill time per prompt token */
    public Duration prefillTimePerToken() {
        return Duration.ofNanos(prefillTimePerTokenNanos);
    }

    /**
     * @param value prefill time per prompt token, zero or more
     * @return this
     */
    public SimSettings prefillTimePerToken(Duration value) {
        prefillTimePerTokenNanos = nanos("prefill-time-per-token", value);
        return changed();
    }

    /** @return time between two tokens of a lone request */
    public Duration interTokenLatency() {
        return Duration.ofNanos(interTokenLatencyNanos);
    }

    /**
     * @param value time between two tokens of a lone request, zero or more
     * @return this
     */
    public SimSettings interTokenLatency(Duration value) {
        interTokenLatencyNanos = nanos("inter-token-latency", value);
        return changed();
    }

    /** @return how waiting requests are ordered ({@code --scheduling-policy}) */
    public SchedulingPolicy schedulingPolicy() {
        return schedulingPolicy;
    }

    /**
     * @param value how waiting requests are ordered; requests already waiting are re-ordered at once
     * @return this
     */
    public SimSettings schedulingPolicy(SchedulingPolicy value) {
        schedulingPolicy = Objects.requireNonNull(value);
        return changed();
    }

    /** @return the GPU's speed: 1 as configured, 0.5 twice as slow */
    public double gpuSpeed() {
        return gpuSpeed;
    }

    /**
     * @param value the GPU's speed, above 0; every step takes {@code 1 / value} of its time from the next step on
     * @return this
     */
    public SimSettings gpuSpeed(double value) {
        gpuSpeed = speed(value);
        return changed();
    }

    /** @return latency multiplier reached with a full batch */
    public double timeFactorUnderLoad() {
        return timeFactorUnderLoad;
    }

    /**
     * @param value latency multiplier reached with a full batch, at least 1
     * @return this
     */
    public SimSettings timeFactorUnderLoad(double value) {
        timeFactorUnderLoad = factor(value);
        return changed();
    }

    /** @return mean natural answer length in tokens */
    public int meanOutputTokens() {
        return meanOutputTokens;
    }

    /**
     * @param value mean natural answer length in tokens, at least 1
     * @return this
     */
    public SimSettings meanOutputTokens(int value) {
        meanOutputTokens = positive("mean-output-tokens", value);
        return changed();
    }

    /** @return how the model chooses its answer */
    public Mode mode() {
        return mode;
    }

    /**
     * @param value how the model chooses its answer
     * @return this
     */
    public SimSettings mode(Mode value) {
        mode = Objects.requireNonNull(value, "mode");
        return changed();
    }

    /** @return length of embedding vectors */
    public int embeddingDimensions() {
        return embeddingDimensions;
    }

    /**
     * @param value length of embedding vectors, at least 1
     * @return this
     */
    public SimSettings embeddingDimensions(int value) {
        embeddingDimensions = positive("embedding-dimensions", value);
        return changed();
    }

    /** @return KV-cache capacity in tokens */
    public int kvCacheTokens() {
        return kvCacheTokens;
    }

    /**
     * @param value KV-cache capacity in tokens, at least 1
     * @return this
     */
    public SimSettings kvCacheTokens(int value) {
        kvCacheTokens = positive("kv-cache-tokens", value);
        return changed();
    }

    /** @return standard deviation of the time to first token */
    public Duration timeToFirstTokenStdDev() {
        return Duration.ofNanos(timeToFirstTokenStdDevNanos);
    }

    /**
     * @param value standard deviation of the time to first token, zero or more
     * @return this
     */
    public SimSettings timeToFirstTokenStdDev(Duration value) {
        timeToFirstTokenStdDevNanos = nanos("time-to-first-token-std-dev", value);
        return changed();
    }

    /** @return standard deviation of the inter-token latency */
    public Duration interTokenLatencyStdDev() {
        return Duration.ofNanos(interTokenLatencyStdDevNanos);
    }

    /**
     * @param value standard deviation of the inter-token latency, zero or more
     * @return this
     */
    public SimSettings interTokenLatencyStdDev(Duration value) {
        interTokenLatencyStdDevNanos = nanos("inter-token-latency-std-dev", value);
        return changed();
    }

    /** @return when the model reasons: {@code off}, {@code on-request} or {@code always} */
    public String reasoning() {
        return reasoning.json;
    }

    /**
     * @param value {@code off}, {@code on-request} or {@code always}
     * @return this
     */
    public SimSettings reasoning(String value) {
        reasoning = ReasoningPlan.Mode.parse(value);
        return changed();
    }

    /** @return the key reasoning travels under: {@code reasoning} or {@code reasoning_content} */
    public String reasoningFieldName() {
        return reasoningField.json;
    }

    /**
     * @param value {@code reasoning} or {@code reasoning_content}
     * @return this
     */
    public SimSettings reasoningField(String value) {
        reasoningField = ReasoningPlan.Field.parse(value);
        return changed();
    }

    /** @return whether the server plays one started with a tool-call parser */
    public boolean toolParser() {
        return toolParser;
    }

    /**
     * @param value whether the server plays one started with a tool-call parser
     * @return this
     */
    public SimSettings toolParser(boolean value) {
        toolParser = value;
        return changed();
    }

    /** @return probability that {@code tool_choice: "auto"} produces a call */
    public double autoToolCallRate() {
        return autoToolCallRate;
    }

    /**
     * @param value probability (0 to 1) that {@code tool_choice: "auto"} produces a call
     * @return this
     */
    public SimSettings autoToolCallRate(double value) {
        autoToolCallRate = probability("auto-tool-call-rate", value);
        return changed();
    }

    /** @return whether the model takes images, audio and video */
    public boolean multimodal() {
        return multimodal;
    }

    /**
     * @param value whether the model takes images, audio and video
     * @return this
     */
    public SimSettings multimodal(boolean value) {
        multimodal = value;
        return changed();
    }

    /** @return whether the Responses API stores responses ({@code VLLM_ENABLE_RESPONSES_API_STORE=1}) */
    public boolean responsesStore() {
        return responsesStore;
    }

    /**
     * @param value whether the Responses API stores responses; off, {@code store} is ignored, retrievals and
     *     follow-ups get 404 and background requests 400, as in vLLM without {@code VLLM_ENABLE_RESPONSES_API_STORE}
     * @return this
     */
    public SimSettings responsesStore(boolean value) {
        responsesStore = value;
        return changed();
    }

    ReasoningPlan.Mode reasoningMode() {
        return reasoning;
    }

    ReasoningPlan.Field reasoningField() {
        return reasoningField;
    }

    long timeToFirstTokenStdDevNanos() {
        return timeToFirstTokenStdDevNanos;
    }

    long interTokenLatencyStdDevNanos() {
        return interTokenLatencyStdDevNanos;
    }

    /** @return the task, API key, LoRA, prefix-cache and audio settings */
    public ServingSettings serving() {
        return serving;
    }

    /** @return the fault-injection settings */
    public FaultSettings faults() {
        return faults;
    }

    long timeToFirstTokenNanos() {
        return timeToFirstTokenNanos;
    }

    long prefillTimePerTokenNanos() {
        return prefillTimePerTokenNanos;
    }

    long interTokenLatencyNanos() {
        return interTokenLatencyNanos;
    }

    void changeListener(Runnable listener) {
        changeListener = Objects.requireNonNull(listener);
    }

    private SimSettings changed() {
        changeListener.run();
        return this;
    }

    private static int positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
        return value;
    }

    static long nanos(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
        return value.toNanos();
    }

    private static double probability(String name, double value) {
        if (!(value >= 0.0 && value <= 1.0)) {
            throw new IllegalArgumentException(name + " must be between 0 and 1, got " + value);
        }
        return value;
    }

    private static double speed(double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("gpu-speed must be above 0, got " + value);
        }
        return value;
    }

    private static double factor(double value) {
        if (!(value >= 1.0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("time-factor-under-load must be at least 1, got " + value);
        }
        return value;
    }

    @Override
    public String toString() {
        return SettingsJson.write(this);
    }
}
