package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the prompt of a request as vLLM's request models do: chat {@code messages} (text content only), completion
 * {@code prompt} and embedding {@code input} as text or token ids. Shape errors are collected on the
 * {@link RequestReader} with pydantic's wording and locations.
 */
final class PromptReader {

    private PromptReader() {}

    static List<SimTokenizer.Message> messages(RequestReader r) {
        JsonNode node = r.raw("messages");
        List<SimTokenizer.Message> out = new ArrayList<>();
        if (node == null) {
            if (r.present("messages")) {
                r.error("list_type", "Input should be a valid list", null, "messages");
            } else {
                r.error("missing", "Field required", r.body(), "messages");
            }
            return out;
        }
        if (!node.isArray()) {
            r.error("list_type", "Input should be a valid list", node, "messages");
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                r.error("dict_type", "Input should be a valid dictionary", m, "messages", i);
                continue;
            }
            JsonNode role = m.get("role");
            if (role == null) {
                r.error("missing", "Field required", m, "messages", i, "role");
                continue;
            }
            if (!role.isTextual()) {
                r.error("string_type", "Input should be a valid string", role, "messages", i, "role");
                continue;
            }
            out.add(new SimTokenizer.Message(role.textValue(), content(r, m.get("content"), i)));
        }
        return out;
    }

    /** Message content as text: a string, or its text parts joined by newlines (other parts are ignored). */
    private static String content(RequestReader r, JsonNode content, int index) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < content.size(); k++) {
                JsonNode part = content.get(k);
                if (part.isTextual()) {
                    append(sb, part.textValue());
                } else if (part.isObject()) {
                    JsonNode text = part.get("text");
                    String type = part.path("type").asText("text");
                    if ((type.equals("text") || type.equals("input_text")) && text != null && text.isTextual()) {
                        append(sb, text.textValue());
                    }
                } else {
                    r.error("dict_type", "Input should be a valid dictionary", part, "messages", index, "content", k);
                }
            }
            return sb.toString();
        }
        r.error("string_type", "Input should be a valid string", content, "messages", index, "content");
        return "";
    }

    private static void append(StringBuilder sb, String text) {
        if (!sb.isEmpty()) {
            sb.append('\n');
        }
        sb.append(text);
    }

    /** A completion prompt or embedding input: text, or token ids. */
    static final class Prompt {
        final String text;
        final int[] ids;
        int tokens;

        Prompt(String text, int[] ids) {
            this.text = text;
            this.ids = ids;
        }

        String text() {
            if (text != null) {
                return text;
            }
            try {
                return SimTokenizer.instance().decode(ids);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
    }

    static List<Prompt> prompts(RequestReader r) {
        if (!r.present("prompt")) {
            r.error("missing", "Field required", r.body(), "prompt");
            return List.of();
        }
        List<Prompt> out = promptList(r, r.raw("prompt"), "prompt");
        return out.size() == 1 && out.get(0).text != null && out.get(0).text.isEmpty() ? List.of() : out;
    }

    static List<Prompt> embeddingInputs(RequestReader r) {
        if (!r.present("input")) {
            r.error("missing", "Field required", r.body(), "input");
            return List.of();
        }
        JsonNode input = r.raw("input");
        if (input == null) {
            r.error("string_type", "Input should be a valid string", null, "input");
            return List.of();
        }
        return promptList(r, input, "input");
    }

    /** {@code str | list[str] | list[int] | list[list[int]]}. */
    private static List<Prompt> promptList(RequestReader r, JsonNode node, String field) {
        List<Prompt> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isTextual()) {
            out.add(new Prompt(node.textValue(), null));
            return out;
        }
        if (!node.isArray()) {
            r.error("string_type", "Input should be a valid string", node, field);
            return out;
        }
        if (node.isEmpty()) {
            return out;
        }
        JsonNode first = node.get(0);
        if (first.isIntegralNumber()) {
            out.add(new Prompt(null, ids(r, node, field)));
        } else if (first.isTextual()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isTextual()) {
                    r.error("string_type", "Input should be a valid string", item, field, i);
                    return List.of();
                }
                out.add(new Prompt(item.textValue(), null));
            }
        } else if (first.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isArray()) {
                    r.error("list_type", "Input should be a valid list", item, field, i);
                    return List.of();
                }
                out.add(new Prompt(null, ids(r, item, field)));
            }
        } else {
            r.error("string_type", "Input should be a valid string", first, field, 0);
        }
        return out;
    }

    private static int[] ids(RequestReader r, JsonNode array, String field) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            Long v = r.toLong(array.get(i), field, i);
            ids[i] = v == null ? 0 : (int) Math.max(0, Math.min(Integer.MAX_VALUE, v));
        }
        return ids;
    }
}
