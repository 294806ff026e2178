package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.vgate.upstream.VllmClient;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The served models and their context length ({@code max_model_len}), read from vLLM's {@code /v1/models}
 * and kept in memory. Read again every {@code vgate.shaping.context.refresh-interval}, when a request names
 * a model not in the list (at most every {@value #UNKNOWN_MODEL_REFRESH_SECONDS} s), and when vLLM comes back
 * after being unreachable ({@link #invalidate()}); a failed read is tried again two seconds later at the
 * earliest, requests going on unfitted meanwhile. A LoRA adapter has no length of its own and gets its base
 * model's.
 * <p>
 * It also knows vgate's own names for models, the aliases of {@code vgate.models.aliases}: {@link #served}
 * says which served model a name stands for.
 */
@Singleton
public class ModelCatalog {

    static final int UNKNOWN_MODEL_REFRESH_SECONDS = 10;
    private static final Logger LOG = Logger.getLogger(ModelCatalog.class);
    private static final long RETRY_AFTER_FAILURE_NANOS = Duration.ofSeconds(2).toNanos();

    /** What was read, and when. */
    record Snapshot(Map<String, Integer> maxModelLen, String baseModel, long readAt) {}

    private final VllmClient vllm;
    private final Map<String, String> aliases;
    private final long refreshNanos;
    private final AtomicReference<Uni<Snapshot>> loading = new AtomicReference<>();
    private volatile Snapshot snapshot;
    private volatile long lastUnknownRefresh;
    private volatile long lastFailure;

    public ModelCatalog(VllmClient vllm, ShapingConfig config, ModelsConfig models) {
        this.vllm = vllm;
        this.aliases = Map.copyOf(models.aliases());
        this.refreshNanos = config.context().refreshInterval().toNanos();
    }

    /**
     * The context length of {@code model} ({@code null}: vLLM's default model) if the list is in memory and
     * fresh, without waiting; {@code null} when the caller must {@link #load} it. A stale list is still
     * answered from, while it is read again in the background.
     */
    Integer cached(String model) {
        Snapshot current = snapshot;
        if (current == null) {
            return null;
        }
        long now = System.nanoTime();
        if (now - current.readAt() > refreshNanos) {
            refreshInBackground();
        }
        Integer length = lengthOf(current, model);
        if (length == null
                && model != null
                && now - lastUnknownRefresh > UNKNOWN_MODEL_REFRESH_SECONDS * 1_000_000_000L) {
            // Perhaps a LoRA adapter loaded since; vLLM will answer 404 otherwise.
            lastUnknownRefresh = now;
            refreshInBackground();
        }
        return length;
    }

    /** The context length of {@code model} (or the default model), {@code null} when vLLM listed none. */
    static Integer lengthOf(Snapshot snapshot, String model) {
        String name = model == null ? snapshot.baseModel() : model;
        // An empty or odd list has no default model; immutable maps refuse null keys.
        return name == null ? null : snapshot.maxModelLen().get(name);
    }

    /** True once the list has been read at least once. */
    boolean loaded() {
        return snapshot != null;
    }

    /**
     * The context length of {@code model}, reading the list first when it is not in memory; completes with
     * {@code null} when the model is unknown or vLLM could not be asked.
     */
    Uni<Integer> load(String model) {
        Snapshot current = snapshot;
        if (current != null) {
            return Uni.createFrom().item(cached(model));
        }
        if (System.nanoTime() - lastFailure < RETRY_AFTER_FAILURE_NANOS) {
            return Uni.createFrom().nullItem();
        }
        return refresh().map(read -> read == null ? null : lengthOf(read, model));
    }

    /**
     * Forgets the list: vLLM restarted and may serve another model or context length, so the next request
     * waits for a fresh read rather than trusting the old one.
     */
    public void invalidate() {
        snapshot = null;
        lastFailure = 0;
    }

    /** The name vLLM serves {@code model} under: the model itself, or the default model for {@code null}. */
    String resolve(String model) {
        Snapshot current = snapshot;
        return model != null || current == null ? model : current.baseModel();
    }

    /** Reads the list now; completes with {@code null} when vLLM could not be asked. */
    public Uni<Void> reload() {
        return refresh().replaceWithVoid();
    }

    /**
     * Reads the list afresh after vLLM's models changed (a LoRA adapter loaded or unloaded): unlike
     * {@link #reload()}, never joins a read that started before the change. Never fails.
     */
    public Uni<Void> reloadAfterChange() {
        return vllm.models()
                .map(ModelCatalog::parse)
                .invoke(parsed -> {
                    snapshot = parsed;
                    LOG.debugf("Model list read from vLLM after a change: %s", parsed.maxModelLen());
                })
                .onFailure()
                .invoke(failure -> LOG.warnf("Could not read vLLM's model list after a change (%s)", failure))
                .onFailure()
                .recoverWithNull()
                .replaceWithVoid();
    }

    /** The served model a request naming {@code model} goes to: the alias's target, else {@code model} itself. */
    public String served(String model) {
        String target = model == null ? null : aliases.get(model);
        return target != null ? target : model;
    }

    /**
     * vLLM's default model (the first served name), the one a request without {@code model} gets, reading the list
     * first when it is not in memory; completes with {@code null} when vLLM could not be asked.
     */
    public Uni<String> defaultModel() {
        Snapshot current = snapshot;
        if (current != null) {
            return Uni.createFrom().item(current.baseModel());
        }
        return refresh().map(read -> read == null ? null : read.baseModel());
    }

    /** vLLM's default model if the list is in memory, else {@code null}; never waits. */
    public String cachedDefaultModel() {
        Snapshot current = snapshot;
        return current == null ? null : current.baseModel();
    }

    private void refreshInBackground() {
        refresh().subscribe().with(ignored -> {});
    }

    /** One read at a time: callers arriving during a read share it. */
    private Uni<Snapshot> refresh() {
        Uni<Snapshot> running = loading.get();
        if (running != null) {
            return running;
        }
        Uni<Snapshot> read = vllm.models()
                .map(ModelCatalog::parse)
                .invoke(parsed -> {
                    snapshot = parsed;
                    LOG.debugf("Model list read from vLLM: %s", parsed.maxModelLen());
                })
                .onFailure()
                .recoverWithItem(failure -> {
                    lastFailure = System.nanoTime();
                    LOG.warnf(
                            "Could not read vLLM's model list (%s); context fitting waits for it", failure.toString());
                    return null;
                })
                .eventually(() -> loading.set(null))
                .memoize()
                .indefinitely();
        if (!loading.compareAndSet(null, read)) {
            Uni<Snapshot> other = loading.get();
            return other != null ? other : read;
        }
        return read;
    }

    static Snapshot parse(JsonNode list) {
        Map<String, Integer> lengths = new HashMap<>();
        Map<String, String> parents = new HashMap<>();
        String base = null;
        for (JsonNode card : list.path("data")) {
            String id = card.path("id").asText(null);
            if (id == null) {
                continue;
            }
            JsonNode length = card.get("max_model_len");
            if (length != null && length.canConvertToInt() && length.asInt() > 0) {
                lengths.put(id, length.asInt());
            }
            String parent = card.path("parent").asText(null);
            if (parent != null && !"null".equals(parent)) {
                parents.put(id, parent);
            } else if (base == null) {
                base = id;
            }
        }
        parents.forEach((adapter, parent) -> {
            if (!lengths.containsKey(adapter) && lengths.containsKey(parent)) {
                lengths.put(adapter, lengths.get(parent));
            }
        });
        return new Snapshot(Map.copyOf(lengths), base, System.nanoTime());
    }
}
