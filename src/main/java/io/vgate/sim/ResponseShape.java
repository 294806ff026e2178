package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The fixed parts of a Responses API response object around the fields that change as it is generated: everything
 * but {@code incomplete_details}, {@code output}, {@code status} and {@code usage}, in {@code ResponsesResponse}
 * order, echoing the request's resolved parameters as vLLM does. Built once per request ({@link ResponsesRoutes});
 * {@link ResponsesEvents} writes the whole object from it at each stage.
 */
record ResponseShape(String head, String beforeOutput, String beforeStatus, String beforeUsage, String tail) {

    /** The whole response object. */
    String write(String status, String incompleteReason, CharSequence output, CharSequence usage) {
        StringBuilder sb = new StringBuilder(head.length()
                + beforeOutput.length()
                + beforeStatus.length()
                + beforeUsage.length()
                + tail.length()
                + output.length()
                + 512);
        sb.append(head);
        if (incompleteReason == null) {
            sb.append("null");
        } else {
            Json.str(sb.append("{\"reason\":"), incompleteReason).append('}');
        }
        sb.append(beforeOutput).append('[').append(output).append(']');
        Json.str(sb.append(beforeStatus), status);
        sb.append(beforeUsage).append(usage == null ? "null" : usage).append(tail);
        return sb.toString();
    }

    /** The fixed parts of the response object, echoing the request's resolved parameters; {@code model} served it. */
    static ResponseShape of(
            String model,
            String id,
            long createdAt,
            String instructions,
            JsonNode metadata,
            RequestReader r,
            boolean parallel,
            Double temperature,
            Double topP,
            boolean background,
            int maxOutputTokens,
            Integer maxToolCalls,
            String previousId,
            JsonNode reasoning,
            String serviceTier,
            JsonNode text,
            Integer topLogprobs,
            String truncation,
            String user,
            Double presencePenalty,
            Double frequencyPenalty) {
        StringBuilder head = new StringBuilder(128).append("{\"id\":");
        Json.str(head, id).append(",\"created_at\":").append(createdAt).append(",\"incomplete_details\":");
        StringBuilder beforeOutput = new StringBuilder(128).append(",\"instructions\":");
        Json.strOrNull(beforeOutput, instructions).append(",\"metadata\":");
        raw(beforeOutput, metadata).append(",\"model\":");
        Json.str(beforeOutput, model).append(",\"object\":\"response\",\"output\":");
        ArrayNode tools = echoTools(r.raw("tools"));
        StringBuilder beforeStatus = new StringBuilder(256)
                .append(",\"parallel_tool_calls\":")
                .append(parallel)
                .append(",\"temperature\":")
                .append(Json.pyFloat(temperature == null ? 1.0 : temperature))
                .append(",\"tool_choice\":");
        JsonNode toolChoice = r.raw("tool_choice");
        if (tools.isEmpty()
                && (toolChoice == null
                        || toolChoice.isTextual() && toolChoice.textValue().equals("auto"))) {
            beforeStatus.append("\"none\"");
        } else {
            raw(beforeStatus, toolChoice == null ? Json.MAPPER.getNodeFactory().textNode("auto") : toolChoice);
        }
        beforeStatus
                .append(",\"tools\":")
                .append(tools)
                .append(",\"top_p\":")
                .append(Json.pyFloat(topP == null ? 1.0 : topP))
                .append(",\"background\":")
                .append(background)
                .append(",\"max_output_tokens\":")
                .append(maxOutputTokens)
                .append(",\"max_tool_calls\":")
                .append(maxToolCalls)
                .append(",\"previous_response_id\":");
        Json.strOrNull(beforeStatus, previousId).append(",\"prompt\":null,\"reasoning\":");
        if (reasoning == null) {
            beforeStatus.append("null");
        } else {
            beforeStatus.append("{\"effort\":");
            raw(beforeStatus, reasoning.get("effort")).append(",\"generate_summary\":");
            raw(beforeStatus, reasoning.get("generate_summary")).append(",\"summary\":");
            raw(beforeStatus, reasoning.get("summary")).append('}');
        }
        Json.str(beforeStatus.append(",\"service_tier\":"), serviceTier == null ? "auto" : serviceTier)
                .append(",\"status\":");
        StringBuilder beforeUsage = new StringBuilder(96).append(",\"text\":");
        raw(beforeUsage, text).append(",\"top_logprobs\":").append(topLogprobs).append(",\"truncation\":");
        Json.str(beforeUsage, truncation == null ? "disabled" : truncation).append(",\"usage\":");
        StringBuilder tail = new StringBuilder(160).append(",\"user\":");
        Json.strOrNull(tail, user)
                .append(",\"presence_penalty\":")
                .append(Json.pyFloat(presencePenalty == null ? 0.0 : presencePenalty))
                .append(",\"frequency_penalty\":")
                .append(Json.pyFloat(frequencyPenalty == null ? 0.0 : frequencyPenalty))
                .append(",\"kv_transfer_params\":null,\"ec_transfer_params\":null,\"input_messages\":null,"
                        + "\"output_messages\":null}");
        return new ResponseShape(
                head.toString(),
                beforeOutput.toString(),
                beforeStatus.toString(),
                beforeUsage.toString(),
                tail.toString());
    }

    /** The request's tools as openai-python dumps them: function tools with every field, in its order. */
    private static ArrayNode echoTools(JsonNode tools) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (tools == null || !tools.isArray()) {
            return out;
        }
        for (JsonNode tool : tools) {
            if (tool.isObject() && "function".equals(tool.path("type").asText())) {
                ObjectNode f = out.addObject();
                f.set("name", tool.get("name"));
                f.set("parameters", tool.path("parameters").isMissingNode() ? null : tool.get("parameters"));
                f.set("strict", tool.path("strict").isMissingNode() ? null : tool.get("strict"));
                f.put("type", "function");
                f.set("description", tool.path("description").isMissingNode() ? null : tool.get("description"));
                for (Map.Entry<String, JsonNode> extra : tool.properties()) {
                    if (!f.has(extra.getKey())) {
                        f.set(extra.getKey(), extra.getValue());
                    }
                }
            } else {
                out.add(tool);
            }
        }
        return out;
    }

    /** A JSON value as given (compact), or {@code null}. */
    private static StringBuilder raw(StringBuilder sb, JsonNode node) {
        return sb.append(node == null ? "null" : node.toString());
    }
}
