package io.vgate.shaping;

import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;

/**
 * Everything about one request that fitting needs: its policy, how much completion it asks for and
 * through which field.
 */
record FitJob(
        InferenceRequest request,
        ContextPolicy policy,
        boolean chat,
        String field,
        Integer requested,
        int minCompletion) {

    /** Returns {@code null} when the request is for vLLM to judge (odd values, no prompt to count). */
    static FitJob of(InferenceRequest request, ContextPolicy policy, int minCompletion) {
        // Responses and Anthropic Messages prompts are counted in chat form, and only clamped, never trimmed.
        boolean converted = request.convertedPrompt();
        boolean chat = request.route() == ApiRoute.CHAT_COMPLETIONS || converted;
        // A chat's messages and a completion's prompt are there: the parser requires them.
        if (converted && request.messages() == null) {
            return null;
        }
        String field = null;
        if (converted) {
            field = request.tokenCount(request.completionLimitField()) >= 0 ? request.completionLimitField() : null;
        } else if (chat && request.tokenCount("max_completion_tokens") >= 0) {
            field = "max_completion_tokens";
        } else if (request.tokenCount("max_tokens") >= 0) {
            field = "max_tokens";
        }
        Integer requested = null;
        if (field != null) {
            long value = request.tokenCount(field);
            if (value < 1 || value > Integer.MAX_VALUE) {
                return null;
            }
            requested = (int) value;
        } else if (!chat) {
            requested = ContextFitter.COMPLETIONS_DEFAULT_MAX_TOKENS;
        }
        return new FitJob(
                request, chat && !converted ? policy : ContextPolicy.CLAMP, chat, field, requested, minCompletion);
    }

    /** The completion the request needs room for to go through unchanged. */
    int want() {
        if (requested != null) {
            return requested;
        }
        return policy == ContextPolicy.TRIM ? minCompletion : 1;
    }

    /** The completion trimming must leave room for. */
    int budget() {
        return requested == null ? minCompletion : Math.min(requested, minCompletion);
    }
}
