package io.vgate.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vgate.shaping.PriorityClasses;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Reads the API keys file: a YAML (or JSON) list of keys.
 *
 * <pre>
 * - id: team-a-chat                 # unique; shown in logs and metrics, never secret
 *   tenant: team-a                  # who is billed and queued
 *   hash: "sha256:9f86d0...0a08"    # printf %s "$KEY" | sha256sum
 *   priority: batch                 # optional: one of vgate.shaping.priority.classes
 *   role: admin                     # optional: user (default) or admin (may load/unload LoRA adapters)
 *   models: [llama-3-8b, sql-lora]  # optional: the only models this key may use; default all
 *   limits:                         # optional; defaults from vgate.rate-limit.per-key.*
 *     requests-per-minute: 600
 *     tokens-per-minute: 200000
 *     max-concurrency: 32           # requests of the tenant in flight and queued; else tenant-max-concurrency
 * </pre>
 *
 * The priority classes are those of {@code vgate.shaping.priority.classes}; a key without one gets the
 * default class ({@link PriorityClasses#defaultClass()}). {@code models} names served models, LoRA adapters or
 * aliases ({@code vgate.models.aliases}); any other model gets the same 404 as one that does not exist, and
 * {@code /v1/models} lists only these. Unknown fields are errors (a misspelt {@code limits}
 * must not silently mean "unlimited"), as are duplicate ids, duplicate hashes and a file without a single key
 * (empty, only comments, or {@code []}): a replica that accepts no key at all would turn every caller away
 * while reporting ready. Read as a Jackson tree, so no reflection is involved.
 */
final class KeyFile {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> ENTRY_FIELDS =
            Set.of("id", "tenant", "hash", "priority", "role", "models", "limits");
    private static final Set<String> LIMIT_FIELDS =
            Set.of("requests-per-minute", "tokens-per-minute", "max-concurrency");

    private KeyFile() {}

    /**
     * Parses the file's bytes into a lookup table from digest to key.
     *
     * @throws IllegalArgumentException with a message naming the faulty entry (never a key or hash)
     */
    static Map<KeyDigest, ApiKey> parse(byte[] content, PriorityClasses classes) {
        JsonNode root;
        try {
            root = YAML.readTree(content);
        } catch (JsonProcessingException e) {
            // The parser's message may quote the file; the line number is enough to find the fault.
            var where = e.getLocation();
            throw new IllegalArgumentException(
                    "not valid YAML" + (where == null ? "" : " (line " + where.getLineNr() + ")"));
        } catch (IOException e) {
            throw new IllegalArgumentException("not readable as YAML");
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            // An empty file is what a mistyped Secret or a half-written mount looks like, never a wish to
            // turn every caller away: it is refused like any other broken file.
            throw new IllegalArgumentException("the file holds no keys (it is empty or only comments)");
        }
        if (!root.isArray()) {
            throw new IllegalArgumentException("the file must be a list of keys");
        }
        Map<KeyDigest, ApiKey> keys = new HashMap<>();
        Set<String> ids = new HashSet<>();
        int index = 0;
        for (JsonNode entry : root) {
            String where = "entry " + index++;
            ApiKey key = entry(entry, where, classes);
            if (!ids.add(key.caller().id())) {
                throw new IllegalArgumentException(
                        where + ": duplicate id '" + key.caller().id() + "'");
            }
            if (keys.putIfAbsent(key.digest(), key) != null) {
                throw new IllegalArgumentException(where + " ('" + key.caller().id() + "'): same hash as another key");
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("the file holds no keys (an empty list)");
        }
        return Map.copyOf(keys);
    }

    private static ApiKey entry(JsonNode entry, String where, PriorityClasses classes) {
        if (!entry.isObject()) {
            throw new IllegalArgumentException(where + ": must be a mapping with id, tenant and hash");
        }
        unknownFields(entry, ENTRY_FIELDS, where);
        String id = text(entry, "id", where);
        where = where + " ('" + id + "')";
        String tenant = text(entry, "tenant", where);
        KeyDigest digest;
        try {
            digest = KeyDigest.parse(text(entry, "hash", where));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        String priority = classes.defaultClass();
        if (entry.hasNonNull("priority")) {
            priority = text(entry, "priority", where);
            if (!classes.known(priority)) {
                throw new IllegalArgumentException(
                        where + ": priority must be one of " + String.join(", ", classes.names()));
            }
        }
        Role role = Role.USER;
        if (entry.hasNonNull("role")) {
            role = Role.named(text(entry, "role", where));
            if (role == null) {
                throw new IllegalArgumentException(where + ": role must be user or admin");
            }
        }
        Set<String> models = models(entry.get("models"), where);
        Limits limits = Limits.DEFAULTS;
        JsonNode limitsNode = entry.get("limits");
        if (limitsNode != null && !limitsNode.isNull()) {
            if (!limitsNode.isObject()) {
                throw new IllegalArgumentException(where + ": limits must be a mapping");
            }
            unknownFields(limitsNode, LIMIT_FIELDS, where + " limits");
            Long maxConcurrency = positive(limitsNode, "max-concurrency", where);
            if (maxConcurrency != null && maxConcurrency > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + ": limits.max-concurrency is too large");
            }
            limits = new Limits(
                    positive(limitsNode, "requests-per-minute", where),
                    positive(limitsNode, "tokens-per-minute", where),
                    maxConcurrency == null ? null : maxConcurrency.intValue());
        }
        return new ApiKey(new Caller(id, tenant, priority, limits, "key:" + id, role, models), digest);
    }

    /** The allowlist of {@code models}, or {@code null} (every model) when there is none. */
    private static Set<String> models(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException(
                    where + ": models must be a non-empty list of model names (leave it out for every model)");
        }
        Set<String> models = new HashSet<>();
        for (JsonNode model : node) {
            if (!model.isTextual() || model.textValue().isBlank()) {
                throw new IllegalArgumentException(where + ": models must hold non-empty strings");
            }
            models.add(model.textValue().trim());
        }
        return models;
    }

    private static void unknownFields(JsonNode node, Set<String> allowed, String where) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException(where + ": unknown field '" + name + "'");
            }
        }
    }

    private static String text(JsonNode entry, String field, String where) {
        JsonNode value = entry.get(field);
        if (value == null || !value.isTextual() || value.textValue().isBlank()) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be a non-empty string");
        }
        return value.textValue().trim();
    }

    private static Long positive(JsonNode limits, String field, String where) {
        JsonNode value = limits.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.canConvertToExactIntegral() || !value.canConvertToLong() || value.longValue() < 1) {
            throw new IllegalArgumentException(where + ": limits." + field + " must be a positive integer");
        }
        return value.longValue();
    }
}
