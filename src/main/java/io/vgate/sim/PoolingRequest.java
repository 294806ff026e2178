package io.vgate.sim;

/**
 * The fields every pooling request shares (vLLM's {@code PoolingBasicRequestMixin}), read and checked in vLLM's order
 * by {@link #read}; the rerank, score, classify and pooling routes ({@link ScoreRoutes}, {@link PoolingRoutes}) start
 * from it.
 *
 * @param model the requested model name, as sent
 * @param truncate the prompt tokens to keep ({@code -1} resolved to the model's length); null keeps them all
 * @param useActivation whether a score or class logit goes through its activation (sigmoid, softmax)
 */
record PoolingRequest(String model, Integer truncate, boolean useActivation) {

    /** Reads the shared fields and runs the checks every pooling route makes, in vLLM's order. */
    static PoolingRequest read(RequestReader r, VllmValidation validation, SimSettings settings) {
        String model = r.optString("model");
        Long truncate = r.optLong("truncate_prompt_tokens");
        if (truncate != null && truncate < -1) {
            r.error(
                    "greater_than_equal",
                    "Input should be greater than or equal to -1",
                    r.raw("truncate_prompt_tokens"),
                    "truncate_prompt_tokens");
        }
        r.optLong("priority");
        boolean useActivation = r.bool("use_activation", true);
        r.throwIfInvalid();
        CacheSalt.read(r);
        if (r.has("normalize")) {
            throw SimError.badRequest("Parameter `normalize` was removed; use `use_activation` instead.");
        }
        if (!validation.knownModel(model)) {
            // The pooling routes find an unknown model while looking for its adapter: no param.
            throw new SimError(404, "NotFoundError", "The model `" + model + "` does not exist.", null);
        }
        Integer truncateTokens = null;
        if (truncate != null) {
            if (truncate > settings.maxModelLen()) {
                throw SimError.badRequest("truncate_prompt_tokens value is greater than max_model_len. Please request"
                        + " a smaller truncation size.");
            }
            truncateTokens = truncate == -1 ? settings.maxModelLen() : truncate.intValue();
        }
        return new PoolingRequest(model, truncateTokens, useActivation);
    }

    /** A one-logit head's output: its sigmoid, or the raw logit when the request turned activation off. */
    double activated(double logit) {
        return useActivation ? 1 / (1 + Math.exp(-logit)) : logit;
    }
}
