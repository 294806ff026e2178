package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The tool-calling part of a chat request ({@code tools}, {@code tool_choice}, {@code parallel_tool_calls}), checked
 * as vLLM checks it, and the calls the simulated model makes.
 *
 * <p>vLLM forces a call for {@code "required"} and for a named function (through structured outputs); under
 * {@code "auto"} the model decides. Here it decides by chance, deterministic from the request's seed (or prompt):
 * a call with the configured probability, never right after tool results (the model then answers them). Several
 * calls come only with {@code parallel_tool_calls} (the default) and more than one turn of luck.</p>
 */
final class ToolPlan {

    /** How the request lets the model use its tools. */
    enum Mode {
        /** No tools, or {@code tool_choice: "none"}: plain text. */
        NONE,
        /** The model may call tools; vLLM parses calls out of its text. */
        AUTO,
        /** At least one call, grammar-constrained. */
        REQUIRED,
        /** Exactly one call of the named function, grammar-constrained. */
        NAMED
    }

    /** A function the request offers. */
    record Tool(String name, String description, JsonNode parameters) {}

    /** A call the model makes: vLLM's id, the function name, and its arguments as a JSON text. */
    record Call(String id, String name, String arguments) {}

    /** Chance of one more call after each call, when parallel calls are allowed. */
    static final double EXTRA_CALL_PROBABILITY = 0.25;
    /** The most calls the simulated model makes in one answer. */
    static final int MAX_CALLS = 4;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    final Mode mode;
    final List<Tool> tools;
    final String named;
    final boolean parallel;
    /** Whether the request's {@code tool_choice} was given or defaulted to auto because {@code tools} was. */
    final boolean explicitChoice;

    private ToolPlan(Mode mode, List<Tool> tools, String named, boolean parallel, boolean explicitChoice) {
        this.mode = mode;
        this.tools = tools;
        this.named = named;
        this.parallel = parallel;
        this.explicitChoice = explicitChoice;
    }

    /** The plan of a request without tools. */
    static final ToolPlan NONE = new ToolPlan(Mode.NONE, List.of(), null, true, false);

    /**
     * Reads and checks the tool fields, as vLLM's request model does ({@code check_tool_usage}).
     *
     * @param r the request; type errors of the fields are recorded there
     * @throws SimError vLLM's request-validation error ({@code "Bad Request"}) for an inconsistent combination
     */
    static ToolPlan read(RequestReader r) {
        JsonNode body = r.body();
        JsonNode toolsNode = r.raw("tools");
        JsonNode choiceNode = r.raw("tool_choice");
        boolean parallel = r.bool("parallel_tool_calls", true);
        List<Tool> tools = new ArrayList<>();
        if (toolsNode != null) {
            if (!toolsNode.isArray()) {
                r.error("list_type", "Input should be a valid list", toolsNode, "tools");
            } else {
                for (int i = 0; i < toolsNode.size(); i++) {
                    Tool tool = tool(r, toolsNode.get(i), i);
                    if (tool != null) {
                        tools.add(tool);
                    }
                }
            }
        }
        r.throwIfInvalid();
        if (toolsNode != null && toolsNode.isArray() && toolsNode.isEmpty()) {
            // vLLM's own wording; the existing answer is the serving layer's BadRequestError with the parameter.
            throw SimError.validation(
                    "`tools` must not be an empty array. "
                            + "Either provide at least one tool or omit the field entirely.",
                    "tools",
                    null);
        }
        boolean hasTools = !tools.isEmpty();
        if (choiceNode == null) {
            return hasTools ? new ToolPlan(Mode.AUTO, tools, null, parallel, false) : NONE;
        }
        if (choiceNode.isTextual()) {
            String choice = choiceNode.textValue();
            switch (choice) {
                case "none" -> {
                    return new ToolPlan(Mode.NONE, tools, null, parallel, true);
                }
                case "auto", "required" -> {
                    if (!hasTools) {
                        throw ValueErrors.of("When using `tool_choice`, `tools` must be set.", "tool_choice", body);
                    }
                    return new ToolPlan(choice.equals("auto") ? Mode.AUTO : Mode.REQUIRED, tools, null, parallel, true);
                }
                default -> {
                    if (!hasTools) {
                        throw ValueErrors.of("When using `tool_choice`, `tools` must be set.", "tool_choice", body);
                    }
                    throw ValueErrors.of(
                            "Invalid value for `tool_choice`: " + choice
                                    + "! Only named tools, \"none\", \"auto\" or \"required\" are supported.",
                            "tool_choice",
                            body);
                }
            }
        }
        if (!hasTools) {
            throw ValueErrors.of("When using `tool_choice`, `tools` must be set.", "tool_choice", body);
        }
        if (!choiceNode.isObject()) {
            throw ValueErrors.of(
                    "Invalid value for `tool_choice`: " + choiceNode
                            + "! Only named tools, \"none\", \"auto\" or \"required\" are supported.",
                    "tool_choice",
                    body);
        }
        JsonNode function = choiceNode.get("function");
        if (function == null || !function.isObject()) {
            throw ValueErrors.of(
                    "Invalid value for `function`: `" + (function == null ? "None" : function.toString())
                            + "` in `tool_choice`! {'type': 'function', 'function': {'name': 'my_function'}} "
                            + "is the expected format.",
                    "tool_choice.function",
                    body);
        }
        JsonNode name = function.get("name");
        if (name == null || !name.isTextual()) {
            throw ValueErrors.of(
                    "Expected field `name` in `function` in `tool_choice`! Correct usage: "
                            + "`{\"type\": \"function\", \"function\": {\"name\": \"my_function\"}}`",
                    "tool_choice.function.name",
                    body);
        }
        for (Tool t : tools) {
            if (t.name().equals(name.textValue())) {
                return new ToolPlan(Mode.NAMED, tools, t.name(), parallel, true);
            }
        }
        throw ValueErrors.of(
                "The tool specified in `tool_choice` does not match any of the specified `tools`", "tool_choice", body);
    }

