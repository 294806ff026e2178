package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vgate.upstream.VllmClient;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Counts a prompt's tokens with vLLM's own {@code /tokenize}, so the chat template counts: builds the
 * tokenize request (chat form with the fields that shape the template, tool definitions included, or the
 * completion prompt) and reads the count. Media parts are left out of the tokenize request and counted by
 * {@link MediaTokens} instead. Several completion prompts are counted each, and the longest decides. A
 * failure is not an error: the count is "unknown" ({@code null}) and the request goes on unchanged.
 */
final class PromptCounter {

    private static final Logger LOG = Logger.getLogger(PromptCounter.class);
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;
    /** Fields of a chat request that change how its template renders, so {@code /tokenize} needs them too. */
    private static final String[] TEMPLATE_FIELDS = {
        "tools",
        "chat_template",
        "chat_template_kwargs",
        "add_generation_prompt",
        "continue_final_message",
        "add_special_tokens",
        "documents"
    };

    private final VllmClient vllm;
    private final MediaTokens media;
    private volatile long lastWarning;

    PromptCounter(VllmClient vllm, MediaTokens media) {
        this.vllm = vllm;
        this.media = media;
    }

    // -- counting ---------------------------------------------------------------------------------

    /**
     * The prompt's token count from vLLM's {@code /tokenize}: chat form with {@code messages} (and the fields
     * that shape the template), plus the media parts' tokens, or the completion prompt. Completes with
     * {@code null} if vLLM cannot say.
     */
    Uni<Integer> count(FitJob job, ArrayNode messages) {
        ObjectNode body = job.request().body();
        if (!job.chat()) {
            return countPrompt(job.request().model(), body.get("prompt"), body.get("add_special_tokens"));
        }
        long mediaTokens = media.ofMessages(messages);
        Uni<Integer> text = tokenize(chatTokenizeRequest(job, messages));
        return mediaTokens == 0
                ? text
                : text.map(count -> count == null ? null : (int) Math.min(Integer.MAX_VALUE, count + mediaTokens));
    }

    /**
     * The chat form of {@code /tokenize} for {@code messages}: the request's model, the messages without their
     * media parts (an image is a single placeholder in the template's text, and vLLM would fetch and decode it
     * for nothing), and the fields that change how the template renders, {@code tools} among them.
     */
    static ObjectNode chatTokenizeRequest(FitJob job, ArrayNode messages) {
        ObjectNode body = job.request().body();
        ObjectNode tokenize = JsonNodeFactory.instance.objectNode();
        if (job.request().model() != null) {
            tokenize.put("model", job.request().model());
        }
        tokenize.set("messages", MediaTokens.withoutMedia(messages));
        for (String field : TEMPLATE_FIELDS) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                tokenize.set(field, value);
            }
        }
        return tokenize;
    }

    private Uni<Integer> countPrompt(String model, JsonNode prompt, JsonNode addSpecialTokens) {
        if (prompt.isTextual()) {
            ObjectNode tokenize = JsonNodeFactory.instance.objectNode();
            if (model != null) {
                tokenize.put("model", model);
            }
            tokenize.set("prompt", prompt);
            if (addSpecialTokens != null && addSpecialTokens.isBoolean()) {
                tokenize.set("add_special_tokens", addSpecialTokens);
            }
            return tokenize(tokenize);
        }
        if (prompt.isArray() && !prompt.isEmpty()) {
            if (prompt.get(0).isNumber()) {
                return Uni.createFrom().item(prompt.size());
            }
            // Several prompts: each is its own sequence, so the longest decides.
            List<Uni<Integer>> counts = new ArrayList<>(prompt.size());
            for (JsonNode one : prompt) {
                counts.add(countPrompt(model, one, addSpecialTokens));
            }
            return Uni.join().all(counts).andFailFast().map(all -> {
                int longest = 0;
                for (Integer count : all) {
                    if (count == null) {
                        return null;
                    }
                    longest = Math.max(longest, count);
                }
                return longest;
            });
        }
        return Uni.createFrom().nullItem();
    }

    private Uni<Integer> tokenize(ObjectNode request) {
        return vllm.tokenize(request)
                .map(answer -> answer.path("count").canConvertToInt()
                        ? answer.path("count").asInt()
                        : null)
                .onFailure()
                .recoverWithItem(failure -> {
                    long now = System.nanoTime();
                    if (now - lastWarning > WARN_EVERY_NANOS) {
                        lastWarning = now;
                        LOG.warnf(
                                "vLLM's /tokenize failed (%s); requests go on without context fitting",
                                failure.toString());
                    }
                    return null;
                });
    }
}
