package io.vgate.sim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The Responses API's bytes for one generation, as vLLM's simple (non-Harmony) path writes them: the response object
 * (every field, nulls kept, in {@code ResponsesResponse} order), and the stream of named events ({@code event: <type>}
 * then {@code data: <compact JSON>}, keys in alphabetical order, {@code sequence_number} from 0 without gaps, no
 * {@code [DONE]}, the end at {@code response.completed}).
 *
 * <p>Items open lazily: a reasoning item while the model thinks, then the message at its first text (or one
 * {@code function_call} item per call). Streamed item ids are bare hex; the final object rebuilds its output with new
 * prefixed ids ({@code rs_}, {@code msg_}, {@code fc_}), as vLLM does. A generation cut by an error ends the stream
 * with no terminal event. When the response is stored the final object (and the conversation, for
 * {@code previous_response_id}) goes to the {@link ResponseStore}.</p>
 */
final class ResponsesEvents implements Dialect {

    private final ResponseShape shape;
    private final int promptTokens;
    private final ResponseStore store;
    /** The stored entry of a background response; null otherwise. */
    private final ResponseStore.Entry entry;
    /** Whether the final response is stored (the request's {@code store}, when the server's store is on). */
    private final boolean storing;
    /** The conversation so far, chat-shaped: earlier turns and this request's input, without instructions. */
    private final ArrayNode conversation;

    private final String id;

    private int seq;
    private int nextOutputIndex;

    private String reasoningId;
    private int reasoningIndex;
    private int reasoningSent;
    private boolean reasoningClosed;

    private String messageId;
    private int messageIndex;
    private boolean messageClosed;

    private String[] callItemIds;
    private String[] callIds;
    private int[] callIndexes;
    private int[] argsSent;
    private int openCall = -1;

    private String finalJson;
    private String finalStatus;

    ResponsesEvents(
            String id,
            ResponseShape shape,
            int promptTokens,
            ResponseStore store,
            ResponseStore.Entry entry,
            boolean storing,
            ArrayNode conversation) {
        this.id = id;
        this.shape = shape;
        this.promptTokens = promptTokens;
        this.store = store;
        this.entry = entry;
        this.storing = storing;
        this.conversation = conversation;
    }

    @Override
    public void opening(List<CharSequence> events) {
        String inProgress = shape.write("in_progress", null, "", null);
        add(
                events,
                "response.created",
                "{\"response\":" + inProgress + ",\"sequence_number\":" + seq + ",\"type\":\"response.created\"}");
        add(
                events,
                "response.in_progress",
                "{\"response\":" + inProgress + ",\"sequence_number\":" + seq + ",\"type\":\"response.in_progress\"}");
    }

    @Override
    public void step(Choice c, String delta, boolean last, List<CharSequence> events) {
        ModelOutput out = c.output;
        if (out != null) {
            CharSequence reasoning = out.visibleReasoning();
            if (reasoning.length() > reasoningSent) {
                if (reasoningId == null) {
                    openReasoning(events);
                }
                StringBuilder sb = new StringBuilder(160).append("{\"content_index\":0,\"delta\":");
                Json.str(sb, reasoning.subSequence(reasoningSent, reasoning.length()));
                itemFields(sb.append(",\"item_id\":"), reasoningId, reasoningIndex)
                        .append(",\"type\":\"response.reasoning_text.delta\"}");
                add(events, "response.reasoning_text.delta", sb);
                reasoningSent = reasoning.length();
            }
            if (reasoningId != null && !reasoningClosed && (out.answering() || last)) {
                closeReasoning(events, reasoning);
            }
            for (int i = 0; i < out.callCount(); i++) {
                if (!out.callStarted(i)) {
                    continue;
                }
                if (callItemIds == null) {
                    int n = out.callCount();
                    callItemIds = new String[n];
                    callIndexes = new int[n];
                    argsSent = new int[n];
                }
                if (callItemIds[i] == null) {
                    closeCall(out, events);
                    openCall(out, i, events);
                }
                CharSequence args = out.callArguments(i);
                if (args.length() > argsSent[i]) {
                    StringBuilder sb = new StringBuilder(160).append("{\"delta\":");
                    Json.str(sb, args.subSequence(argsSent[i], args.length()));
                    Json.str(sb.append(",\"item_id\":"), callItemIds[i])
                            .append(",\"output_index\":")
                            .append(callIndexes[i])
                            .append(",\"sequence_number\":")
                            .append(seq)
                            .append(",\"type\":\"response.function_call_arguments.delta\"}");
                    add(events, "response.function_call_arguments.delta", sb);
                    argsSent[i] = args.length();
                }
            }
        }
        if (!delta.isEmpty()) {
            if (messageId == null) {
                openMessage(events);
            }
            StringBuilder sb = new StringBuilder(160 + delta.length()).append("{\"content_index\":0,\"delta\":");
            Json.str(sb, delta);
            Json.str(sb.append(",\"item_id\":"), messageId)
                    .append(",\"logprobs\":[],\"output_index\":")
                    .append(messageIndex)
                    .append(",\"sequence_number\":")
                    .append(seq)
                    .append(",\"type\":\"response.output_text.delta\"}");
            add(events, "response.output_text.delta", sb);
        }
        if (!last) {
            return;
        }
        if (messageId != null && !messageClosed) {
            closeMessage(events, c.text);
        }
        if (out != null) {
            closeCall(out, events);
        }
        if ("error".equals(c.finishReason)) {
            return;
        }
        String response = finalResponse(c);
        add(
                events,
                "response.completed",
                "{\"response\":" + response + ",\"sequence_number\":" + seq + ",\"type\":\"response.completed\"}");
    }

