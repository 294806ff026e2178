package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the media parts of a chat ({@code image_url}, {@code input_audio}, {@code audio_url},
 * {@code video_url} and the {@code *_embeds} forms) take of the context window: a fixed number of tokens per
 * item and modality, as for a model of fixed input resolution.
 * <p>
 * vLLM's {@code /tokenize} renders the chat template to text, where an image is one placeholder token; the
 * model's processor expands it to the image's real size only when the request runs. So context fitting never
 * sends media to {@code /tokenize} (which would also fetch and decode every image): it counts the messages
 * without them and adds these numbers instead.
 *
 * @param image tokens per image
 * @param audio tokens per audio clip
 * @param video tokens per video
 */
record MediaTokens(int image, int audio, int video) {

    /** The tokens of the media parts of one message's {@code content}; 0 for text. */
    long of(JsonNode content) {
        if (content == null || !content.isArray()) {
            return 0;
        }
        long tokens = 0;
        for (JsonNode part : content) {
            tokens += tokensOf(part);
        }
        return tokens;
    }

    /** The tokens of the media parts of every message. */
    long ofMessages(ArrayNode messages) {
        long tokens = 0;
        for (JsonNode message : messages) {
            tokens += of(message.get("content"));
        }
        return tokens;
    }

    private long tokensOf(JsonNode part) {
        return switch (part.path("type").asText("")) {
            case "image_url", "image_embeds" -> image;
            case "input_audio", "audio_url", "audio_embeds" -> audio;
            case "video_url" -> video;
            default -> 0;
        };
    }

    /** True for a content part that is an image, an audio clip or a video. */
    static boolean isMedia(JsonNode part) {
        return switch (part.path("type").asText("")) {
            case "image_url", "image_embeds", "input_audio", "audio_url", "audio_embeds", "video_url" -> true;
            default -> false;
        };
    }

    /** True for a content part that is text. */
    static boolean isText(JsonNode part) {
        return part.isTextual() || "text".equals(part.path("type").asText());
    }

    /** True when some message has a media part. */
    static boolean any(ArrayNode messages) {
        for (JsonNode message : messages) {
            JsonNode content = message.get("content");
            if (content != null && content.isArray()) {
                for (JsonNode part : content) {
                    if (isMedia(part)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /**
     * The messages with their media parts left out (text parts kept, in order; a content left empty becomes
     * {@code ""}), for {@code /tokenize}. Returns {@code messages} itself when none has media; never edits it.
     */
    static ArrayNode withoutMedia(ArrayNode messages) {
        if (!any(messages)) {
            return messages;
        }
        ArrayNode out = JsonNodeFactory.instance.arrayNode(messages.size());
        for (JsonNode message : messages) {
            JsonNode content = message.get("content");
            if (!(message instanceof ObjectNode object) || content == null || !content.isArray()) {
                out.add(message);
                continue;
            }
            ArrayNode kept = JsonNodeFactory.instance.arrayNode(content.size());
            for (JsonNode part : content) {
                if (!isMedia(part)) {
                    kept.add(part);
                }
            }
            if (kept.size() == content.size()) {
                out.add(message);
                continue;
            }
            // A shallow copy: the other fields are shared, never edited.
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            copy.setAll(object);
            if (kept.isEmpty()) {
                copy.put("content", "");
            } else {
                copy.set("content", kept);
            }
            out.add(copy);
        }
        return out;
    }
}
