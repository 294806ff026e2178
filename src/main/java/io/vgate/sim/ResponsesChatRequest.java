package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * A Responses API request as the chat request vLLM renders it ({@link ResponsesRoutes} generates that with the chat
 * path): the input items as messages (message items, function calls and their outputs; reasoning items dropped),
 * function tools, tool choice, the text format, reasoning effort and the sampling fields, with the instructions and
 * the stored conversation of a follow-up in front.
 */
final class ResponsesChatRequest {

    private static final Set<String> CHAT_ROLES = Set.of("user", "assistant", "system", "developer", "tool");

    private ResponsesChatRequest() {}

    /**
     * The chat request vLLM renders: the input items as messages, function tools, tool choice, text format, reasoning
     * effort and the sampling fields the chat path reads.
     */
    static ObjectNode of(RequestReader r, JsonNode input, JsonNode format, JsonNode reasoning) {
        ObjectNode chat = Json.MAPPER.createObjectNode();
        chat.set("messages", messages(r, input));
        ArrayNode tools = Json.MAPPER.createArrayNode();
        JsonNode requestTools = r.raw("tools");
        if (requestTools != null && requestTools.isArray()) {
            for (JsonNode tool : requestTools) {
                if (tool.isObject() && "function".equals(tool.path("type").asText())) {
                    ObjectNode function =
                            tools.addObject().put("type", "function").putObject("function");
                    function.set("name", tool.get("name"));
                    copy(tool, function, "description");
                    copy(tool, function, "parameters");
                }
            }
        }
        JsonNode toolChoice = r.raw("tool_choice");
        if (!tools.isEmpty()) {
            chat.set("tools", tools);
            chat.put("parallel_tool_calls", r.bool("parallel_tool_calls", true));
        }
        if (toolChoice != null) {
            if (toolChoice.isObject()
                    && "function".equals(toolChoice.path("type").asText())) {
                ObjectNode named = chat.putObject("tool_choice").put("type", "function");
                named.putObject("function").set("name", toolChoice.get("name"));
            } else if (!(toolChoice.isTextual() && toolChoice.textValue().equals("auto") && tools.isEmpty())) {
                // "auto" without tools is rewritten to "none"; anything else is the chat path's to judge.
                chat.set("tool_choice", toolChoice);
            }
        }
        if (format != null && format.isObject()) {
            switch (format.path("type").asText()) {
                case "json_object" -> chat.putObject("response_format").put("type", "json_object");
                case "json_schema" -> {
                    ObjectNode schema = chat.putObject("response_format")
                            .put("type", "json_schema")
                            .putObject("json_schema");
                    schema.put("name", format.path("name").asText("response"));
                    copy(format, schema, "schema");
                    copy(format, schema, "strict");
                }
                default -> {}
            }
        }
        if (reasoning != null && reasoning.hasNonNull("effort")) {
            chat.set("reasoning_effort", reasoning.get("effort"));
        }
        for (String field : new String[] {
            "chat_template_kwargs",
            "include_reasoning",
            "structured_outputs",
            "temperature",
            "top_p",
            "presence_penalty",
            "frequency_penalty",
            "seed",
            "stop",
            "ignore_eos",
            "include_stop_str_in_output"
        }) {
            copy(r.body(), chat, field);
        }
        return chat;
    }

    /** The chat request with its messages: instructions first, then the earlier turns, then this input. */
    static ObjectNode withMessages(ObjectNode chat, String instructions, ArrayNode earlier) {
        ObjectNode copy = chat.deepCopy();
        ArrayNode messages = copy.putArray("messages");
        if (instructions != null) {
            messages.addObject().put("role", "system").put("content", instructions);
        }
        if (earlier != null) {
            messages.addAll(earlier);
        }
        messages.addAll((ArrayNode) chat.get("messages"));
        return copy;
    }

    /** The input items as chat messages (messages, function calls and their outputs; reasoning items are dropped). */
    private static ArrayNode messages(RequestReader r, JsonNode input) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (input == null) {
            return out;
        }
        if (input.isTextual()) {
            out.addObject().put("role", "user").put("content", input.textValue());
            return out;
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isObject()) {
                r.error("model_type", "Input should be a valid dictionary", item, "input", i);
                continue;
            }
            String type = item.path("type").asText("message");
            switch (type) {
                case "function_call" -> {
                    ObjectNode last = out.isEmpty() ? null : (ObjectNode) out.get(out.size() - 1);
                    if (last == null || !"assistant".equals(last.path("role").asText()) || !last.has("tool_calls")) {
                        last = out.addObject().put("role", "assistant").put("content", "");
                        last.putArray("tool_calls");
                    }
                    ObjectNode call = ((ArrayNode) last.get("tool_calls"))
                            .addObject()
                            .put("id", item.path("call_id").asText(""))
                            .put("type", "function");
                    call.putObject("function")
                            .put("name", item.path("name").asText(""))
                            .put("arguments", item.path("arguments").asText("{}"));
                }
                case "function_call_output" -> {
                    JsonNode output = item.get("output");
                    out.addObject()
                            .put("role", "tool")
                            .put("tool_call_id", item.path("call_id").asText(""))
                            .put(
                                    "content",
                                    output == null || output.isTextual()
                                            ? item.path("output").asText("")
                                            : output.toString());
                }
                case "message" -> {
                    JsonNode role = item.get("role");
                    if (role == null || !role.isTextual()) {
                        r.error("missing", "Field required", item, "input", i, "role");
                        continue;
                    }
                    String name = role.textValue().equals("developer") ? "system" : role.textValue();
                    if (!CHAT_ROLES.contains(name)) {
                        r.error(
                                "literal_error",
                                "Input should be 'user', 'assistant', 'system' or 'developer'",
                                role,
                                "input",
                                i,
                                "role");
                        continue;
                    }
                    out.addObject().put("role", name).put("content", text(item.get("content")));
                }
                default -> {
                    // Reasoning items and built-in tool items are not rendered by this simulated model.
                }
            }
        }
        return out;
    }

    /** Message content as text: a string, or its text parts ({@code input_text}, {@code output_text}) joined. */
    private static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        StringBuilder sb = new StringBuilder();
        if (content.isArray()) {
            for (JsonNode part : content) {
                JsonNode t = part.get("text");
                if (t != null && t.isTextual()) {
                    if (!sb.isEmpty()) {
                        sb.append('\n');
                    }
                    sb.append(t.textValue());
                }
            }
        }
        return sb.toString();
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        JsonNode v = from.get(field);
        if (v != null && !v.isNull()) {
            to.set(field, v);
        }
    }
}
