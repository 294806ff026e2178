package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * vLLM's checks of a request after its fields were read, in vLLM's order and with its wording: the model name, stream
 * options, the context length, and {@code SamplingParams._verify_args}. Each failure throws the {@link SimError} vLLM
 * answers with.
 */
final class VllmValidation {

    /** vLLM's default {@code VLLM_MAX_N_SEQUENCES}. */
    private static final int MAX_N = 16384;

    private final SimSettings settings;
    private final List<String> servedNames;
    private final LoraAdapters adapters;

    VllmValidation(SimSettings settings, List<String> servedNames) {
        this(settings, servedNames, new LoraAdapters());
    }

    VllmValidation(SimSettings settings, List<String> servedNames, LoraAdapters adapters) {
        this.settings = settings;
        this.servedNames = List.copyOf(servedNames);
        this.adapters = adapters;
    }

    void checkModel(String model) {
        if (!knownModel(model)) {
            throw SimError.modelNotFound(model);
        }
    }

    /** Whether {@code model} is absent (the base model), a served name or a loaded LoRA adapter. */
    boolean knownModel(String model) {
        return model == null || model.isEmpty() || servedNames.contains(model) || adapters.contains(model);
    }

    /** The {@code model} an answer names: a loaded LoRA adapter by its own name, else the first served name. */
    String answerModel(String requested) {
        return requested != null && adapters.contains(requested) ? requested : servedNames.get(0);
    }

    static void checkStreamOptions(JsonNode streamOptions, boolean stream) {
        // vLLM tests the raw dict's truthiness: an empty object passes.
        if (streamOptions != null && !(streamOptions.isObject() && streamOptions.isEmpty()) && !stream) {
            throw SimError.validation("Stream options can only be defined when `stream=True`.", "stream_options", null);
        }
    }

    /**
     * The context-length check (vLLM's renderer wording, newest release). A prompt at or over the context length
     * reports {@code input_tokens}; a prompt that fits but leaves too little room for the requested output reports
     * the output parameter. Like vLLM, which stops tokenizing one token past the limit, the count says "at least".
     */
    void checkContext(int promptTokens, Integer requested, String outputParam) {
        int maxLen = settings.maxModelLen();
        if (requested != null && requested > maxLen) {
            throw SimError.validation(
                    outputParam + "=" + requested + " cannot be greater than max_model_len" + "=max_total_tokens="
                            + maxLen + ". Please request fewer output tokens.",
                    outputParam,
                    requested);
        }
        int output = requested == null ? 0 : Math.max(0, requested);
        if (promptTokens < maxLen && promptTokens + output <= maxLen) {
            return;
        }
        int maxInput = maxLen - output;
        int reported = Math.min(promptTokens, maxInput + 1);
        String qualifier = reported == maxInput + 1 ? "at least " : "";
        String message = "This model's maximum context length is " + maxLen + " tokens. However, you requested "
                + output + " output tokens and your prompt contains " + qualifier + reported
                + " input tokens, for a total of " + qualifier + (reported + output)
                + " tokens. Please reduce the length of the input prompt or the number of requested output tokens.";
        if (promptTokens >= maxLen) {
            throw SimError.validation(message, "input_tokens", reported);
        }
        throw SimError.validation(message, outputParam, output);
    }

    /** {@code SamplingParams._verify_args}, in vLLM's order. */
    static void checkSampling(Sampling sampling, int maxTokens) {
        int n = sampling.choices();
        Double temperature = sampling.temperature();
        Double topP = sampling.topP();
        Double presencePenalty = sampling.presencePenalty();
        Double frequencyPenalty = sampling.frequencyPenalty();
        String[] stop = sampling.stop();
        if (n < 1) {
            throw SimError.validation("n must be at least 1, got " + n + ".", null, null);
        }
        if (n > MAX_N) {
            throw SimError.validation(
                    "n must be at most " + MAX_N + ", got " + n + ". To increase this limit, set "
                            + "the VLLM_MAX_N_SEQUENCES environment variable.",
                    null,
                    null);
        }
        if (presencePenalty != null && !(presencePenalty >= -2.0 && presencePenalty <= 2.0)) {
            throw SimError.validation(
                    "presence_penalty must be in [-2, 2], got " + Json.pyFloat(presencePenalty) + ".", null, null);
        }
        if (frequencyPenalty != null && !(frequencyPenalty >= -2.0 && frequencyPenalty <= 2.0)) {
            throw SimError.validation(
                    "frequency_penalty must be in [-2, 2], got " + Json.pyFloat(frequencyPenalty) + ".", null, null);
        }
        if (temperature != null) {
            String t = Json.pyFloat(temperature);
            if (!Double.isFinite(temperature)) {
                throw SimError.validation(
                        "temperature must be a finite number, got " + t + ".", "temperature", temperature);
            }
            if (temperature < 0.0) {
                throw SimError.validation(
                        "temperature must be non-negative, got " + t + ".", "temperature", temperature);
            }
            if (temperature > 2.0) {
                throw SimError.validation("temperature must be in [0, 2], got " + t + ".", "temperature", temperature);
            }
        }
        if (topP != null && !(topP > 0.0 && topP <= 1.0)) {
            throw SimError.validation("top_p must be in (0, 1], got " + Json.pyFloat(topP) + ".", "top_p", topP);
        }
        if (maxTokens < 1) {
            throw SimError.validation("max_tokens must be at least 1, got " + maxTokens + ".", "max_tokens", maxTokens);
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                throw SimError.validation("stop cannot contain an empty string.", null, null);
            }
        }
        if (temperature != null && temperature < 1e-5 && n > 1) {
            throw SimError.validation("n must be 1 when using greedy sampling, got " + n + ".", null, null);
        }
    }
}
