package io.vgate.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The prompt of a Responses or Anthropic Messages request as chat messages, the form vLLM renders both
 * through its chat template and the form its {@code /tokenize} counts, so context fitting can count these
 * prompts like a chat's. Built for counting only: the request sent to vLLM is never replaced by it.
 * <ul>
 * <li>Responses: {@code instructions} becomes the leading system message; {@code input} is a string (one
 * user message) or a list of items: messages (a string, or {@code input_text}/{@code output_text} parts,
 * {@code input_image} as an image part), {@code function_call} items (an assistant tool call) and
 * {@code function_call_output} items (a tool message).</li>
 * <li>Messages: {@code system} (a string or text blocks) becomes the leading system message; each message
 * keeps its role, with {@code text} blocks as text parts, {@code image} blocks as image parts,
 * {@code tool_use} blocks as the assistant's tool calls and {@code tool_result} blocks as tool messages.</li>
 * </ul>
 * Anything else (reasoning items, built-in tools' items, documents, thinking blocks) makes the prompt
 * uncountable here: {@code null}, and vLLM judges the request as it is.
 */
public final class ChatForm {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ChatForm() {}

    /** A Responses request's {@code instructions} and {@code input} as chat messages, or {@code null}. */
    public static ArrayNode ofResponses(ObjectNode body) {
        ArrayNode messages = NODES.arrayNode();
        JsonNode instructions = body.get("instructions");
        if (instructions != null && !instructions.isNull()) {
            if (!instructions.isTextual()) {
                return null;
            }
            messages.add(message("system", instructions));
        }
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) {
            return null;
        }
        if (input.isTextual()) {
            messages.add(message("user", input));
            return messages;
        }
        if (!input.isArray()) {
            return null;
        }
        for (JsonNode item : input) {
            if (!responsesItem(item, messages)) {
                return null;
            }
        }
        return messages;
    }

    private static boolean responsesItem(JsonNode item, ArrayNode messages) {
        String type = item.path("type").asText("message");
        switch (type) {
            case "message" -> {
                String role = item.path("role").asText(null);
                JsonNode content = responsesContent(item.get("content"));
                if (role == null || content == null) {
                    return false;
                }
                messages.add(message(role, content));
                return true;
            }
            case "function_call" -> {
                ObjectNode call = NODES.objectNode();
                call.put("id", item.path("call_id").asText(""));
                call.put("type", "function");
                call.putObject("function")
                        .put("name", item.path("name").asText(""))
                        .put("arguments", item.path("arguments").asText(""));
                ObjectNode assistant = NODES.objectNode().put("role", "assistant");
                assistant.putNull("content");
                assistant.putArray("tool_calls").add(call);
                messages.add(assistant);
                return true;
            }
            case "function_call_output" -> {
                ObjectNode tool = NODES.objectNode().put("role", "tool");
                tool.put("tool_call_id", item.path("call_id").asText(""));
                JsonNode output = item.path("output");
                tool.put(
                        "content",
                        output.isTextual() || output.isMissingNode() ? output.asText("") : output.toString());
                messages.add(tool);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static JsonNode responsesContent(JsonNode content) {
        if (content == null || content.isTextual()) {
            return content;
        }
        if (!content.isArray()) {
            return null;
        }
        ArrayNode parts = NODES.arrayNode();
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "input_text", "output_text" -> parts.add(text(part.path("text")));
                case "input_image" -> {
                    JsonNode url = part.get("image_url");
                    if (url == null || !url.isTextual()) {
                        return null;
                    }
                    parts.add(image(url.asText()));
                }
                default -> {
                    return null;
                }
            }
        }
        return parts;
    }

    /** An Anthropic Messages request's {@code system} and {@code messages} as chat messages, or {@code null}. */
    public static ArrayNode ofAnthropic(ObjectNode body) {
        ArrayNode messages = NODES.arrayNode();
        JsonNode system = body.get("system");
        if (system != null && !system.isNull()) {
            String text = anthropicSystem(system);
            if (text == null) {
                return null;
            }
            messages.add(message("system", NODES.textNode(text)));
        }
        JsonNode turns = body.get("messages");
        if (turns == null || !turns.isArray()) {
            return null;
        }
        for (JsonNode turn : turns) {
            if (!anthropicTurn(turn, messages)) {
                return null;
            }
        }
        return messages;
    }

    private static String anthropicSystem(JsonNode system) {
        if (system.isTextual()) {
            return system.asText();
        }
        if (!system.isArray()) {
            return null;
        }
        var text = new StringBuilder();
        for (JsonNode block : system) {
            if (!"text".equals(block.path("type").asText())) {
                return null;
            }
            String value = block.path("text").asText();
            if (value.startsWith("x-anthropic-billing-header")) {
                continue; // vLLM drops these blocks too
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(value);
        }
        return text.toString();
    }

    private static boolean anthropicTurn(JsonNode turn, ArrayNode messages) {
        String role = turn.path("role").asText(null);
        JsonNode content = turn.get("content");
        if (role == null || content == null) {
            return false;
        }
        if (content.isTextual()) {
            messages.add(message(role, content));
            return true;
        }
        if (!content.isArray()) {
            return false;
        }
        ArrayNode parts = NODES.arrayNode();
        ArrayNode calls = NODES.arrayNode();
        ArrayNode results = NODES.arrayNode();
        for (JsonNode block : content) {
            switch (block.path("type").asText()) {
                case "text" -> parts.add(text(block.path("text")));
                case "image" -> {
                    String url = anthropicImage(block.path("source"));
                    if (url == null) {
                        return false;
                    }
                    parts.add(image(url));
                }
                case "tool_use" -> {
                    ObjectNode call = NODES.objectNode();
                    call.put("id", block.path("id").asText(""));
                    call.put("type", "function");
                    call.putObject("function")
                            .put("name", block.path("name").asText(""))
                            .put("arguments", block.path("input").toString());
                    calls.add(call);
                }
                case "tool_result" -> {
                    ObjectNode tool = NODES.objectNode().put("role", "tool");
                    tool.put("tool_call_id", block.path("tool_use_id").asText(""));
                    String result = toolResultText(block.get("content"));
                    if (result == null) {
                        return false;
                    }
                    tool.put("content", result);
                    results.add(tool);
                }
                default -> {
                    return false;
                }
            }
        }
        messages.addAll(results);
        if (!parts.isEmpty() || !calls.isEmpty()) {
            ObjectNode message = message(role, parts.isEmpty() ? NODES.nullNode() : parts);
            if (!calls.isEmpty()) {
                message.set("tool_calls", calls);
            }
            messages.add(message);
        }
        return true;
    }

    private static String anthropicImage(JsonNode source) {
        return switch (source.path("type").asText()) {
            case "base64" ->
                "data:" + source.path("media_type").asText() + ";base64,"
                        + source.path("data").asText();
            case "url" -> source.path("url").asText(null);
            default -> null;
        };
    }

    private static String toolResultText(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            return null;
        }
        var text = new StringBuilder();
        for (JsonNode block : content) {
            if (!"text".equals(block.path("type").asText())) {
                return null;
            }
            text.append(block.path("text").asText());
        }
        return text.toString();
    }

    private static ObjectNode message(String role, JsonNode content) {
        ObjectNode message = NODES.objectNode().put("role", role);
        message.set("content", content);
        return message;
    }

    private static ObjectNode text(JsonNode text) {
        return NODES.objectNode().put("type", "text").put("text", text.asText());
    }

    private static ObjectNode image(String url) {
        ObjectNode part = NODES.objectNode().put("type", "image_url");
        part.putObject("image_url").put("url", url);
        return part;
    }
}
