package io.vgate.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.SplittableRandom;

/**
 * A structured-output constraint of a request ({@code response_format} or vLLM's {@code structured_outputs}), checked
 * as vLLM checks it, and the text a grammar-constrained model writes under it.
 *
 * <p>Supported: {@code response_format} {@code text}, {@code json_object} and {@code json_schema} (strict or not; the
 * flag changes nothing in vLLM either), and {@code structured_outputs} {@code json} (a schema, as an object or a
 * string), {@code json_object}, {@code choice} and {@code regex} where {@link RegexSample} can write a match. A grammar
 * or structural tag gets a 400 that names the simulator's limit.</p>
 */
final class OutputConstraint {

    /** What the output must be. */
    enum Kind {
        JSON_SCHEMA,
        JSON_OBJECT,
        CHOICE,
        REGEX
    }

    final Kind kind;
    private final JsonNode schema;
    private final String[] choices;
    private final String regex;

    private OutputConstraint(Kind kind, JsonNode schema, String[] choices, String regex) {
        this.kind = kind;
        this.schema = schema;
        this.choices = choices;
        this.regex = regex;
    }

    /**
     * Reads {@code response_format} and {@code structured_outputs}; {@code response_format} wins where both are set.
     *
     * @param r the request; type errors of the fields are recorded there
     * @param tools the request's tool plan: a forced call ignores {@code response_format} and refuses
     *     {@code structured_outputs}, as vLLM does
     * @return the constraint, or null for free text
     * @throws SimError vLLM's error for an invalid constraint
     */
    static OutputConstraint read(RequestReader r, ToolPlan tools) {
        JsonNode body = r.body();
        OutputConstraint fromFormat = responseFormat(r, body);
        OutputConstraint fromStructured = structuredOutputs(r, body);
        r.throwIfInvalid();
        if (fromStructured != null && tools.mode == ToolPlan.Mode.NAMED) {
            throw ValueErrors.of(
                    "You can only either use constraints for structured outputs or tools, not both.", null, body);
        }
        if (tools.mode == ToolPlan.Mode.NAMED || tools.mode == ToolPlan.Mode.REQUIRED) {
            return null;
        }
        return fromFormat != null ? fromFormat : fromStructured;
    }

    private static OutputConstraint responseFormat(RequestReader r, JsonNode body) {
        JsonNode format = r.raw("response_format");
        if (format == null) {
            return null;
        }
        if (!format.isObject()) {
            r.error(
                    "model_type",
                    "Input should be a valid dictionary or instance of ResponseFormat",
                    format,
                    "response_format");
            return null;
        }
        JsonNode type = format.get("type");
        if (type == null) {
            r.error("missing", "Field required", format, "response_format", "type");
            return null;
        }
        String t = type.asText();
        switch (t) {
            case "text" -> {
                return null;
            }
            case "json_object" -> {
                return new OutputConstraint(Kind.JSON_OBJECT, null, null, null);
            }
            case "json_schema" -> {
                JsonNode js = format.get("json_schema");
                if (js == null || js.isNull()) {
                    throw ValueErrors.of(
                            "When response_format type is 'json_schema', the 'json_schema' field must be provided.",
                            "response_format",
                            body);
                }
                if (!js.isObject()) {
                    r.error(
                            "model_type",
                            "Input should be a valid dictionary or instance of JsonSchemaResponseFormat",
                            js,
                            "response_format",
                            "json_schema");
                    return null;
                }
                if (!js.has("name")) {
                    r.error("missing", "Field required", js, "response_format", "json_schema", "name");
                    return null;
                }
                JsonNode schema = js.get("schema");
                return new OutputConstraint(
                        schema == null || schema.isNull() ? Kind.JSON_OBJECT : Kind.JSON_SCHEMA, schema, null, null);
            }
            case "structural_tag" ->
                throw SimError.badRequest("The vLLM simulator does not support structural tags in response_format.");
            default -> {
                r.error(
                        "literal_error",
                        "Input should be 'text', 'json_object', 'json_schema' or 'structural_tag'",
                        type,
                        "response_format",
                        "type");
                return null;
            }
        }
    }

