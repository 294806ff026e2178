package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * vLLM's Anthropic Messages API: {@code POST /v1/messages} (JSON, or named-event SSE) and
 * {@code POST /v1/messages/count_tokens}.
 *
 * <p>As in vLLM, the Anthropic request is checked against its own schema (errors in the generic
 * {@code {"error":{...}}} shape, {@code "Bad Request"}), then converted into a chat request (system, content blocks,
 * {@code tool_use}/{@code tool_result}, tools, tool choice, stop sequences, output config) that the chat path checks
 * and the same engine generates. Errors of the handler (unknown model, context length, sampling) come back in
 * Anthropic's envelope with vLLM's class-style types, {@code {"type":"error","error":{"type":"NotFoundError",...}}}.
 * The id is the chat id, {@code chatcmpl-<X-Request-Id or hex>}. Authentication is vLLM's: only
 * {@code Authorization: Bearer} (never {@code x-api-key}).</p>
 */
final class MessagesRoutes {

    private final SimEngine engine;
    private final SimSettings settings;
    private final SimMetrics metrics;
    private final List<String> servedNames;
    private final VllmValidation validation;

    MessagesRoutes(
            SimEngine engine,
            SimSettings settings,
            SimMetrics metrics,
            List<String> servedNames,
            VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.metrics = metrics;
        this.servedNames = List.copyOf(servedNames);
        this.validation = validation;
    }

    /** {@code POST /v1/messages}. */
    void create(RoutingContext rc, Buffer raw) {
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        String model = model(r);
        JsonNode messages = messages(r);
        Integer maxTokens = null;
        if (!r.present("max_tokens")) {
            r.error("missing", "Field required", r.body(), "max_tokens");
        } else {
            maxTokens = r.optInt("max_tokens");
        }
        boolean stream = r.bool("stream", false);
        r.throwIfInvalid();
        if (maxTokens == null || maxTokens <= 0) {
            throw fieldValueError("max_tokens must be positive", "max_tokens", r.raw("max_tokens"));
        }
        try {
            ObjectNode chat = chatRequest(r, messages);
            chat.put("max_tokens", maxTokens);
            validation.checkModel(model);
            ChatPlan plan = ChatPlan.read(chat, settings);
            plan.tools.checkServing(settings.toolParser());
            int promptTokens = plan.promptTokens;
            validation.checkContext(promptTokens, maxTokens, "max_tokens");
            VllmValidation.checkSampling(plan.sampling, maxTokens);
            FaultPlan.maybeInjectError(settings.faults(), model, settings.maxModelLen(), promptTokens);

            String base = SimRoutes.requestId(request, null);
            if (request.getHeader("x-request-id") == null) {
                rc.response().putHeader("x-request-id", base);
            }
            String id = "chatcmpl-" + base;
            GenerationRequest b =
                    new GenerationRequest(engine, settings, metrics, rc.vertx().getOrCreateContext());
            b.response = rc.response();
            b.kind = GenerationJob.Kind.CHAT;
            b.id = id;
            b.created = System.currentTimeMillis() / 1000;
            b.model = validation.answerModel(model);
            b.cacheSalt = CacheSalt.read(r);
            b.cachePrompts = List.of(new PromptReader.Prompt(plan.prompt(), null));
            b.priority = GenerateRoutes.priority(request, null);
            b.stream = stream;
            b.paramN = 1;
            b.paramMaxTokens = maxTokens;
            b.stops = plan.sampling.stop();
            b.includeStopStr = plan.sampling.includeStopStr();
            b.choices = new Choice[] {plan.choice(maxTokens, settings)};
            b.usagePromptTokens = promptTokens;
            b.prefillTokens = promptTokens;
            b.dialect = new MessagesEvents(id, servedNames.get(0), promptTokens);
            b.build().accept();
        } catch (SimError e) {
            throw anthropic(e);
        }
    }

    /** {@code POST /v1/messages/count_tokens}: the rendered prompt's length, tools included. */
    void countTokens(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String model = model(r);
        JsonNode messages = messages(r);
        r.throwIfInvalid();
        try {
            ObjectNode chat = chatRequest(r, messages);
            validation.checkModel(model);
            int tokens = ChatPlan.read(chat, settings).promptTokens;
            rc.response()
                    .putHeader("content-type", SimRoutes.JSON)
                    .end("{\"input_tokens\":" + tokens + ",\"context_management\":{\"original_input_tokens\":" + tokens
                            + "}}");
        } catch (SimError e) {
            throw anthropic(e);
        }
    }

