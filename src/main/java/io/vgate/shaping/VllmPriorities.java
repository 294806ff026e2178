package io.vgate.shaping;

import io.vgate.api.InferenceRequest;
import java.util.Map;

/**
 * The {@code priority} value vLLM is sent for each priority class when {@code vgate.shaping.priority.to-vllm}
 * is on: the class's entry in {@code priority.vllm-values}, else its position in {@code priority.classes}
 * ({@code 0} for the highest). vLLM started with {@code --scheduling-policy priority} serves lower values first
 * and preempts the highest value first, so batch requests already running yield to interactive ones inside
 * vLLM's batch too. Immutable.
 */
final class VllmPriorities {

    /** The body field vLLM reads on chat, completions and pooling requests. */
    static final String FIELD = "priority";

    /** The value per class rank, or {@code null} when priorities are not sent. */
    private final int[] values;

    VllmPriorities(ShapingConfig.Priority config, PriorityClasses classes) {
        if (!config.toVllm()) {
            this.values = null;
            return;
        }
        Map<String, Integer> configured = config.vllmValues();
        this.values = new int[classes.count()];
        for (int rank = 0; rank < classes.count(); rank++) {
            values[rank] = configured.getOrDefault(classes.name(rank), rank);
        }
    }

    /** True when requests are sent with vLLM's {@code priority}. */
    boolean enabled() {
        return values != null;
    }

    /** The value sent for class {@code rank}. */
    int value(int rank) {
        return values[rank];
    }

    /**
     * Sets vLLM's {@code priority} in the body of {@code request} for class {@code rank}, replacing any the client
     * sent; a no-op when priorities are not sent or the request has no body.
     */
    void applyTo(InferenceRequest request, int rank) {
        if (values == null || !request.hasBody()) {
            return;
        }
        request.set(FIELD, values[rank]);
    }
}
