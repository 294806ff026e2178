package io.vgate.sim;

/**
 * vLLM's bytes for one answer: the SSE chunks of a stream ({@code chat.completion.chunk} or {@code text_completion}),
 * the usage chunk, the in-stream error event, and the JSON body of a non-streaming answer. Fields appear in vLLM's
 * (pydantic's) order so that the bytes match.
 */
class ChunkWriter {

    /** The event that ends every stream. */
    static final String DONE_EVENT = "data: [DONE]\n\n";

    private final GenerationJob.Kind kind;
    private final String id;
    private final long created;
    private final String model;
    private final boolean continuousUsage;
    private final int usagePromptTokens;
    private final ReasoningPlan.Field reasoningField;
    /** Everything of a stream chunk up to its choices, the same for every chunk of the answer. */
    private final String chunkHead;

    ChunkWriter(
            GenerationJob.Kind kind,
            String id,
            long created,
            String model,
            boolean continuousUsage,
            int usagePromptTokens,
            ReasoningPlan.Field reasoningField) {
        this.kind = kind;
        this.id = id;
        this.created = created;
        this.model = model;
        this.continuousUsage = continuousUsage;
        this.usagePromptTokens = usagePromptTokens;
        this.reasoningField = reasoningField;
        StringBuilder head = new StringBuilder(128).append("data: {\"id\":");
        Json.str(head, id)
                .append(
                        kind == GenerationJob.Kind.CHAT
                                ? ",\"object\":\"chat.completion.chunk\""
                                : ",\"object\":\"text_completion\"")
                .append(",\"created\":")
                .append(created)
                .append(",\"model\":");
        Json.str(head, model).append(",\"choices\":[");
        this.chunkHead = head.toString();
    }

    /** The first chunk of a chat choice: the assistant role and empty content. */
    CharSequence roleChunk(Choice c) {
        StringBuilder sb = new StringBuilder(chunkHead.length() + 128)
                .append(chunkHead)
                .append("{\"index\":")
                .append(c.index)
                .append(
                        ",\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]");
        if (continuousUsage) {
            usage(sb.append(",\"usage\":"), usagePromptTokens, 0, false);
        }
        return sb.append(",\"prompt_token_ids\":null}\n\n");
    }

