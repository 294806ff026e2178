package io.vgate.shaping;

/** What context fitting does with a request that does not fit the model's context window. */
public enum ContextPolicy {
    /** Nothing: vLLM answers 400 itself. */
    OFF,
    /** Lower {@code max_tokens} / {@code max_completion_tokens} to the room the prompt leaves. */
    CLAMP,
    /**
     * Drop the oldest non-system turns (never the last user turn, never a tool call without its results) until
     * the prompt leaves room for a minimum completion, then clamp.
     */
    TRIM
}
