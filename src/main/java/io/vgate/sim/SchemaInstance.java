package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Writes a JSON value that is valid against a JSON schema, the way a grammar-constrained model would: deterministic
 * for a given random generator, with Python's {@code json.dumps} spacing ({@code ", "} and {@code ": "}) and raw
 * UTF-8, as vLLM's tool parsers re-serialize arguments.
 *
 * <p>Covers what tool definitions and structured-output schemas use: {@code type} (also as a list), {@code enum},
 * {@code const}, {@code properties} with {@code required} (optional ones appear by chance),
 * {@code additionalProperties}, numeric bounds ({@code minimum}, {@code maximum}, the exclusive ones,
 * {@code multipleOf}), string lengths and common {@code format}s, a {@code pattern} when {@link RegexSample} can
 * produce it, arrays with {@code items}, {@code prefixItems} and item counts, {@code anyOf}/{@code oneOf}/
 * {@code allOf}, and local {@code $ref}s ({@code #/$defs/…}, {@code #/definitions/…}).</p>
 */
final class SchemaInstance {

    /** Deeper than this, objects get only their required properties and arrays their minimum length. */
    private static final int SHALLOW_AFTER = 6;
    /** A guard against recursive schemas that require themselves. */
    private static final int MAX_DEPTH = 32;

    private final JsonNode root;
    private final SplittableRandom random;

    private SchemaInstance(JsonNode root, SplittableRandom random) {
        this.root = root;
        this.random = random;
    }

    /**
     * A JSON text valid against {@code schema}.
     *
     * @param schema a JSON schema; null, {@code true} or {@code {}} allow any value (an object is written)
     * @param random the source of every choice, so that one seed gives one answer
     */
    static String generate(JsonNode schema, SplittableRandom random) {
        StringBuilder sb = new StringBuilder(64);
        SchemaInstance gen = new SchemaInstance(schema, random);
        if (schema == null || schema.isMissingNode() || schema.isNull() || schema.isBoolean() || schema.isEmpty()) {
            gen.anyObject(sb);
        } else {
            gen.value(sb, schema, 0);
        }
        return sb.toString();
    }

    /** Any JSON object, as {@code json_object} asks for: a few keys with words, numbers and flags. */
    static String anyObject(SplittableRandom random) {
        StringBuilder sb = new StringBuilder(64);
        new SchemaInstance(null, random).anyObject(sb);
        return sb.toString();
    }

    private void anyObject(StringBuilder sb) {
        int keys = 1 + random.nextInt(3);
        Set<String> used = new HashSet<>();
        sb.append('{');
        for (int i = 0; i < keys; i++) {
            String key = word();
            if (!used.add(key)) {
                continue;
            }
            if (used.size() > 1) {
                sb.append(", ");
            }
            Json.str(sb, key).append(": ");
            switch (random.nextInt(3)) {
                case 0 -> Json.str(sb, words(1 + random.nextInt(3)));
                case 1 -> sb.append(random.nextInt(100));
                default -> sb.append(random.nextBoolean() ? "true" : "false");
            }
        }
        sb.append('}');
    }

    private void value(StringBuilder sb, JsonNode schema, int depth) {
        schema = resolve(schema);
        if (schema == null || !schema.isObject() || depth > MAX_DEPTH) {
            Json.str(sb, word());
            return;
        }
        JsonNode allOf = schema.get("allOf");
        if (allOf != null && allOf.isArray() && !allOf.isEmpty()) {
            value(sb, merge(schema, allOf), depth);
            return;
        }
        JsonNode constant = schema.get("const");
        if (constant != null) {
            write(sb, constant);
            return;
        }
        JsonNode enumeration = schema.get("enum");
        if (enumeration != null && enumeration.isArray() && !enumeration.isEmpty()) {
            write(sb, enumeration.get(random.nextInt(enumeration.size())));
            return;
        }
        for (String key : new String[] {"anyOf", "oneOf"}) {
            JsonNode options = schema.get(key);
            if (options != null && options.isArray() && !options.isEmpty()) {
                value(sb, merge(schema, choose(options)), depth);
                return;
            }
        }
        switch (type(schema)) {
            case "object" -> object(sb, schema, depth);
            case "array" -> array(sb, schema, depth);
            case "integer" -> integer(sb, schema);
            case "number" -> number(sb, schema);
            case "boolean" -> sb.append(random.nextBoolean() ? "true" : "false");
            case "null" -> sb.append("null");
            default -> string(sb, schema);
        }
    }

    /** Picks an option, preferring ones that are not just {@code null} (a model fills in what it can). */
    private JsonNode choose(JsonNode options) {
        List<JsonNode> useful = new ArrayList<>();
        for (JsonNode o : options) {
            JsonNode r = resolve(o);
            if (r == null || !"null".equals(r.path("type").asText())) {
                useful.add(o);
            }
        }
        List<JsonNode> from = useful.isEmpty() ? toList(options) : useful;
        return from.get(random.nextInt(from.size()));
    }

    /** The schema's keywords plus those of the given parts ({@code allOf}), or one chosen part ({@code anyOf}). */
    private JsonNode merge(JsonNode schema, JsonNode parts) {
        ObjectNode merged = JsonNodeFactory.instance.objectNode();
        for (Map.Entry<String, JsonNode> e : schema.properties()) {
            String k = e.getKey();
            if (!k.equals("allOf") && !k.equals("anyOf") && !k.equals("oneOf")) {
                merged.set(k, e.getValue());
            }
        }
        for (JsonNode part : parts.isArray() ? toList(parts) : List.of(parts)) {
            JsonNode p = resolve(part);
            if (p == null || !p.isObject()) {
                continue;
            }
            for (Map.Entry<String, JsonNode> e : p.properties()) {
                String k = e.getKey();
                JsonNode mine = merged.get(k);
                if (k.equals("properties") && mine != null && mine.isObject()) {
                    ObjectNode props = ((ObjectNode) mine).deepCopy();
                    props.setAll((ObjectNode) e.getValue());
                    merged.set(k, props);
                } else if (k.equals("required") && mine != null && mine.isArray()) {
                    merged.set(k, ((ArrayNode) mine).deepCopy().addAll((ArrayNode) e.getValue()));
                } else {
                    merged.set(k, e.getValue());
                }
            }
        }
        return merged;
    }

    private String type(JsonNode schema) {
        JsonNode t = schema.get("type");
        if (t != null && t.isTextual()) {
            return t.textValue();
        }
        if (t != null && t.isArray() && !t.isEmpty()) {
            List<String> types = new ArrayList<>();
            for (JsonNode n : t) {
                if (!n.asText().equals("null")) {
                    types.add(n.asText());
                }
            }
            return types.isEmpty() ? "null" : types.get(random.nextInt(types.size()));
        }
        if (schema.has("properties") || schema.has("additionalProperties") || schema.has("required")) {
            return "object";
        }
        if (schema.has("items") || schema.has("prefixItems")) {
            return "array";
        }
        if (schema.has("minimum") || schema.has("maximum")) {
            return "number";
        }
        return "string";
    }

    private void object(StringBuilder sb, JsonNode schema, int depth) {
        JsonNode props = schema.get("properties");
        Set<String> required = new HashSet<>();
        for (JsonNode r : schema.path("required")) {
            required.add(r.asText());
        }
        sb.append('{');
        boolean first = true;
        Set<String> written = new HashSet<>();
        if (props != null && props.isObject()) {
            for (Map.Entry<String, JsonNode> e : props.properties()) {
                boolean include = required.contains(e.getKey()) || (depth < SHALLOW_AFTER && random.nextBoolean());
                if (!include) {
                    continue;
                }
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                Json.str(sb, e.getKey()).append(": ");
                value(sb, e.getValue(), depth + 1);
                written.add(e.getKey());
            }
        }
        // Required names without a property schema are still required; any value will do.
        JsonNode additional = schema.get("additionalProperties");
        for (String name : required) {
            if (!written.contains(name)) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                Json.str(sb, name).append(": ");
                value(sb, additional != null && additional.isObject() ? additional : null, depth + 1);
            }
        }
        sb.append('}');
    }

    private void array(StringBuilder sb, JsonNode schema, int depth) {
        int min = schema.path("minItems").asInt(depth < SHALLOW_AFTER ? 1 : 0);
        int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : Math.max(min, 3);
        min = Math.max(0, min);
        max = Math.max(min, max);
        int count = min + random.nextInt(Math.min(max, min + 3) - min + 1);
        if (depth >= SHALLOW_AFTER) {
            count = min;
        }
        JsonNode prefix = schema.get("prefixItems");
        JsonNode items = schema.get("items");
        boolean unique = schema.path("uniqueItems").asBoolean(false);
        Set<String> seen = new HashSet<>();
        sb.append('[');
        int written = 0;
        for (int i = 0, attempts = 0; written < count && attempts < count * 8; attempts++) {
            JsonNode itemSchema = prefix != null && prefix.isArray() && i < prefix.size()
                    ? prefix.get(i)
                    : (items != null && items.isObject() ? items : null);
            StringBuilder item = new StringBuilder();
            value(item, itemSchema, depth + 1);
            if (unique && !seen.add(item.toString())) {
                continue;
            }
            if (written > 0) {
                sb.append(", ");
            }
            sb.append(item);
            written++;
            i++;
        }
        sb.append(']');
    }

    private void integer(StringBuilder sb, JsonNode schema) {
        double[] range = range(schema, true);
        long lo = (long) Math.ceil(range[0]);
        long hi = (long) Math.floor(range[1]);
        long step = schema.path("multipleOf").asLong(1);
        if (step > 1) {
            lo = Math.floorDiv(lo + step - 1, step);
            hi = Math.floorDiv(hi, step);
            sb.append(step * (hi < lo ? lo : lo + random.nextLong(hi - lo + 1)));
            return;
        }
        sb.append(hi < lo ? lo : lo + random.nextLong(hi - lo + 1));
    }

    private void number(StringBuilder sb, JsonNode schema) {
        double[] range = range(schema, false);
        double lo = range[0];
        double hi = Math.max(lo, range[1]);
        // Two decimals, as a model writes amounts and measures; kept inside exclusive bounds.
        double v = Math.round((lo + random.nextDouble() * (hi - lo)) * 100) / 100.0;
        if (v < lo || v > hi || v == exclusiveMin(schema) || v == exclusiveMax(schema)) {
            v = (lo + hi) / 2;
        }
        sb.append(Json.pyFloat(v));
    }

    /** Inclusive bounds for a number: the schema's, else a range around the one bound given, else 0 to 100. */
    private static double[] range(JsonNode schema, boolean integral) {
        double lo = Double.NaN;
        double hi = Double.NaN;
        double nudge = integral ? 1 : 0.01;
        if (schema.has("minimum")) {
            lo = schema.get("minimum").asDouble();
        }
        if (schema.has("exclusiveMinimum") && schema.get("exclusiveMinimum").isNumber()) {
            lo = schema.get("exclusiveMinimum").asDouble() + nudge;
        }
        if (schema.has("maximum")) {
            hi = schema.get("maximum").asDouble();
        }
        if (schema.has("exclusiveMaximum") && schema.get("exclusiveMaximum").isNumber()) {
            hi = schema.get("exclusiveMaximum").asDouble() - nudge;
        }
        if (Double.isNaN(lo) && Double.isNaN(hi)) {
            return new double[] {0, 100};
        }
        if (Double.isNaN(lo)) {
            lo = Math.min(0, hi);
            lo = Math.max(lo, hi - 100);
        }
        if (Double.isNaN(hi)) {
            hi = Math.max(lo, 0) + 100;
        }
        return new double[] {lo, hi};
    }

    private static double exclusiveMin(JsonNode schema) {
        JsonNode n = schema.get("exclusiveMinimum");
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static double exclusiveMax(JsonNode schema) {
        JsonNode n = schema.get("exclusiveMaximum");
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private void string(StringBuilder sb, JsonNode schema) {
        String format = schema.path("format").asText("");
        String pattern = schema.path("pattern").asText(null);
        String s = switch (format) {
            case "date" -> String.format("2026-%02d-%02d", 1 + random.nextInt(12), 1 + random.nextInt(28));
            case "date-time" ->
                String.format(
                        "2026-%02d-%02dT%02d:%02d:00Z",
                        1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24), random.nextInt(60));
            case "time" -> String.format("%02d:%02d:00", random.nextInt(24), random.nextInt(60));
            case "email" -> word() + "@example.com";
            case "uri", "url" -> "https://example.com/" + word();
            case "uuid" -> uuid();
            case "ipv4" ->
                (10 + random.nextInt(200)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                        + random.nextInt(256);
            default -> null;
        };
        if (s == null && pattern != null) {
            s = RegexSample.generate(pattern, random);
        }
        if (s == null) {
            s = words(1 + random.nextInt(3));
        }
        int min = schema.path("minLength").asInt(0);
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        StringBuilder padded = new StringBuilder(s);
        while (padded.length() < min) {
            padded.append(padded.isEmpty() ? "" : " ").append(word());
        }
        if (padded.length() > max) {
            padded.setLength(max);
            // A cut must not leave a trailing space that a model would not end a value with.
            while (padded.length() > Math.max(min, 1) && padded.charAt(padded.length() - 1) == ' ') {
                padded.setLength(padded.length() - 1);
            }
        }
        Json.str(sb, padded);
    }

    private String uuid() {
        String hex = Long.toHexString(random.nextLong() | Long.MIN_VALUE)
                + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-4" + hex.substring(13, 16) + "-a"
                + hex.substring(17, 20) + "-" + hex.substring(20, 32);
    }

    private String word() {
        return Vocabulary.WORDS.get(random.nextInt(Vocabulary.WORDS.size()));
    }

    private String words(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(word());
        }
        return sb.toString();
    }

    /** Follows a local {@code $ref} (JSON pointer into the root schema); an unknown one reads as "any value". */
    private JsonNode resolve(JsonNode schema) {
        for (int hops = 0; schema != null && schema.isObject() && schema.has("$ref") && hops < 16; hops++) {
            String ref = schema.get("$ref").asText();
            if (root == null || !ref.startsWith("#")) {
                return null;
            }
            JsonNode target = root.at(ref.substring(1));
            if (target.isMissingNode()) {
                return null;
            }
            if (schema.size() > 1) {
                ObjectNode merged = ((ObjectNode) target).deepCopy();
                for (Map.Entry<String, JsonNode> e : schema.properties()) {
                    if (!e.getKey().equals("$ref")) {
                        merged.set(e.getKey(), e.getValue());
                    }
                }
                target = merged;
            }
            schema = target;
        }
        return schema;
    }

    /** Writes a literal value from the schema ({@code enum}, {@code const}) with Python's spacing. */
    static StringBuilder write(StringBuilder sb, JsonNode node) {
        if (node == null || node.isNull()) {
            return sb.append("null");
        }
        if (node.isTextual()) {
            return Json.str(sb, node.textValue());
        }
        if (node.isArray()) {
            sb.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                write(sb, node.get(i));
            }
            return sb.append(']');
        }
        if (node.isObject()) {
            sb.append('{');
            Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                Json.str(sb, e.getKey()).append(": ");
                write(sb, e.getValue());
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            return sb.append('}');
        }
        if (node.isFloatingPointNumber()) {
            return sb.append(Json.pyFloat(node.doubleValue()));
        }
        return sb.append(node.asText());
    }

    private static List<JsonNode> toList(JsonNode array) {
        List<JsonNode> out = new ArrayList<>(array.size());
        array.forEach(out::add);
        return out;
    }
}