    private static Tool tool(RequestReader r, JsonNode node, int index) {
        if (!node.isObject()) {
            r.error(
                    "model_type",
                    "Input should be a valid dictionary or instance of ChatCompletionToolsParam",
                    node,
                    "tools",
                    index);
            return null;
        }
        JsonNode function = node.get("function");
        if (function == null) {
            r.error("missing", "Field required", node, "tools", index, "function");
            return null;
        }
        if (!function.isObject()) {
            r.error(
                    "model_type",
                    "Input should be a valid dictionary or instance of FunctionDefinition",
                    function,
                    "tools",
                    index,
                    "function");
            return null;
        }
        JsonNode name = function.get("name");
        if (name == null) {
            r.error("missing", "Field required", function, "tools", index, "function", "name");
            return null;
        }
        if (!name.isTextual()) {
            r.error("string_type", "Input should be a valid string", name, "tools", index, "function", "name");
            return null;
        }
        JsonNode description = function.get("description");
        JsonNode parameters = function.get("parameters");
        return new Tool(
                name.textValue(),
                description != null && description.isTextual() ? description.textValue() : "",
                parameters == null || parameters.isNull() ? null : parameters);
    }

    /**
     * The serving layer's check, after the model name: calls need the server's tool parser.
     *
     * @param toolParser whether the simulated server runs with {@code --enable-auto-tool-choice --tool-call-parser}
     * @throws SimError vLLM's 400 {@code BadRequestError}
     */
    void checkServing(boolean toolParser) {
        if (toolParser) {
            return;
        }
        switch (mode) {
            case AUTO ->
                throw SimError.badRequest(
                        "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set");
            case REQUIRED ->
                throw SimError.badRequest("tool_choice=\"required\" requires --tool-call-parser to be set");
            case NAMED ->
                throw SimError.badRequest(
                        "tool_choice=function \"" + named + "\" requires --tool-call-parser to be set");
            default -> {}
        }
    }

    /**
     * The calls of one answer; empty for a text answer.
     *
     * @param random choices of the simulated model (which tool, arguments, how many)
     * @param ids where call ids come from (vLLM draws them at random)
     * @param autoRate probability that {@code auto} calls a tool
     * @param afterToolResults whether the conversation ends with tool results, which an {@code auto} model answers
     * @param lastUser the last user message, which names the tool a model would pick
     */
    List<Call> calls(
            SplittableRandom random, SplittableRandom ids, double autoRate, boolean afterToolResults, String lastUser) {
        switch (mode) {
            case NONE -> {
                return List.of();
            }
            case NAMED -> {
                for (Tool t : tools) {
                    if (t.name().equals(named)) {
                        return List.of(call(t, random, ids));
                    }
                }
                return List.of();
            }
            case AUTO -> {
                // Draw even when the answer is known, so that one seed makes the same arguments either way.
                double roll = random.nextDouble();
                if (afterToolResults || roll >= autoRate) {
                    return List.of();
                }
            }
            default -> {}
        }
        List<Call> out = new ArrayList<>(2);
        out.add(call(pick(random, lastUser, 0), random, ids));
        while (parallel && out.size() < MAX_CALLS && random.nextDouble() < EXTRA_CALL_PROBABILITY) {
            out.add(call(pick(random, lastUser, out.size()), random, ids));
        }
        return out;
    }

    /** The tool named in the user's message (the first call), else one at random. */
    private Tool pick(SplittableRandom random, String lastUser, int callIndex) {
        int drawn = random.nextInt(tools.size());
        if (callIndex == 0 && lastUser != null) {
            String text = lastUser.toLowerCase(Locale.ROOT);
            for (Tool t : tools) {
                for (String part : t.name().toLowerCase(Locale.ROOT).split("[_\\-.]")) {
                    if (part.length() > 3 && text.contains(part)) {
                        return t;
                    }
                }
            }
        }
        return tools.get(drawn);
    }

    private static Call call(Tool tool, SplittableRandom random, SplittableRandom ids) {
        String arguments = tool.parameters() == null ? "{}" : SchemaInstance.generate(tool.parameters(), random);
        return new Call(callId(ids), tool.name(), arguments);
    }

    /** vLLM's call id since late 2025: {@code chatcmpl-tool-} and 16 hex digits. */
    static String callId(SplittableRandom random) {
        long v = random.nextLong();
        char[] out = new char[16];
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (v >>> (60 - 4 * i)) & 0xF];
        }
        return "chatcmpl-tool-" + new String(out);
    }

    /** Every tool definition, as chat templates render them into the prompt (counted as prompt tokens). */
    String promptText() {
        if (mode == Mode.NONE && !explicitChoice && tools.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Tool t : tools) {
            sb.append("{\"type\": \"function\", \"function\": {\"name\": ");
            Json.str(sb, t.name()).append(", \"description\": ");
            Json.str(sb, t.description()).append(", \"parameters\": ");
            SchemaInstance.write(sb, t.parameters()).append("}}\n");
        }
        return sb.toString();
    }
}