    private static OutputConstraint structuredOutputs(RequestReader r, JsonNode body) {
        JsonNode so = r.raw("structured_outputs");
        if (so == null) {
            return null;
        }
        if (!so.isObject()) {
            r.error(
                    "model_type",
                    "Input should be a valid dictionary or instance of StructuredOutputsParams",
                    so,
                    "structured_outputs");
            return null;
        }
        JsonNode json = nonNull(so.get("json"));
        JsonNode regex = nonNull(so.get("regex"));
        JsonNode choice = nonNull(so.get("choice"));
        JsonNode grammar = nonNull(so.get("grammar"));
        JsonNode jsonObject = nonNull(so.get("json_object"));
        JsonNode tag = nonNull(so.get("structural_tag"));
        int kinds = (json != null ? 1 : 0) + (regex != null ? 1 : 0) + (choice != null ? 1 : 0);
        if (kinds > 1) {
            throw ValueErrors.of(
                    "You can only use one kind of constraints for structured outputs ('json', 'regex' or 'choice').",
                    null,
                    body);
        }
        if (kinds == 0 && grammar == null && jsonObject == null && tag == null) {
            throw ValueErrors.of(
                    "You must use one kind of structured outputs constraint but none are specified: " + so, null, body);
        }
        if (json != null) {
            JsonNode schema = json;
            if (json.isTextual()) {
                if (json.textValue().isEmpty()) {
                    throw SimError.badRequest("structured_outputs.json cannot be an empty string");
                }
                try {
                    schema = Json.MAPPER.readTree(json.textValue());
                } catch (JsonProcessingException e) {
                    throw SimError.badRequest("Grammar error: invalid JSON schema: " + e.getOriginalMessage());
                }
            }
            if (!schema.isObject() && !schema.isBoolean()) {
                throw SimError.badRequest("Grammar error: a JSON schema must be an object or a boolean");
            }
            return new OutputConstraint(Kind.JSON_SCHEMA, schema, null, null);
        }
        if (choice != null) {
            if (!choice.isArray()) {
                r.error("list_type", "Input should be a valid list", choice, "structured_outputs", "choice");
                return null;
            }
            if (choice.isEmpty()) {
                throw SimError.badRequest("Choice '[]' cannot be an empty list");
            }
            String[] options = new String[choice.size()];
            for (int i = 0; i < options.length; i++) {
                if (!choice.get(i).isTextual()) {
                    r.error(
                            "string_type",
                            "Input should be a valid string",
                            choice.get(i),
                            "structured_outputs",
                            "choice",
                            i);
                    return null;
                }
                options[i] = choice.get(i).textValue();
            }
            return new OutputConstraint(Kind.CHOICE, null, options, null);
        }
        if (regex != null) {
            String pattern = regex.asText();
            if (pattern.indexOf('\0') >= 0) {
                throw SimError.badRequest("structured_outputs.regex must not contain a NUL character");
            }
            if (!RegexSample.compiles(pattern)) {
                throw SimError.badRequest(
                        "Failed to transform regex into a grammar: invalid regular expression " + Json.pyStr(pattern));
            }
            if (RegexSample.generate(pattern, new SplittableRandom(0)) == null) {
                throw SimError.badRequest("Failed to transform regex into a grammar: the vLLM simulator cannot "
                        + "write a match for " + Json.pyStr(pattern)
                        + " (back-references, look-arounds and \\b are not supported)");
            }
            return new OutputConstraint(Kind.REGEX, null, null, pattern);
        }
        if (jsonObject != null) {
            if (!jsonObject.asBoolean(false)) {
                throw SimError.badRequest("structured_outputs.json_object must be true when set");
            }
            return new OutputConstraint(Kind.JSON_OBJECT, null, null, null);
        }
        if (grammar != null) {
            if (grammar.asText().isEmpty()) {
                throw SimError.badRequest("structured_outputs.grammar cannot be an empty string");
            }
            throw SimError.badRequest("The vLLM simulator does not support grammar constraints (structured_outputs."
                    + "grammar); use json, json_object, choice or regex.");
        }
        throw SimError.badRequest("The vLLM simulator does not support structural tags (structured_outputs."
                + "structural_tag); use json, json_object, choice or regex.");
    }

    private static JsonNode nonNull(JsonNode n) {
        return n == null || n.isNull() ? null : n;
    }

    /** The whole text the model writes under this constraint. */
    String render(SplittableRandom random) {
        return switch (kind) {
            case JSON_SCHEMA -> SchemaInstance.generate(schema, random);
            case JSON_OBJECT -> SchemaInstance.anyObject(random);
            case CHOICE -> choices[random.nextInt(choices.length)];
            case REGEX -> {
                // Samples are checked against the pattern; a rare miss retries with other choices.
                for (int attempt = 0; attempt < 16; attempt++) {
                    String s = RegexSample.generate(regex, random);
                    if (s != null) {
                        yield s;
                    }
                }
                yield RegexSample.generate(regex, new SplittableRandom(0));
            }
        };
    }
}