    @Override
    public void failure(List<CharSequence> events) {
        // vLLM cannot put a generation error into its event union: the stream just ends, with no terminal event.
    }

    @Override
    public String body(Choice c) {
        return finalResponse(c);
    }

    @Override
    public void ended(Choice c, boolean aborted) {
        if (aborted) {
            if (entry != null) {
                // A cancelled background response keeps its cancelled object; one cut otherwise is failed.
                entry.finish(shape.write("failed", null, "", null), "failed", conversation);
                entry.close();
            }
            return;
        }
        boolean failed = "error".equals(c.finishReason);
        String json = failed ? shape.write("failed", null, "", null) : finalResponse(c);
        String status = failed ? "failed" : finalStatus;
        ArrayNode turns = conversation.deepCopy();
        if (!failed) {
            turns.add(assistantTurn(c));
        }
        if (entry != null) {
            entry.finish(json, status, turns);
            entry.close();
        } else if (storing) {
            store.put(new ResponseStore.Entry(id, false, false, json, status, turns));
        }
    }

    /** The final response object: status, output items with new ids, usage. Built once. */
    private String finalResponse(Choice c) {
        if (finalJson != null) {
            return finalJson;
        }
        StringBuilder output = new StringBuilder(256 + c.text.length());
        ModelOutput out = c.output;
        int reasoningTokens = 0;
        boolean calls = false;
        if (out != null) {
            reasoningTokens = out.reasoningTokens();
            CharSequence reasoning = out.visibleReasoning();
            if (reasoning.length() > 0) {
                Json.str(
                                output.append("{\"id\":\"rs_")
                                        .append(SimRoutes.randomHex())
                                        .append("\",\"summary\":[],\"type\":\"reasoning\","
                                                + "\"content\":[{\"text\":"),
                                reasoning)
                        .append(",\"type\":\"reasoning_text\"}],\"encrypted_content\":null,\"status\":\"completed\"}");
            }
            for (int i = 0; i < out.callCount(); i++) {
                calls |= out.callStarted(i);
            }
        }
        if (!calls || c.text.length() > 0) {
            output.append(output.isEmpty() ? "" : ",")
                    .append("{\"id\":\"msg_")
                    .append(SimRoutes.randomHex())
                    .append("\",\"content\":[");
            if (c.text.length() > 0) {
                Json.str(output.append("{\"annotations\":[],\"text\":"), c.text)
                        .append(",\"type\":\"output_text\",\"logprobs\":null}");
            }
            output.append("],\"role\":\"assistant\",\"status\":\"completed\",\"type\":\"message\"}");
        }
        if (calls) {
            for (int i = 0; i < out.callCount(); i++) {
                if (!out.callStarted(i)) {
                    continue;
                }
                output.append(output.isEmpty() ? "" : ",");
                Json.str(output.append("{\"arguments\":"), out.callArguments(i));
                Json.str(output.append(",\"call_id\":"), callId(i));
                Json.str(output.append(",\"name\":"), out.call(i).name())
                        .append(",\"type\":\"function_call\",\"id\":\"fc_")
                        .append(SimRoutes.randomHex())
                        .append("\",\"status\":\"completed\"}");
            }
        }
        boolean truncated = "length".equals(c.finishReason);
        finalStatus = truncated ? "incomplete" : "completed";
        finalJson = shape.write(
                finalStatus,
                truncated ? "max_output_tokens" : null,
                output,
                usage(promptTokens, c.generated, reasoningTokens));
        return finalJson;
    }

