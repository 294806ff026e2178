package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;

/**
 * Anthropic Messages bytes for one generation, as vLLM rewrites its chat stream: {@code message_start} at the first
 * token, then per content block {@code content_block_start}, {@code content_block_delta}…, {@code content_block_stop}
 * (index from 0: thinking, text, tool_use), then {@code message_delta} with the stop reason and usage, then
 * {@code message_stop}. Every event is {@code event: <type>\ndata: <compact JSON>\n\n}; there is no {@code ping} and
 * no {@code [DONE]}. A failure after the headers is one {@code error} event and the end, without
 * {@code message_stop}. The non-streaming body is dumped without nulls ({@code stop_sequence} only when a stop string
 * matched).
 */
final class MessagesEvents implements Dialect {

    private enum Block {
        NONE,
        THINKING,
        TEXT,
        TOOL
    }

    private final String id;
    private final String model;
    private final int promptTokens;

    private boolean started;
    private Block open = Block.NONE;
    private int index = -1;
    private int reasoningSent;
    private boolean thinkingDone;
    private int currentCall = -1;
    private int[] argsSent;

    MessagesEvents(String id, String model, int promptTokens) {
        this.id = id;
        this.model = model;
        this.promptTokens = promptTokens;
    }

    @Override
    public void opening(List<CharSequence> events) {
        // The first event is built from the first chat chunk, which comes with the first token.
    }

