package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The media items of a chat request's messages ({@code image_url}, {@code input_audio}, {@code audio_url},
 * {@code video_url} parts) and the prompt tokens their placeholders take, a fixed number per item and modality as for
 * a model of fixed input resolution.
 *
 * @param images image items
 * @param audios audio items
 * @param videos video items
 */
record MediaParts(int images, int audios, int videos) {

    /** Placeholder tokens per image (a 336-pixel ViT-L/14 encoder, as LLaVA-style models use). */
    static final int TOKENS_PER_IMAGE = 576;
    /** Placeholder tokens per audio clip (about 7.5 seconds at Qwen2-Audio's 25 tokens per second). */
    static final int TOKENS_PER_AUDIO = 188;
    /** Placeholder tokens per video (16 frames of 64 tokens). */
    static final int TOKENS_PER_VIDEO = 1024;

    static final MediaParts NONE = new MediaParts(0, 0, 0);

    /** Counts the media parts of every message; type errors of a part are recorded in {@code r}. */
    static MediaParts count(RequestReader r) {
        JsonNode messages = r.raw("messages");
        if (messages == null || !messages.isArray()) {
            return NONE;
        }
        int images = 0;
        int audios = 0;
        int videos = 0;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode content = messages.get(i).path("content");
            if (!content.isArray()) {
                continue;
            }
            for (int k = 0; k < content.size(); k++) {
                JsonNode part = content.get(k);
                String type = part.path("type").asText("");
                String field = switch (type) {
                    case "image_url", "input_audio", "audio_url", "video_url", "image_embeds", "audio_embeds" -> type;
                    default -> null;
                };
                if (field == null) {
                    continue;
                }
                JsonNode value = part.get(field);
                if (value == null || value.isNull()) {
                    if (part.has("uuid")) {
                        // A cached item referred to by its uuid alone still takes its placeholder.
                        value = part.get("uuid");
                    } else {
                        r.error("missing", "Field required", part, "messages", i, "content", k, field);
                        continue;
                    }
                }
                switch (type) {
                    case "image_url", "image_embeds" -> images++;
                    case "video_url" -> videos++;
                    default -> audios++;
                }
            }
        }
        return images + audios + videos == 0 ? NONE : new MediaParts(images, audios, videos);
    }

    boolean any() {
        return images + audios + videos > 0;
    }

    /** Prompt tokens of all placeholders. */
    int tokens() {
        return images * TOKENS_PER_IMAGE + audios * TOKENS_PER_AUDIO + videos * TOKENS_PER_VIDEO;
    }

    /**
     * vLLM's check against the served model.
     *
     * @param multimodal whether the simulated model takes media
     * @param model the served model name, named in the error
     * @throws SimError 400 {@code "<model> is not a multimodal model"} for a text-only model
     */
    void check(boolean multimodal, String model) {
        if (any() && !multimodal) {
            throw SimError.badRequest(model + " is not a multimodal model");
        }
    }
}
