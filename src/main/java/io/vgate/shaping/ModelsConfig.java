package io.vgate.shaping;

import io.smallrye.config.ConfigMapping;
import java.util.Map;

/** The model names vgate accepts besides the ones vLLM serves ({@code vgate.models.*}). */
@ConfigMapping(prefix = "vgate.models")
public interface ModelsConfig {

    /**
     * Model aliases: a request naming the key is sent to vLLM for the value, a served model or LoRA adapter
     * (e.g. {@code vgate.models.aliases."claude-sonnet-4-5"=qwen3-32b}, for Anthropic clients that send
     * Anthropic's names). The {@code model} field is rewritten in the body, so vLLM's answer names the served model.
     * Aliases are not listed by {@code /v1/models}, which shows what vLLM serves. Defaults to none.
     */
    Map<String, String> aliases();
}
