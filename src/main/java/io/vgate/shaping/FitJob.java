package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
        ObjectNode body = request.body();
        // Responses and Anthropic Messages prompts are counted in chat form, and only clamped, never trimmed.
        boolean converted = request.convertedPrompt();
        boolean chat = request.route() == ApiRoute.CHAT_COMPLETIONS || converted;
        if (chat ? request.messages() == null : body.get("prompt") == null) {
            return null;
        }
        String field = null;
        if (converted) {
            field = present(body, request.completionLimitField()) ? request.completionLimitField() : null;
        } else if (chat && present(body, "max_completion_tokens")) {
            field = "max_completion_tokens";
        } else if (present(body, "max_tokens")) {
            field = "max_tokens";
        }
        Integer requested = null;
        if (field != null) {
            JsonNode value = body.get(field);
            if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1) {
                return null;
            }
            requested = value.asInt();
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

    private static boolean present(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        return value != null && !value.isNull();
    }
}
