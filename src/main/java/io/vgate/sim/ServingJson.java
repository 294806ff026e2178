package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The {@code "serving"} object of {@code /sim/settings} ({@link SettingsJson}): {@code task}, {@code api-key} (a list),
 * {@code allow-runtime-lora-updating}, {@code enable-prefix-caching}, {@code max-audio-clip-filesize-mb}; values are
 * read by {@link SettingsJson}'s readers, with the same errors.
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
                    String task = v.isArray() ? String.join(",", list(key, v)) : SettingsJson.text(key, v);
                    // Checked now, so that an unknown task rejects the whole update.
                    SimTask.parse(List.of(task.split(",")));
                    SettingsJson.add(updates, key, task, s::task);
                }
                case "api-key" -> SettingsJson.add(updates, key, list(key, v), s::apiKeys);
                case "allow-runtime-lora-updating" ->
                    SettingsJson.add(updates, key, SettingsJson.boolValue(key, v), s::allowRuntimeLoraUpdating);
                case "enable-prefix-caching" ->
                    SettingsJson.add(updates, key, SettingsJson.boolValue(key, v), s::enablePrefixCaching);
                case "max-audio-clip-filesize-mb" ->
                    SettingsJson.add(updates, key, SettingsJson.intValue(key, v), s::maxAudioClipFilesizeMb);
                default -> throw new IllegalArgumentException("unknown setting: " + key);
            }
        }
    }

    /** {@link SettingsJson#textList}, where {@code null} is no value at all. */
    private static List<String> list(String key, JsonNode v) {
        return v.isNull() ? List.of() : SettingsJson.textList(key, v);
    }
}
