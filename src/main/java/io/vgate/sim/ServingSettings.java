package io.vgate.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The live form of {@link ServingConfig}: the model's task, API keys, runtime LoRA loading, prefix caching and the
 * audio upload limit, changeable while the simulator runs (also as {@code "serving"} in {@code /sim/settings}).
 * {@link #reset()} also forgets what the server learnt while it ran (loaded LoRA adapters, the prefix cache), as a
 * restarted {@code vllm serve} would.
 *
 * <p>Thread-safe: every value is volatile.</p>
 */
public final class ServingSettings {

    private final ServingConfig config;
    private final List<Runnable> resetHooks = new CopyOnWriteArrayList<>();

    private volatile Set<SimTask> tasks;
    private volatile List<String> apiKeys;
    private volatile boolean allowRuntimeLoraUpdating;
    private volatile boolean enablePrefixCaching;
    private volatile int maxAudioClipFilesizeMb;

    ServingSettings(ServingConfig config) {
        this.config = Objects.requireNonNull(config);
        applyConfig();
    }

    /** Restores the configured values and clears the server's learnt state (adapters, prefix cache). */
    void reset() {
        applyConfig();
        resetHooks.forEach(Runnable::run);
    }

    void onReset(Runnable hook) {
        resetHooks.add(Objects.requireNonNull(hook));
    }

    private void applyConfig() {
        tasks = SimTask.parse(config.task());
        apiKeys = keys(config.apiKey().orElse(List.of()));
        allowRuntimeLoraUpdating = config.allowRuntimeLoraUpdating();
        enablePrefixCaching = config.enablePrefixCaching();
        maxAudioClipFilesizeMb = positive(config.maxAudioClipFilesizeMb());
    }

    /** @return the task names, comma-separated in declaration order ({@code generate,embed}) */
    public String task() {
        List<SimTask> sorted = new ArrayList<>(tasks);
        sorted.sort(Comparator.naturalOrder());
        return String.join(",", sorted.stream().map(SimTask::json).toList());
    }

    /**
     * @param value one task or a comma-separated list: {@code generate}, {@code embed}, {@code score},
     *     {@code classify}, {@code transcription} (at most one of the pooling tasks)
     * @return this
     */
    public ServingSettings task(String value) {
        tasks = SimTask.parse(List.of(Objects.requireNonNull(value, "task").split(",")));
        return this;
    }

    Set<SimTask> tasks() {
        return tasks;
    }

    /** The one pooling task served, or null. */
    SimTask poolingTask() {
        for (SimTask t : tasks) {
            if (t.pooling()) {
                return t;
            }
        }
        return null;
    }

    /** @return the keys requests to {@code /v1/...} must carry; empty: no authentication */
    public List<String> apiKeys() {
        return apiKeys;
    }

    /**
     * @param value the keys requests must carry as {@code Authorization: Bearer <key>}; empty turns authentication off
     * @return this
     */
    public ServingSettings apiKeys(List<String> value) {
        apiKeys = keys(value);
        return this;
    }

    /** @return whether the LoRA load and unload routes exist */
    public boolean allowRuntimeLoraUpdating() {
        return allowRuntimeLoraUpdating;
    }

    /**
     * @param value whether the LoRA load and unload routes exist (adapters already loaded stay loaded)
     * @return this
     */
    public ServingSettings allowRuntimeLoraUpdating(boolean value) {
        allowRuntimeLoraUpdating = value;
        return this;
    }

    /** @return whether prompts that share cached blocks skip their prefill */
    public boolean enablePrefixCaching() {
        return enablePrefixCaching;
    }

    /**
     * @param value whether prompts that share cached blocks skip their prefill; off also empties the cache
     * @return this
     */
    public ServingSettings enablePrefixCaching(boolean value) {
        enablePrefixCaching = value;
        return this;
    }

    /** @return the largest audio upload, in MB */
    public int maxAudioClipFilesizeMb() {
        return maxAudioClipFilesizeMb;
    }

    /**
     * @param value the largest audio upload in MB, at least 1
     * @return this
     */
    public ServingSettings maxAudioClipFilesizeMb(int value) {
        maxAudioClipFilesizeMb = positive(value);
        return this;
    }

    private static List<String> keys(List<String> value) {
        List<String> out = new ArrayList<>();
        for (String key : Objects.requireNonNull(value, "api-key")) {
            if (key != null && !key.isEmpty()) {
                out.add(key);
            }
        }
        return List.copyOf(out);
    }

    private static int positive(int value) {
        if (value < 1) {
            throw new IllegalArgumentException("max-audio-clip-filesize-mb must be at least 1, got " + value);
        }
        return value;
    }
}