    /** The answer as the assistant turn a follow-up continues from. */
    private ObjectNode assistantTurn(Choice c) {
        ObjectNode turn = Json.MAPPER.createObjectNode().put("role", "assistant");
        ModelOutput out = c.output;
        ArrayNode calls = null;
        if (out != null) {
            for (int i = 0; i < out.callCount(); i++) {
                if (!out.callStarted(i)) {
                    continue;
                }
                if (calls == null) {
                    calls = turn.putArray("tool_calls");
                }
                ObjectNode call = calls.addObject().put("id", callId(i)).put("type", "function");
                call.putObject("function")
                        .put("name", out.call(i).name())
                        .put("arguments", out.callArguments(i).toString());
            }
        }
        turn.put("content", c.text.toString());
        return turn;
    }

    /** {@code usage} with vLLM's per-turn details (one engine turn: no built-in tools run here). */
    static String usage(int input, int output, int reasoning) {
        return "{\"input_tokens\":" + input
                + ",\"input_tokens_details\":{\"cached_tokens\":0,\"input_tokens_per_turn\":["
                + input + "],\"cached_tokens_per_turn\":[0]},\"output_tokens\":" + output
                + ",\"output_tokens_details\":{\"reasoning_tokens\":" + reasoning
                + ",\"tool_output_tokens\":0,\"output_tokens_per_turn\":[" + output
                + "],\"tool_output_tokens_per_turn\":[0]},\"total_tokens\":" + (input + output) + "}";
    }

