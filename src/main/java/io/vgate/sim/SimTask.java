package io.vgate.sim;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The tasks a simulated model can serve, and the routes vLLM registers for each (its {@code routers.py}): a route of
 * a task the model does not serve does not exist.
 */
enum SimTask {
    /** Text generation: chat, completions, responses, messages. */
    GENERATE(
            Set.of(
                    "/v1/chat/completions",
                    "/v1/completions",
                    "/v1/responses",
                    "/v1/messages",
                    "/v1/messages/count_tokens",
                    "/generative_scoring"),
            "/v1/responses/"),
    /** An embedding model; scoring is enabled for it (cosine similarity). */
    EMBED(union(Set.of("/v1/embeddings", "/v2/embed", "/pooling"), Routes.SCORING), null),
    /** A cross-encoder: a classifier with one label, for which scoring is enabled. */
    SCORE(union(Set.of("/classify", "/pooling"), Routes.SCORING), null),
    /** A classifier with two labels: no scoring routes. */
    CLASSIFY(Set.of("/classify", "/pooling"), null),
    /** Speech to text: both audio routes, always together. */
    TRANSCRIPTION(Set.of("/v1/audio/transcriptions", "/v1/audio/translations"), null);

    /** The routes that exist only with {@code VLLM_ALLOW_RUNTIME_LORA_UPDATING}. */
    static final Set<String> LORA_ROUTES = Set.of("/v1/load_lora_adapter", "/v1/unload_lora_adapter");

    private final Set<String> paths;
    /** A path prefix the task also serves ({@code /v1/responses/{id}}), or null. */
    private final String prefix;

    SimTask(Set<String> paths, String prefix) {
        this.paths = paths;
        this.prefix = prefix;
    }

    /** The JSON and configuration name. */
    String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean pooling() {
        return this == EMBED || this == SCORE || this == CLASSIFY;
    }

    private boolean serves(String path) {
        return paths.contains(path) || (prefix != null && path.startsWith(prefix));
    }

    /** Whether {@code path} belongs to some task (and so exists only when the model serves that task). */
    static boolean taskRoute(String path) {
        for (SimTask task : values()) {
            if (task.serves(path)) {
                return true;
            }
        }
        return false;
    }

    /** Whether one of {@code tasks} serves {@code path}. */
    static boolean served(Set<SimTask> tasks, String path) {
        for (SimTask task : tasks) {
            if (task.serves(path)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses task names.
     *
     * @throws IllegalArgumentException for an unknown name, no task, or more than one pooling task
     */
    static Set<SimTask> parse(List<String> names) {
        EnumSet<SimTask> tasks = EnumSet.noneOf(SimTask.class);
        for (String name : names) {
            String n = name.strip().toUpperCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            try {
                tasks.add(SimTask.valueOf(n));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "task must be generate, embed, score, classify or transcription, got " + name.strip());
            }
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("task must name at least one task");
        }
        if (tasks.stream().filter(SimTask::pooling).count() > 1) {
            throw new IllegalArgumentException(
                    "task may name one pooling task (embed, score or classify), got " + String.join(",", names));
        }
        return Set.copyOf(tasks);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.HashSet<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    /** Route groups shared by several tasks. */
    private static final class Routes {
        static final Set<String> SCORING = Set.of("/score", "/v1/score", "/rerank", "/v1/rerank", "/v2/rerank");
    }
}