    @Override
    public void step(Choice c, String delta, boolean last, List<CharSequence> events) {
        if (!started) {
            started = true;
            StringBuilder sb = new StringBuilder(256).append("{\"type\":\"message_start\",\"message\":{\"id\":");
            Json.str(sb, id).append(",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":");
            Json.str(sb, model)
                    .append(",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":")
                    .append(promptTokens)
                    .append(",\"output_tokens\":0}}}");
            add(events, "message_start", sb);
        }
        ModelOutput out = c.output;
        if (out != null) {
            CharSequence reasoning = out.visibleReasoning();
            if (reasoning.length() > reasoningSent) {
                if (open != Block.THINKING) {
                    start(events, Block.THINKING, "{\"type\":\"thinking\",\"thinking\":\"\"}");
                }
                StringBuilder sb = new StringBuilder(128).append("{\"type\":\"thinking_delta\",\"thinking\":");
                Json.str(sb, reasoning.subSequence(reasoningSent, reasoning.length()))
                        .append('}');
                delta(events, sb);
                reasoningSent = reasoning.length();
            }
            if (open == Block.THINKING && !thinkingDone && (out.answering() || last)) {
                thinkingDone = true;
                delta(events, "{\"type\":\"signature_delta\",\"signature\":\"" + SimRoutes.randomHex() + "\"}");
                stop(events);
            }
            for (int i = 0; i < out.callCount(); i++) {
                if (!out.callStarted(i)) {
                    continue;
                }
                if (argsSent == null) {
                    argsSent = new int[out.callCount()];
                }
                if (i > currentCall) {
                    currentCall = i;
                    ToolPlan.Call call = out.call(i);
                    StringBuilder sb = new StringBuilder(128).append("{\"type\":\"tool_use\",\"id\":");
                    Json.str(sb, call.id()).append(",\"name\":");
                    Json.str(sb, call.name()).append(",\"input\":{}}");
                    start(events, Block.TOOL, sb);
                }
                CharSequence args = out.callArguments(i);
                if (args.length() > argsSent[i]) {
                    StringBuilder sb =
                            new StringBuilder(128).append("{\"type\":\"input_json_delta\",\"partial_json\":");
                    Json.str(sb, args.subSequence(argsSent[i], args.length())).append('}');
                    delta(events, sb);
                    argsSent[i] = args.length();
                }
            }
        }
        if (!delta.isEmpty()) {
            if (open != Block.TEXT) {
                start(events, Block.TEXT, "{\"type\":\"text\",\"text\":\"\"}");
            }
            StringBuilder sb = new StringBuilder(64 + delta.length()).append("{\"type\":\"text_delta\",\"text\":");
            Json.str(sb, delta).append('}');
            delta(events, sb);
        }
        if (!last) {
            return;
        }
        if (open != Block.NONE) {
            stop(events);
        }
        StringBuilder sb = new StringBuilder(160).append("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":");
        String reason = stopReason(c);
        Json.strOrNull(sb, reason);
        if (c.stopReason != null && "stop_sequence".equals(reason)) {
            Json.str(sb.append(",\"stop_sequence\":"), c.stopReason);
        }
        sb.append("},\"usage\":{\"input_tokens\":")
                .append(promptTokens)
                .append(",\"output_tokens\":")
                .append(c.generated)
                .append("}}");
        add(events, "message_delta", sb);
        add(events, "message_stop", "{\"type\":\"message_stop\"}");
    }

    @Override
    public void failure(List<CharSequence> events) {
        add(
                events,
                "error",
                "{\"type\":\"error\",\"error\":{\"type\":\"internal_error\","
                        + "\"message\":\"Injected failure (vLLM simulator fault: error-after-events).\"}}");
    }

    @Override
    public String body(Choice c) {
        StringBuilder sb = new StringBuilder(256 + c.text.length() * 2).append("{\"id\":");
        Json.str(sb, id).append(",\"type\":\"message\",\"role\":\"assistant\",\"content\":[");
        int blocks = 0;
        ModelOutput out = c.output;
        if (out != null && out.visibleReasoning().length() > 0) {
            Json.str(sb.append("{\"type\":\"thinking\",\"thinking\":"), out.visibleReasoning())
                    .append(",\"signature\":\"")
                    .append(SimRoutes.randomHex())
                    .append("\"}");
            blocks++;
        }
        if (c.text.length() > 0) {
            Json.str(sb.append(blocks > 0 ? "," : "").append("{\"type\":\"text\",\"text\":"), c.text)
                    .append('}');
            blocks++;
        }
        if (out != null) {
            for (int i = 0; i < out.callCount(); i++) {
                if (!out.callStarted(i)) {
                    continue;
                }
                ToolPlan.Call call = out.call(i);
                sb.append(blocks > 0 ? "," : "").append("{\"type\":\"tool_use\",\"id\":");
                Json.str(sb, call.id()).append(",\"name\":");
                Json.str(sb, call.name()).append(",\"input\":").append(input(out.callArguments(i)));
                sb.append('}');
                blocks++;
            }
        }
        if (blocks == 0) {
            sb.append("{\"type\":\"text\",\"text\":\"\"}");
        }
        Json.str(sb.append("],\"model\":"), model);
        String reason = stopReason(c);
        if (reason != null) {
            Json.str(sb.append(",\"stop_reason\":"), reason);
            if (c.stopReason != null && "stop_sequence".equals(reason)) {
                Json.str(sb.append(",\"stop_sequence\":"), c.stopReason);
            }
        }
        return sb.append(",\"usage\":{\"input_tokens\":")
                .append(promptTokens)
                .append(",\"output_tokens\":")
                .append(c.generated)
                .append("}}")
                .toString();
    }

    @Override
    public void ended(Choice c, boolean aborted) {
        // Nothing is kept: the Messages API has no store.
    }

    /** vLLM's mapping of the chat finish reason; null (omitted) for abort and error. */
    static String stopReason(Choice c) {
        if (c.finishReason == null) {
            return null;
        }
        return switch (c.finishReason) {
            case "stop" -> c.stopReason != null ? "stop_sequence" : "end_turn";
            case "length" -> "max_tokens";
            case "tool_calls" -> "tool_use";
            default -> null;
        };
    }

    /** A call's arguments as the {@code input} object, re-serialized compactly; {@code {}} when they do not parse. */
    private static String input(CharSequence arguments) {
        try {
            JsonNode node = Json.MAPPER.readTree(arguments.toString());
            return node != null && node.isObject() ? node.toString() : "{}";
        } catch (IOException e) {
            return "{}";
        }
    }

    private void start(List<CharSequence> events, Block block, CharSequence contentBlock) {
        if (open != Block.NONE) {
            stop(events);
        }
        open = block;
        index++;
        add(
                events,
                "content_block_start",
                "{\"type\":\"content_block_start\",\"content_block\":" + contentBlock + ",\"index\":" + index + "}");
    }

    private void delta(List<CharSequence> events, CharSequence delta) {
        add(
                events,
                "content_block_delta",
                "{\"type\":\"content_block_delta\",\"delta\":" + delta + ",\"index\":" + index + "}");
    }

    private void stop(List<CharSequence> events) {
        open = Block.NONE;
        add(events, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
    }

    private static void add(List<CharSequence> events, String type, CharSequence data) {
        events.add("event: " + type + "\ndata: " + data + "\n\n");
    }
}
