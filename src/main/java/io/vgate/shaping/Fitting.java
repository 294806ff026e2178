package io.vgate.shaping;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vertx.core.MultiMap;
import io.vgate.api.InferenceRequest;

/**
 * What context fitting decided for one request: the edits to make to its body (the trimmed messages, the
 * clamped completion limit, the tenant's {@code cache_salt}) and the headers that tell the caller about the
 * fitting. The data path applies both; {@link #NONE} when nothing was counted or changed.
 *
 * @param promptTokens the prompt's token count when vgate counted it, else -1
 * @param messages the messages to send instead (trimmed), or {@code null} to keep them
 * @param trimmedMessages how many messages trimming dropped
 * @param maxTokens the completion limit to send instead (clamped), or -1 to keep it
 * @param maxTokensField the field that carries the completion limit ({@code max_tokens} or
 *        {@code max_completion_tokens})
 * @param adjustment {@code clamped}, {@code trimmed}, or {@code null} when the prompt and limit stay as they are
 * @param cacheSalt vLLM's {@code cache_salt} to send instead of the client's own (prefix-cache isolation), or
 *        {@code null} to leave the field alone
 */
public record Fitting(
        int promptTokens,
        ArrayNode messages,
        int trimmedMessages,
        int maxTokens,
        String maxTokensField,
        String adjustment,
        String cacheSalt) {

    /** Nothing counted, nothing changed. */
    public static final Fitting NONE = new Fitting(-1, null, 0, -1, null, null, null);

    /** The vLLM field that salts the prefix cache's block hashes. */
    static final String CACHE_SALT = "cache_salt";

    /** What context fitting changed: {@code clamped} or {@code trimmed}. */
    public static final String CONTEXT_HEADER = "X-Vgate-Context";
    /** How many messages trimming dropped. */
    public static final String TRIMMED_MESSAGES_HEADER = "X-Vgate-Trimmed-Messages";
    /** The completion limit sent to vLLM after clamping. */
    public static final String MAX_TOKENS_HEADER = "X-Vgate-Max-Tokens";
    /** The prompt's token count, when vgate counted it. */
    public static final String PROMPT_TOKENS_HEADER = "X-Vgate-Prompt-Tokens";

    static final String CLAMPED = "clamped";
    static final String TRIMMED = "trimmed";

    /** This fitting, also setting {@code cache_salt} to {@code salt}. */
    Fitting withCacheSalt(String salt) {
        return new Fitting(promptTokens, messages, trimmedMessages, maxTokens, maxTokensField, adjustment, salt);
    }

    /** Makes the edits in the request's body; a no-op when nothing changes. */
    public void applyTo(InferenceRequest request) {
        if (adjustment == null && cacheSalt == null) {
            return;
        }
        if (messages != null) {
            request.body().set("messages", messages);
            request.markModified();
        }
        if (maxTokens > 0) {
            request.set(maxTokensField, maxTokens);
        }
        if (cacheSalt != null) {
            request.set(CACHE_SALT, cacheSalt);
        }
    }

    /** Writes the {@code X-Vgate-*} headers that describe the fitting. */
    public void writeHeaders(MultiMap headers) {
        if (promptTokens >= 0) {
            headers.set(PROMPT_TOKENS_HEADER, Integer.toString(promptTokens));
        }
        if (messages != null) {
            headers.set(TRIMMED_MESSAGES_HEADER, Integer.toString(trimmedMessages));
        }
        if (maxTokens > 0) {
            headers.set(MAX_TOKENS_HEADER, Integer.toString(maxTokens));
        }
        if (adjustment != null) {
            headers.set(CONTEXT_HEADER, adjustment);
        }
    }
}