    private void openReasoning(List<CharSequence> events) {
        reasoningId = SimRoutes.randomHex();
        reasoningIndex = nextOutputIndex++;
        StringBuilder sb = new StringBuilder(200).append("{\"item\":{\"id\":");
        Json.str(sb, reasoningId)
                .append(",\"summary\":[],\"type\":\"reasoning\",\"content\":null,\"encrypted_content\":null,"
                        + "\"status\":\"in_progress\"},\"output_index\":")
                .append(reasoningIndex)
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.output_item.added\"}");
        add(events, "response.output_item.added", sb);
        sb = new StringBuilder(200).append("{\"content_index\":0,\"item_id\":");
        Json.str(sb, reasoningId)
                .append(",\"output_index\":")
                .append(reasoningIndex)
                .append(",\"part\":{\"text\":\"\",\"type\":\"reasoning_text\"},\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.reasoning_part.added\"}");
        add(events, "response.reasoning_part.added", sb);
    }

    private void closeReasoning(List<CharSequence> events, CharSequence text) {
        reasoningClosed = true;
        StringBuilder sb = new StringBuilder(200 + text.length()).append("{\"content_index\":0");
        itemFields(sb.append(",\"item_id\":"), reasoningId, reasoningIndex);
        Json.str(sb.append(",\"text\":"), text).append(",\"type\":\"response.reasoning_text.done\"}");
        add(events, "response.reasoning_text.done", sb);
        sb = new StringBuilder(200 + text.length()).append("{\"content_index\":0,\"item_id\":");
        Json.str(sb, reasoningId).append(",\"output_index\":").append(reasoningIndex);
        Json.str(sb.append(",\"part\":{\"text\":"), text)
                .append(",\"type\":\"reasoning_text\"},\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.reasoning_part.done\"}");
        add(events, "response.reasoning_part.done", sb);
        sb = new StringBuilder(240 + text.length()).append("{\"item\":{\"id\":");
        Json.str(sb, reasoningId).append(",\"summary\":[],\"type\":\"reasoning\",\"content\":[{\"text\":");
        Json.str(sb, text)
                .append(",\"type\":\"reasoning_text\"}],\"encrypted_content\":null,\"status\":\"completed\"},"
                        + "\"output_index\":")
                .append(reasoningIndex)
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.output_item.done\"}");
        add(events, "response.output_item.done", sb);
    }

    private void openMessage(List<CharSequence> events) {
        messageId = SimRoutes.randomHex();
        messageIndex = nextOutputIndex++;
        StringBuilder sb = new StringBuilder(200).append("{\"item\":{\"id\":");
        Json.str(sb, messageId)
                .append(",\"content\":[],\"role\":\"assistant\",\"status\":\"in_progress\",\"type\":\"message\"},"
                        + "\"output_index\":")
                .append(messageIndex)
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.output_item.added\"}");
        add(events, "response.output_item.added", sb);
        sb = new StringBuilder(200).append("{\"content_index\":0,\"item_id\":");
        Json.str(sb, messageId)
                .append(",\"output_index\":")
                .append(messageIndex)
                .append(",\"part\":{\"annotations\":[],\"text\":\"\",\"type\":\"output_text\",\"logprobs\":[]},"
                        + "\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.content_part.added\"}");
        add(events, "response.content_part.added", sb);
    }

    private void closeMessage(List<CharSequence> events, CharSequence text) {
        messageClosed = true;
        StringBuilder sb = new StringBuilder(200 + text.length()).append("{\"content_index\":0,\"item_id\":");
        Json.str(sb, messageId)
                .append(",\"logprobs\":[],\"output_index\":")
                .append(messageIndex)
                .append(",\"sequence_number\":")
                .append(seq);
        Json.str(sb.append(",\"text\":"), text).append(",\"type\":\"response.output_text.done\"}");
        add(events, "response.output_text.done", sb);
        String part = Json.str(new StringBuilder(64 + text.length()).append("{\"annotations\":[],\"text\":"), text)
                .append(",\"type\":\"output_text\",\"logprobs\":[]}")
                .toString();
        sb = new StringBuilder(200 + text.length()).append("{\"content_index\":0,\"item_id\":");
        Json.str(sb, messageId)
                .append(",\"output_index\":")
                .append(messageIndex)
                .append(",\"part\":")
                .append(part)
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.content_part.done\"}");
        add(events, "response.content_part.done", sb);
        // The serving code also passes summary=[] into the message item, which keeps it as an extra key.
        sb = new StringBuilder(240 + text.length()).append("{\"item\":{\"id\":");
        Json.str(sb, messageId)
                .append(",\"content\":[")
                .append(part)
                .append("],\"role\":\"assistant\",\"status\":\"completed\",\"type\":\"message\",\"summary\":[]},"
                        + "\"output_index\":")
                .append(messageIndex)
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.output_item.done\"}");
        add(events, "response.output_item.done", sb);
    }

    private void openCall(ModelOutput out, int i, List<CharSequence> events) {
        callItemIds[i] = SimRoutes.randomHex();
        callIndexes[i] = nextOutputIndex++;
        openCall = i;
        StringBuilder sb = new StringBuilder(240).append("{\"item\":{\"arguments\":\"\",\"call_id\":");
        Json.str(sb, callId(i));
        Json.str(sb.append(",\"name\":"), out.call(i).name()).append(",\"type\":\"function_call\",\"id\":");
        Json.str(sb, callItemIds[i])
                .append(",\"status\":\"in_progress\"},\"output_index\":")
                .append(callIndexes[i])
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.output_item.added\"}");
        add(events, "response.output_item.added", sb);
    }

    private void closeCall(ModelOutput out, List<CharSequence> events) {
        int i = openCall;
        if (i < 0) {
            return;
        }
        openCall = -1;
        CharSequence args = out.callArguments(i);
        if (argsSent[i] > 0) {
            StringBuilder sb = new StringBuilder(200 + args.length()).append("{\"arguments\":");
            Json.str(sb, args);
            Json.str(sb.append(",\"item_id\":"), callItemIds[i]);
            Json.str(sb.append(",\"name\":"), out.call(i).name())
                    .append(",\"output_index\":")
                    .append(callIndexes[i])
                    .append(",\"sequence_number\":")
                    .append(seq)
                    .append(",\"type\":\"response.function_call_arguments.done\"}");
            add(events, "response.function_call_arguments.done", sb);
        }
        StringBuilder sb = new StringBuilder(240 + args.length()).append("{\"item\":{\"arguments\":");
        Json.str(sb, args);
        Json.str(sb.append(",\"call_id\":"), callId(i));
        Json.str(sb.append(",\"name\":"), out.call(i).name()).append(",\"type\":\"function_call\",\"id\":");
        Json.str(sb, callItemIds[i])
                .append(",\"status\":\"completed\"},\"output_index\":")
                .append(callIndexes[i])
                .append(",\"sequence_number\":")
                .append(seq)
                .append(",\"type\":\"response.output_item.done\"}");
        add(events, "response.output_item.done", sb);
    }

    /** {@code "<item id>","output_index":N,"sequence_number":S} of an event whose keys follow {@code item_id}. */
    private StringBuilder itemFields(StringBuilder sb, String itemId, int outputIndex) {
        return Json.str(sb, itemId)
                .append(",\"output_index\":")
                .append(outputIndex)
                .append(",\"sequence_number\":")
                .append(seq);
    }

    private String callId(int i) {
        if (callIds == null || i >= callIds.length) {
            callIds = callIds == null ? new String[i + 1] : java.util.Arrays.copyOf(callIds, i + 1);
        }
        if (callIds[i] == null) {
            callIds[i] = "call_" + SimRoutes.randomHex();
        }
        return callIds[i];
    }

    /** Frames one event and numbers the next; a background stream also keeps it for replay. */
    private void add(List<CharSequence> events, String type, CharSequence data) {
        String event = "event: " + type + "\ndata: " + data + "\n\n";
        seq++;
        events.add(event);
        if (entry != null && entry.recording) {
            entry.event(event);
        }
    }
}
