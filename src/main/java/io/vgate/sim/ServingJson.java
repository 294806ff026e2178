package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code "serving"} object of {@code /sim/settings} ({@link SettingsJson}): {@code task}, {@code api-key} (a list),
 * {@code allow-runtime-lora-updating}, {@code enable-prefix-caching}, {@code max-audio-clip-filesize-mb}.
 */
final class ServingJson {

    private ServingJson() {}

    static StringBuilder write(StringBuilder sb, ServingSettings s) {
        Json.str(sb.append("{\"task\":"), s.task()).append(",\"api-key\":[");
        List<String> keys = s.apiKeys();
        for (int i = 0; i < keys.size(); i++) {
            Json.str(sb.append(i > 0 ? "," : ""), keys.get(i));
        }
        return sb.append("],\"allow-runtime-lora-updating\":")
                .append(s.allowRuntimeLoraUpdating())
                .append(",\"enable-prefix-caching\":")
                .append(s.enablePrefixCaching())
                .append(",\"max-audio-clip-filesize-mb\":")
                .append(s.maxAudioClipFilesizeMb())
                .append('}');
    }

    /** Adds the updates for the keys present in {@code node}; nothing is applied here. */
    static void apply(ServingSettings s, JsonNode node, List<Runnable> updates) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("serving must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = "serving." + e.getKey();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "task" -> {
                    String task = v.isArray() ? String.join(",", list(key, v)) : text(key, v);
                    // Checked now, so that an unknown task rejects the whole update.
                    SimTask.parse(List.of(task.split(",")));
                    add(updates, key, task, s::task);
                }
                case "api-key" -> add(updates, key, list(key, v), s::apiKeys);
                case "allow-runtime-lora-updating" -> add(updates, key, bool(key, v), s::allowRuntimeLoraUpdating);
                case "enable-prefix-caching" -> add(updates, key, bool(key, v), s::enablePrefixCaching);
                case "max-audio-clip-filesize-mb" -> {
                    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                        throw new IllegalArgumentException(key + " must be an integer");
                    }
                    add(updates, key, v.intValue(), s::maxAudioClipFilesizeMb);
                }
                default -> throw new IllegalArgumentException("unknown setting: " + key);
            }
        }
    }

    private static <T> void add(List<Runnable> updates, String key, T value, Consumer<T> setter) {
        updates.add(() -> {
            try {
                setter.accept(value);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
        });
    }

    private static String text(String key, JsonNode v) {
        if (!v.isTextual()) {
            throw new IllegalArgumentException(key + " must be a string");
        }
        return v.textValue();
    }

    private static List<String> list(String key, JsonNode v) {
        if (v.isNull()) {
            return List.of();
        }
        if (v.isTextual()) {
            return v.textValue().isBlank() ? List.of() : List.of(v.textValue().split("\\s*,\\s*"));
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(key + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            out.add(text(key, item));
        }
        return out;
    }

    private static boolean bool(String key, JsonNode v) {
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false");
        }
        return v.booleanValue();
    }
}