    /** A chunk with new text of one choice, and its finish reason once it finished. */
    CharSequence contentChunk(Choice c, String delta) {
        StringBuilder sb = new StringBuilder(chunkHead.length() + 128 + delta.length())
                .append(chunkHead)
                .append("{\"index\":")
                .append(c.index);
        if (kind == GenerationJob.Kind.CHAT) {
            if (c.output != null) {
                c.output.writeDelta(sb.append(",\"delta\":{"), delta, c.finished());
                sb.append("},\"logprobs\":null,\"finish_reason\":");
            } else {
                Json.str(sb.append(",\"delta\":{\"content\":"), delta).append("},\"logprobs\":null,\"finish_reason\":");
            }
            Json.strOrNull(sb, c.finishReason);
            if (c.finished()) {
                Json.strOrNull(sb.append(",\"stop_reason\":"), c.stopReason);
            }
            sb.append("}]");
            if (continuousUsage) {
                usage(sb.append(",\"usage\":"), usagePromptTokens, c.generated, false);
            }
        } else {
            Json.str(sb.append(",\"text\":"), delta).append(",\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason);
            Json.strOrNull(sb.append(",\"stop_reason\":"), c.stopReason)
                    .append(",\"prompt_token_ids\":null,\"token_ids\":null}],\"usage\":");
            if (continuousUsage) {
                usage(sb, usagePromptTokens, c.generated, false);
            } else {
                sb.append("null");
            }
        }
        return sb.append("}\n\n");
    }

    /** The last chunk of a stream that asked for {@code include_usage}: no choices, the whole answer's usage. */
    CharSequence usageChunk(Choice[] choices) {
        StringBuilder sb =
                new StringBuilder(chunkHead.length() + 96).append(chunkHead).append("],\"usage\":");
        usage(sb, usagePromptTokens, completionTokens(choices), false);
        reasoningDetails(sb, choices, false);
        return sb.append("}\n\n");
    }

    /** The event the {@code error-after-events} fault ends a stream with (before {@link #DONE_EVENT}). */
    static String errorEvent() {
        return "data: "
                + new SimError(
                                500,
                                "InternalServerError",
                                "Injected failure (vLLM simulator fault: error-after-events).",
                                null)
                        .body()
                + "\n\n";
    }

    /** The whole answer of a non-streaming request. */
    String body(Choice[] choices) {
        return kind == GenerationJob.Kind.CHAT ? chatBody(choices) : completionBody(choices);
    }

    /** A non-streaming body up to its {@code choices} array, opened: the part chat and completions share. */
    private StringBuilder bodyHead(String object, int choices) {
        StringBuilder sb = new StringBuilder(256 + 64 * choices);
        sb.append("{\"id\":");
        Json.str(sb, id)
                .append(",\"object\":\"")
                .append(object)
                .append("\",\"created\":")
                .append(created)
                .append(",\"model\":");
        return Json.str(sb, model).append(",\"choices\":[");
    }

    private String chatBody(Choice[] choices) {
        StringBuilder sb = bodyHead("chat.completion", choices.length);
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"index\":").append(c.index).append(",\"message\":{\"role\":\"assistant\",");
            if (c.output != null) {
                c.output.writeMessage(sb, c.text);
            } else {
                Json.str(sb.append("\"content\":"), c.text)
                        .append(",\"refusal\":null,\"annotations\":null,\"audio\":null,\"function_call\":null,\"")
                        .append(reasoningField.json)
                        .append("\":null");
            }
            sb.append("},\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason).append(",\"stop_reason\":");
            Json.strOrNull(sb, c.stopReason).append(",\"token_ids\":null}");
        }
        sb.append("],\"service_tier\":null,\"system_fingerprint\":null,\"usage\":");
        usage(sb, usagePromptTokens, completionTokens(choices), true);
        reasoningDetails(sb, choices, true);
        return sb.append(",\"prompt_logprobs\":null,\"prompt_token_ids\":null,\"kv_transfer_params\":null}")
                .toString();
    }

    private String completionBody(Choice[] choices) {
        StringBuilder sb = bodyHead("text_completion", choices.length);
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"index\":").append(c.index).append(",\"text\":");
            Json.str(sb, c.text).append(",\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason).append(",\"stop_reason\":");
            Json.strOrNull(sb, c.stopReason)
                    .append(",\"token_ids\":null,\"prompt_logprobs\":null,\"prompt_token_ids\":null}");
        }
        sb.append("],\"service_tier\":null,\"system_fingerprint\":null,\"usage\":");
        usage(sb, usagePromptTokens, completionTokens(choices), true);
        return sb.append(",\"kv_transfer_params\":null}").toString();
    }

    /**
     * Adds {@code completion_tokens_details.reasoning_tokens} inside the usage object just written (before its closing
     * brace) when the answer reasoned, as vLLM with a reasoning parser reports it.
     */
    private static void reasoningDetails(StringBuilder sb, Choice[] choices, boolean full) {
        int reasoning = 0;
        for (Choice c : choices) {
            if (c.output != null) {
                reasoning += c.output.reasoningTokens();
            }
        }
        if (reasoning == 0) {
            return;
        }
        sb.setLength(sb.length() - 1);
        sb.append(",\"completion_tokens_details\":{\"reasoning_tokens\":")
                .append(reasoning)
                .append("}}");
    }

    private static int completionTokens(Choice[] choices) {
        int total = 0;
        for (Choice c : choices) {
            total += c.generated;
        }
        return total;
    }

    /** {@code usage} in pydantic field order: prompt, total, completion (details only in full responses). */
    private static StringBuilder usage(StringBuilder sb, int prompt, int completion, boolean details) {
        sb.append("{\"prompt_tokens\":")
                .append(prompt)
                .append(",\"total_tokens\":")
                .append(prompt + completion)
                .append(",\"completion_tokens\":")
                .append(completion);
        if (details) {
            sb.append(",\"prompt_tokens_details\":null");
        }
        return sb.append('}');
    }
}
