package io.vgate.shaping;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vgate.api.ApiError;

/** What fitting decided: the exact prompt count if taken, and the edits, or the error. */
record FitOutcome(int promptTokens, ArrayNode messages, int trimmedMessages, int maxTokens, ApiError error) {

    static FitOutcome fits(int promptTokens) {
        return new FitOutcome(promptTokens, null, 0, -1, null);
    }

    static FitOutcome clamp(int promptTokens, int maxTokens) {
        return new FitOutcome(promptTokens, null, 0, maxTokens, null);
    }
}
