package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The sampling and streaming fields chat and text completions share, read in the order vLLM's request
 * models declare them (so that the first invalid one is the one reported).
 */
record Sampling(
        Integer maxTokens,
        Integer n,
        Double temperature,
        Double topP,
        Double presencePenalty,
        Double frequencyPenalty,
        boolean stream,
        JsonNode streamOptions,
        boolean includeUsage,
        boolean continuousUsage,
        Long seed,
        String[] stop,
        boolean ignoreEos,
        boolean includeStopStr) {

    static Sampling read(RequestReader r) {
        Integer maxTokens = r.optInt("max_tokens");
        Integer n = r.optInt("n");
        Double temperature = r.optDouble("temperature");
        Double topP = r.optDouble("top_p");
        Double presencePenalty = r.optDouble("presence_penalty");
        Double frequencyPenalty = r.optDouble("frequency_penalty");
        boolean stream = r.bool("stream", false);
        JsonNode streamOptions = r.raw("stream_options");
        boolean includeUsage = streamOptions != null && streamOption(r, streamOptions, "include_usage", true);
        boolean continuousUsage = includeUsage && streamOption(r, streamOptions, "continuous_usage_stats", false);
        return new Sampling(
                maxTokens,
                n,
                temperature,
                topP,
                presencePenalty,
                frequencyPenalty,
                stream,
                streamOptions,
                includeUsage,
                continuousUsage,
                r.optLong("seed"),
                r.stopList("stop"),
                r.bool("ignore_eos", false),
                r.bool("include_stop_str_in_output", false));
    }

    int choices() {
        return n == null ? 1 : n;
    }

    /** The job's streaming flags and the parameters its metrics report. */
    void applyTo(GenerationRequest job, int effectiveMaxTokens) {
        job.stream = stream;
        job.includeUsage = stream && includeUsage;
        job.continuousUsage = stream && continuousUsage;
        job.paramN = choices();
        job.paramMaxTokens = effectiveMaxTokens;
        job.stops = stop;
        job.includeStopStr = includeStopStr;
    }

    private static boolean streamOption(RequestReader r, JsonNode options, String field, boolean defaultValue) {
        if (!options.isObject()) {
            r.error(
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                    options,
                    "stream_options");
            return false;
        }
        JsonNode v = options.get(field);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        Boolean b = r.toBool(v, "stream_options", field);
        return b == null ? defaultValue : b;
    }
}
