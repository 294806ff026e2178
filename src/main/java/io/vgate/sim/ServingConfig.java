package io.vgate.sim;

import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

/**
 * How the simulated {@code vllm serve} was started beyond the engine's limits: which task the model serves (and so
 * which routes exist), its API key, runtime LoRA loading, prefix caching and the audio upload limit. Keys live under
 * {@code vgate.simulator.serving.*}; every value can also be changed while the simulator runs ({@link ServingSettings},
 * or {@code "serving"} in {@code POST /sim/settings}).
 */
public interface ServingConfig {

    /**
     * The model's task, which decides the routes it serves, as vLLM registers them: {@code generate} (chat,
     * completions, responses, messages), {@code embed} ({@code /v1/embeddings}, {@code /v2/embed}, {@code /pooling},
     * score and rerank by cosine similarity), {@code score} (a cross-encoder: score, rerank, {@code /classify},
     * {@code /pooling}), {@code classify} (a two-label classifier: {@code /classify}, {@code /pooling}) or
     * {@code transcription} ({@code /v1/audio/transcriptions} and {@code /translations}). A list serves the union
     * (at most one pooling task), as a model that supports several tasks does. Other task routes answer FastAPI's 404
     * {@code {"detail":"Not Found"}}.
     * <p>Defaults to {@code generate}.</p>
     */
    @WithDefault("generate")
    List<String> task();

    /**
     * Keys the server requires, like {@code vllm serve --api-key} (or {@code VLLM_API_KEY}): every request to a path
     * under {@code /v1}, {@code /v2}, {@code /inference} or {@code /cohere} (except {@code OPTIONS}) must carry
     * {@code Authorization: Bearer <key>}, else it gets 401 {@code {"error":"Unauthorized"}}; the other routes stay
     * open, as in vLLM.
     * <p>Defaults to none (no authentication).</p>
     */
    Optional<List<String>> apiKey();

    /**
     * Plays {@code VLLM_ALLOW_RUNTIME_LORA_UPDATING=true} (with {@code --enable-lora}): serves
     * {@code /v1/load_lora_adapter} and {@code /v1/unload_lora_adapter}; loaded adapters are listed by
     * {@code /v1/models} and accepted as {@code model}.
     * <p>Defaults to {@code false} (both routes answer 404).</p>
     */
    @WithDefault("false")
    boolean allowRuntimeLoraUpdating();

    /**
     * Automatic prefix caching, on by default in vLLM V1: prompts that share whole 16-token blocks with an earlier
     * prompt (and the same {@code cache_salt}) skip their prefill, which shortens the time to first token and counts
     * in {@code vllm:prefix_cache_hits_total}.
     * <p>Defaults to {@code true}.</p>
     */
    @WithDefault("true")
    boolean enablePrefixCaching();

    /**
     * Largest audio upload in MB, vLLM's {@code VLLM_MAX_AUDIO_CLIP_FILESIZE_MB}: a larger one is read to its end
     * (never held in memory) and answered 400.
     * <p>Defaults to {@code 25}.</p>
     */
    @WithDefault("25")
    int maxAudioClipFilesizeMb();
}
