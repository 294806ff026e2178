package io.vgate.api;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * The client-facing API ({@code vgate.api.*}).
 */
@ConfigMapping(prefix = "vgate.api")
public interface ApiConfig {

    /**
     * Largest request body accepted; larger ones get 413 before vLLM sees them. Defaults to {@code 8M},
     * room for a 128k-token prompt.
     */
    @WithDefault("8M")
    MemorySize maxBodySize();

    /**
     * Most bytes of JSON request bodies held in memory at once, counted by their declared {@code Content-Length}
     * from before the body is read until the answer ends. A request whose body would go over it gets 503
     * {@code request_bodies_full} with {@code Retry-After} before its body is read (one body is always let through
     * when none is held). A chunked body, which declares no length, is counted once it has been read, and refused
     * the same way then. A body costs a few times its size while it is read, checked and counted, so this is what
     * keeps a burst of large requests (images) from running the heap out. Defaults to an eighth of the JVM's
     * maximum heap (12M with the deployment's {@code -Xmx96m}); raise the heap and this together.
     */
    Optional<MemorySize> maxHeldBodies();

    /**
     * Largest {@code multipart/form-data} upload accepted (the audio routes); larger ones get 413, and vLLM never
     * receives a complete body. Uploads are streamed to vLLM, never held whole, and must arrive within
     * {@code body-read-timeout} once vgate starts reading them. Defaults to {@code 25M}, vLLM's own limit for
     * audio files ({@code VLLM_MAX_AUDIO_CLIP_FILESIZE_MB}).
     */
    @WithDefault("25M")
    MemorySize maxUploadSize();

    /**
     * Time allowed for a request body to arrive once its headers did; a slower client gets 408 and its
     * connection is closed, so trickled bodies (slow-loris) cannot hold connections and buffers for long.
     * Defaults to {@code 30s}.
     */
    @WithDefault("30s")
    Duration bodyReadTimeout();

    /** Most {@code messages} in one chat request; more get 400. Defaults to {@code 2048}. */
    @WithDefault("2048")
    int maxMessages();

    /** Largest {@code n} (choices per request, each a full generation on the GPU). Defaults to {@code 16}. */
    @WithDefault("16")
    int maxN();

    /**
     * Sanity ceiling of {@code max_tokens} / {@code max_completion_tokens}: larger values (and negative or
     * non-integer ones) get vgate's own 400. Values up to it are vLLM's to judge against the model's context
     * length. Defaults to {@code 1048576}.
     */
    @WithDefault("1048576")
    long maxTokensCeiling();
}