    /**
     * A handler error in Anthropic's envelope with vLLM's class-style type; body-schema errors ({@code "Bad Request"})
     * raised while the chat request is built keep vLLM's wording but take the envelope too.
     */
    static SimError anthropic(SimError e) {
        if (e.type == null) {
            return e;
        }
        String type = e.type.equals("Bad Request") ? "BadRequestError" : e.type;
        StringBuilder sb =
                new StringBuilder(96 + e.getMessage().length()).append("{\"type\":\"error\",\"error\":{\"type\":");
        Json.str(sb, type).append(",\"message\":");
        Json.str(sb, e.getMessage()).append("}}");
        return SimError.raw(e.status, sb.toString());
    }

    /** {@code model}: required, a non-empty string. */
    private static String model(RequestReader r) {
        if (!r.present("model")) {
            r.error("missing", "Field required", r.body(), "model");
            return null;
        }
        String model = r.optString("model");
        if (model != null && model.isEmpty()) {
            r.error("string_too_short", "String should have at least 1 character", r.raw("model"), "model");
        }
        return model;
    }

    /** {@code messages}: required, a list of {@code {role, content}}. */
    private static JsonNode messages(RequestReader r) {
        if (!r.present("messages")) {
            r.error("missing", "Field required", r.body(), "messages");
            return null;
        }
        JsonNode messages = r.raw("messages");
        if (messages == null || !messages.isArray()) {
            r.error("list_type", "Input should be a valid list", messages, "messages");
            return null;
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                r.error(
                        "model_type",
                        "Input should be a valid dictionary or instance of AnthropicMessage",
                        m,
                        "messages",
                        i);
                continue;
            }
            JsonNode role = m.get("role");
            if (role == null) {
                r.error("missing", "Field required", m, "messages", i, "role");
            } else if (!role.isTextual()
                    || !List.of("user", "assistant", "system", "ctx", "msg").contains(role.textValue())) {
                r.error(
                        "literal_error",
                        "Input should be 'user', 'assistant' or 'system'",
                        role,
                        "messages",
                        i,
                        "role");
            }
            JsonNode content = m.get("content");
            if (content == null) {
                r.error("missing", "Field required", m, "messages", i, "content");
            } else if (!content.isTextual() && !content.isArray()) {
                r.error("string_type", "Input should be a valid string", content, "messages", i, "content");
            }
        }
        return messages;
    }

    /** The chat request vLLM builds from the Anthropic one. */
    private static ObjectNode chatRequest(RequestReader r, JsonNode messages) {
        ObjectNode chat = Json.MAPPER.createObjectNode();
        ArrayNode out = chat.putArray("messages");
        String system = system(r.raw("system"));
        if (system != null) {
            out.addObject().put("role", "system").put("content", system);
        }
        if (messages != null) {
            for (JsonNode m : messages) {
                convert(m, out);
            }
        }
        JsonNode tools = r.raw("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode chatTools = chat.putArray("tools");
            for (JsonNode tool : tools) {
                ObjectNode function =
                        chatTools.addObject().put("type", "function").putObject("function");
                function.set("name", tool.get("name"));
                if (tool.hasNonNull("description")) {
                    function.set("description", tool.get("description"));
                }
                JsonNode schema = tool.get("input_schema");
                ObjectNode parameters = schema != null && schema.isObject()
                        ? ((ObjectNode) schema).deepCopy()
                        : Json.MAPPER.createObjectNode();
                if (!parameters.has("type")) {
                    parameters.put("type", "object");
                }
                function.set("parameters", parameters);
            }
            chat.put("tool_choice", "auto");
        }
        JsonNode choice = r.raw("tool_choice");
        if (choice != null && choice.isObject()) {
            String type = choice.path("type").asText();
            switch (type) {
                case "auto" -> chat.put("tool_choice", "auto");
                case "any" -> chat.put("tool_choice", "required");
                case "none" -> chat.put("tool_choice", "none");
                case "tool" -> {
                    if (!choice.hasNonNull("name")) {
                        throw SimError.badRequest("tool_choice.name is required when tool_choice.type is 'tool'");
                    }
                    chat.putObject("tool_choice")
                            .put("type", "function")
                            .putObject("function")
                            .set("name", choice.get("name"));
                }
                default -> {}
            }
            if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
                chat.put("parallel_tool_calls", false);
            }
        }
        JsonNode stops = r.raw("stop_sequences");
        if (stops != null) {
            chat.set("stop", stops);
        }
        for (String field : new String[] {"temperature", "top_p", "top_k", "chat_template_kwargs"}) {
            JsonNode v = r.raw(field);
            if (v != null) {
                chat.set(field, v);
            }
        }
        JsonNode config = r.raw("output_config");
        if (config != null && config.isObject()) {
            if (config.hasNonNull("effort")) {
                chat.set("reasoning_effort", config.get("effort"));
            }
            JsonNode format = config.get("format");
            if (format != null && "json_schema".equals(format.path("type").asText())) {
                ObjectNode schema = chat.putObject("response_format")
                        .put("type", "json_schema")
                        .putObject("json_schema")
                        .put("name", "response");
                if (format.has("schema")) {
                    schema.set("schema", format.get("schema"));
                }
            }
        }
        return chat;
    }

    /** {@code system}: a string, or text blocks joined (billing-header blocks dropped); null when absent. */
    private static String system(JsonNode system) {
        if (system == null) {
            return null;
        }
        if (system.isTextual()) {
            return system.textValue();
        }
        StringBuilder sb = new StringBuilder();
        if (system.isArray()) {
            for (JsonNode block : system) {
                String text = block.path("text").asText("");
                if (text.startsWith("x-anthropic-billing-header")) {
                    continue;
                }
                if (!sb.isEmpty()) {
                    sb.append('\n');
                }
                sb.append(text);
            }
        }
        return sb.toString();
    }

    /** One Anthropic message as chat messages: tool results become tool messages, tool_use blocks tool calls. */
    private static void convert(JsonNode m, ArrayNode out) {
        String role = m.path("role").asText("user");
        if (role.equals("ctx") || role.equals("msg")) {
            role = "user";
        }
        JsonNode content = m.get("content");
        if (content == null || content.isTextual()) {
            out.addObject().put("role", role).put("content", content == null ? "" : content.textValue());
            return;
        }
        StringBuilder text = new StringBuilder();
        ArrayNode calls = null;
        for (JsonNode block : content) {
            switch (block.path("type").asText()) {
                case "text" -> {
                    if (!text.isEmpty()) {
                        text.append('\n');
                    }
                    text.append(block.path("text").asText(""));
                }
                case "tool_use" -> {
                    if (calls == null) {
                        calls = Json.MAPPER.createArrayNode();
                    }
                    ObjectNode call = calls.addObject()
                            .put("id", block.path("id").asText(""))
                            .put("type", "function");
                    JsonNode input = block.get("input");
                    call.putObject("function")
                            .put("name", block.path("name").asText(""))
                            .put("arguments", input == null ? "{}" : input.toString());
                }
                case "tool_result" -> {
                    JsonNode result = block.get("content");
                    String resultText;
                    if (result == null || result.isNull()) {
                        resultText = "";
                    } else if (result.isTextual()) {
                        resultText = result.textValue();
                    } else {
                        StringBuilder sb = new StringBuilder();
                        for (JsonNode part : result) {
                            if (part.has("text")) {
                                sb.append(sb.isEmpty() ? "" : "\n")
                                        .append(part.path("text").asText(""));
                            }
                        }
                        resultText = sb.toString();
                    }
                    out.addObject()
                            .put("role", "tool")
                            .put("tool_call_id", block.path("tool_use_id").asText(""))
                            .put("content", resultText);
                }
                default -> {
                    // Images are not read by this text model; thinking goes back as reasoning, which is not rendered.
                }
            }
        }
        if (calls != null || !text.isEmpty() || !role.equals("user")) {
            ObjectNode message = out.addObject().put("role", role).put("content", text.toString());
            if (calls != null) {
                message.set("tool_calls", calls);
            }
        }
    }

    /** A field validator's {@code ValueError}, as pydantic reports it at the field. */
    private static SimError fieldValueError(String text, String field, JsonNode input) {
        StringBuilder sb = new StringBuilder(160)
                .append("1 validation error:\n  {'type': 'value_error', 'loc': ('body', ")
                .append(Json.pyStr(field))
                .append("), 'msg': ")
                .append(Json.pyStr("Value error, " + text))
                .append(", 'input': ");
        Json.pyRepr(sb, input);
        sb.append(", 'ctx': {'error': ValueError(").append(Json.pyStr(text)).append(")}}");
        return SimError.requestValidation(sb.toString(), "body." + field);
    }
}
