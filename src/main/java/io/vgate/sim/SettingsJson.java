package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vgate.sim.SimulatorConfig.Mode;
import io.vgate.sim.SimulatorConfig.SchedulingPolicy;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JSON form of {@link SimSettings} for the simulator-only admin route {@code /sim/settings} (real vLLM has no such
 * route). Keys are the configuration keys ({@code inter-token-latency}, {@code faults.error-rate} nested under
 * {@code faults}); durations are written as ISO-8601 and read as ISO-8601, as a number with a unit
 * ({@code 20ms}, {@code 150us}, {@code 1.5s}) or as a JSON number of milliseconds.
 *
 * <p>One key exists only here: {@code faults.refuse-connections-for} (a duration) refuses connections and re-opens
 * the port after that long, like a vLLM restart. Over HTTP it is the only way back: once
 * {@code refuse-connections} is true, nothing listens to take a request that sets it false.</p>
 */
final class SettingsJson {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|h)");

    private SettingsJson() {}

    static String write(SimSettings s) {
        FaultSettings f = s.faults();
        StringBuilder sb = new StringBuilder(512).append('{');
        sb.append("\"max-model-len\":").append(s.maxModelLen());
        sb.append(",\"max-num-seqs\":").append(s.maxNumSeqs());
        sb.append(",\"scheduling-policy\":\"")
                .append(s.schedulingPolicy().name().toLowerCase(Locale.ROOT))
                .append('"');
        sb.append(",\"gpu-speed\":").append(s.gpuSpeed());
        sb.append(",\"max-num-batched-tokens\":").append(s.maxNumBatchedTokens());
        sb.append(",\"time-to-first-token\":\"").append(s.timeToFirstToken()).append('"');
        sb.append(",\"prefill-time-per-token\":\"")
                .append(s.prefillTimePerToken())
                .append('"');
        sb.append(",\"inter-token-latency\":\"").append(s.interTokenLatency()).append('"');
        sb.append(",\"time-factor-under-load\":").append(s.timeFactorUnderLoad());
        sb.append(",\"mean-output-tokens\":").append(s.meanOutputTokens());
        sb.append(",\"mode\":\"")
                .append(s.mode().name().toLowerCase(Locale.ROOT))
                .append('"');
        sb.append(",\"embedding-dimensions\":").append(s.embeddingDimensions());
        sb.append(",\"kv-cache-tokens\":").append(s.kvCacheTokens());
        sb.append(",\"time-to-first-token-std-dev\":\"")
                .append(s.timeToFirstTokenStdDev())
                .append('"');
        sb.append(",\"inter-token-latency-std-dev\":\"")
                .append(s.interTokenLatencyStdDev())
                .append('"');
        sb.append(",\"reasoning\":\"").append(s.reasoning()).append('"');
        sb.append(",\"reasoning-field\":\"").append(s.reasoningFieldName()).append('"');
        sb.append(",\"tool-parser\":").append(s.toolParser());
        sb.append(",\"auto-tool-call-rate\":").append(s.autoToolCallRate());
        sb.append(",\"multimodal\":").append(s.multimodal());
        sb.append(",\"responses-store\":").append(s.responsesStore());
        sb.append(",\"faults\":{");
        sb.append("\"error-rate\":").append(f.errorRate());
        sb.append(",\"error-status\":").append(f.errorStatus());
        sb.append(",\"error-types\":[");
        for (int i = 0; i < f.errorTypes().size(); i++) {
            Json.str(sb.append(i > 0 ? "," : ""), f.errorTypes().get(i));
        }
        sb.append(']');
        sb.append(",\"slow-first-token\":\"").append(f.slowFirstToken()).append('"');
        sb.append(",\"reset-after-events\":").append(f.resetAfterEvents());
        sb.append(",\"error-after-events\":").append(f.errorAfterEvents());
        sb.append(",\"refuse-connections\":").append(f.refuseConnections());
        sb.append(",\"startup-delay\":\"").append(f.startupDelay()).append('"');
        sb.append('}');
        ServingJson.write(sb.append(",\"serving\":"), s.serving());
        return sb.append('}').toString();
    }

    /**
     * Applies the keys present in {@code node}; nothing changes if any key is unknown or any value invalid.
     *
     * @throws IllegalArgumentException naming the offending key
     */
    static void apply(SimSettings s, JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("settings must be a JSON object");
        }
        List<Runnable> updates = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = e.getKey();
            JsonNode v = e.getValue();
            switch (key) {
                case "max-model-len" -> add(updates, key, intValue(key, v), s::maxModelLen);
                case "max-num-seqs" -> add(updates, key, intValue(key, v), s::maxNumSeqs);
                case "scheduling-policy" -> add(updates, key, schedulingPolicy(v), s::schedulingPolicy);
                case "gpu-speed" -> add(updates, key, doubleValue(key, v), s::gpuSpeed);
                case "max-num-batched-tokens" -> add(updates, key, intValue(key, v), s::maxNumBatchedTokens);
                case "time-to-first-token" -> add(updates, key, duration(key, v), s::timeToFirstToken);
                case "prefill-time-per-token" -> add(updates, key, duration(key, v), s::prefillTimePerToken);
                case "inter-token-latency" -> add(updates, key, duration(key, v), s::interTokenLatency);
                case "time-factor-under-load" -> add(updates, key, doubleValue(key, v), s::timeFactorUnderLoad);
                case "mean-output-tokens" -> add(updates, key, intValue(key, v), s::meanOutputTokens);
                case "mode" -> add(updates, key, mode(v), s::mode);
                case "embedding-dimensions" -> add(updates, key, intValue(key, v), s::embeddingDimensions);
                case "kv-cache-tokens" -> add(updates, key, intValue(key, v), s::kvCacheTokens);
                case "time-to-first-token-std-dev" -> add(updates, key, duration(key, v), s::timeToFirstTokenStdDev);
                case "inter-token-latency-std-dev" -> add(updates, key, duration(key, v), s::interTokenLatencyStdDev);
                case "reasoning" -> add(updates, key, text(key, v), s::reasoning);
                case "reasoning-field" -> add(updates, key, text(key, v), s::reasoningField);
                case "tool-parser" -> add(updates, key, boolValue(key, v), s::toolParser);
                case "auto-tool-call-rate" -> add(updates, key, doubleValue(key, v), s::autoToolCallRate);
                case "multimodal" -> add(updates, key, boolValue(key, v), s::multimodal);
                case "responses-store" -> add(updates, key, boolValue(key, v), s::responsesStore);
                case "faults" -> faults(s.faults(), v, updates);
                case "serving" -> ServingJson.apply(s.serving(), v, updates);
                default -> throw new IllegalArgumentException("unknown setting: " + key);
            }
        }
        // Setters check ranges; if one rejects its value, the ones applied before it are rolled back.
        String before = write(s);
        try {
            updates.forEach(Runnable::run);
        } catch (IllegalArgumentException e) {
            apply(s, readUnchecked(before));
            throw e;
        }
    }

    private static JsonNode readUnchecked(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void faults(FaultSettings f, JsonNode node, List<Runnable> updates) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("faults must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String key = "faults." + e.getKey();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "error-rate" -> add(updates, key, doubleValue(key, v), f::errorRate);
                case "error-status" -> add(updates, key, intValue(key, v), f::errorStatus);
                case "error-types" -> add(updates, key, textList(key, v), f::errorTypes);
                case "slow-first-token" -> add(updates, key, duration(key, v), f::slowFirstToken);
                case "reset-after-events" -> add(updates, key, intValue(key, v), f::resetAfterEvents);
                case "error-after-events" -> add(updates, key, intValue(key, v), f::errorAfterEvents);
                case "refuse-connections" -> add(updates, key, boolValue(key, v), f::refuseConnections);
                case "refuse-connections-for" -> {
                    Duration refuseFor = duration(key, v);
                    updates.add(() -> {
                        f.refuseConnections(true);
                        CompletableFuture.delayedExecutor(refuseFor.toNanos(), TimeUnit.NANOSECONDS)
                                .execute(() -> f.refuseConnections(false));
                    });
                }
                // Only read at startup; accepted so that a GET body can be posted back unchanged.
                case "startup-delay" -> duration(key, v);
                default -> throw new IllegalArgumentException("unknown setting: " + key);
            }
        }
    }

    /** Queues {@code setter(value)}; a value the setter refuses fails the update under {@code key}. */
    static <T> void add(List<Runnable> updates, String key, T value, Consumer<T> setter) {
        updates.add(() -> {
            try {
                setter.accept(value);
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
        });
    }

    /** A JSON integer that fits an int, or an error naming {@code key}. */
    static int intValue(String key, JsonNode v) {
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(key + " must be an integer");
        }
        return v.intValue();
    }

    private static double doubleValue(String key, JsonNode v) {
        if (!v.isNumber()) {
            throw new IllegalArgumentException(key + " must be a number");
        }
        return v.doubleValue();
    }

    /** A JSON string, or an error naming {@code key}. */
    static String text(String key, JsonNode v) {
        if (!v.isTextual()) {
            throw new IllegalArgumentException(key + " must be a string");
        }
        return v.textValue();
    }

    /** A list of strings: a JSON array of them, or one string of comma-separated values (blank: none). */
    static List<String> textList(String key, JsonNode v) {
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

    /** A JSON boolean, or an error naming {@code key}. */
    static boolean boolValue(String key, JsonNode v) {
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false");
        }
        return v.booleanValue();
    }

    private static SchedulingPolicy schedulingPolicy(JsonNode v) {
        try {
            return SchedulingPolicy.valueOf(v.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("scheduling-policy must be fcfs or priority");
        }
    }

    private static Mode mode(JsonNode v) {
        try {
            return Mode.valueOf(v.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode must be random or echo");
        }
    }

    /** Parses a duration: ISO-8601, a number with a unit, or a JSON number of milliseconds. */
    static Duration duration(String key, JsonNode v) {
        if (v.isNumber()) {
            return Duration.ofNanos(Math.round(v.doubleValue() * 1_000_000));
        }
        String text = v.asText().strip();
        Matcher m = DURATION.matcher(text);
        if (m.matches()) {
            double amount = Double.parseDouble(m.group(1));
            double nanosPerUnit = switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            return Duration.ofNanos(Math.round(amount * nanosPerUnit));
        }
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(key + " must be a duration such as \"20ms\" or \"PT0.02S\"");
        }
    }
}
