package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.List;

/** {@code POST /tokenize} and {@code POST /detokenize}, with the simulator's tokenizer. */
final class TokenizeRoutes {

    private final SimSettings settings;
    private final VllmValidation validation;
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    TokenizeRoutes(SimSettings settings, VllmValidation validation) {
        this.settings = settings;
        this.validation = validation;
    }

    void tokenize(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String model = r.optString("model");
        boolean tokenStrs = r.bool("return_token_strs", false);
        int[] ids;
        if (r.present("messages")) {
            List<SimTokenizer.Message> messages = PromptReader.messages(r);
            boolean addGenerationPrompt = r.bool("add_generation_prompt", true);
            boolean continueFinal = r.bool("continue_final_message", false);
            boolean addSpecial = r.bool("add_special_tokens", false);
            r.throwIfInvalid();
            validation.checkModel(model);
            String prompt = tokenizer.renderChat(messages, addGenerationPrompt && !continueFinal, continueFinal);
            ids = tokenizer.encode(prompt, addSpecial);
            // The template renders tool definitions and earlier calls too, counted as the chat route counts them.
            String templated = (r.present("tools") ? ToolPlan.read(r).promptText() : "")
                    + ChatPlan.assistantCalls(r.raw("messages"));
            if (!templated.isEmpty()) {
                int[] more = tokenizer.encode(templated, false);
                int[] all = Arrays.copyOf(ids, ids.length + more.length);
                System.arraycopy(more, 0, all, ids.length, more.length);
                ids = all;
            }
        } else {
            JsonNode prompt = r.raw("prompt");
            boolean addSpecial = r.bool("add_special_tokens", true);
            if (!r.present("prompt")) {
                r.error("missing", "Field required", r.body(), "prompt");
            } else if (prompt == null || !prompt.isTextual()) {
                r.error("string_type", "Input should be a valid string", prompt, "prompt");
            }
            r.throwIfInvalid();
            validation.checkModel(model);
            ids = tokenizer.encode(prompt.textValue(), addSpecial);
        }
        StringBuilder sb = new StringBuilder(64 + ids.length * 8);
        sb.append("{\"count\":")
                .append(ids.length)
                .append(",\"max_model_len\":")
                .append(settings.maxModelLen())
                .append(",\"tokens\":[");
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(ids[i]);
        }
        sb.append("],\"token_strs\":");
        if (tokenStrs) {
            sb.append('[');
            List<String> strs = tokenizer.tokenStrings(ids);
            for (int i = 0; i < strs.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.str(sb, strs.get(i));
            }
            sb.append(']');
        } else {
            sb.append("null");
        }
        rc.response()
                .putHeader("content-type", SimRoutes.JSON)
                .end(sb.append('}').toString());
    }

    void detokenize(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String model = r.optString("model");
        JsonNode tokens = r.raw("tokens");
        int[] ids = null;
        if (tokens == null) {
            r.error("missing", "Field required", r.body(), "tokens");
        } else if (!tokens.isArray()) {
            r.error("list_type", "Input should be a valid list", tokens, "tokens");
        } else {
            ids = new int[tokens.size()];
            for (int i = 0; i < ids.length; i++) {
                Long id = r.toLong(tokens.get(i), "tokens", i);
                ids[i] = id == null ? 0 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, id));
            }
        }
        r.throwIfInvalid();
        validation.checkModel(model);
        String text;
        try {
            text = tokenizer.decode(ids);
        } catch (IllegalArgumentException e) {
            throw SimError.validation("Token id " + e.getMessage() + " is out of vocabulary.", "tokens", null);
        }
        StringBuilder sb = new StringBuilder(text.length() + 16).append("{\"prompt\":");
        rc.response()
                .putHeader("content-type", SimRoutes.JSON)
                .end(Json.str(sb, text).append('}').toString());
    }
}
