package io.vgate.api;

import java.util.List;
import java.util.Random;

/**
 * Random request bodies for the scan's properties: valid JSON objects whose routing fields hold plausible and
 * implausible values alike (wrong types, nulls, floats, huge numbers, duplicate keys), with unread fields of any
 * shape and random whitespace between tokens.
 */
final class RandomBodies {

    static final List<String> KEYS = List.of(
            "model",
            "stream",
            "stream_options",
            "messages",
            "prompt",
            "input",
            "max_tokens",
            "max_completion_tokens",
            "max_output_tokens",
            "n",
            "previous_response_id",
            "request_id",
            "chat_template",
            "tools",
            "priority",
            "cache_salt",
            "temperature",
            "metadata");

    private static final List<String> NUMBERS = List.of(
            "0",
            "1",
            "5",
            "16",
            "17",
            "-1",
            "-0",
            "1048576",
            "1048577",
            "2147483648",
            "99999999999999999999999",
            "1e6",
            "1E+6",
            "1000000.000",
            "1.5",
            "5.0",
            "-0.0",
            "1e400",
            "1e2",
            "3.25e-2",
            "-2.2250738585072014E-308");

    private static final List<String> STRINGS = List.of(
            "\"\"",
            "\"m\"",
            "\"true\"",
            "\" true \"",
            "\"0\"",
            "\"resp_abc\"",
            "\"\\u00e9t\\u00e9 \\/ \\\"q\\\" \\n\"",
            "\"caf\u00e9 \uD83D\uDE00\"",
            "\"text\"",
            "\"image_url\"");

    private static final List<String> PART_TYPES = List.of(
            "text", "image_url", "image_embeds", "input_audio", "audio_url", "audio_embeds", "video_url", "file", "");

    private final Random random;

    RandomBodies(long seed) {
        this.random = new Random(seed);
    }

    /** A JSON object with some routing fields, likely ones more often than not. */
    String body(boolean plausible) {
        var out = new StringBuilder();
        out.append('{').append(space());
        int fields = random.nextInt(8);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                out.append(',').append(space());
            }
            String key = KEYS.get(random.nextInt(KEYS.size()));
            out.append('"').append(key).append('"').append(space()).append(':').append(space());
            out.append(plausible || random.nextBoolean() ? plausible(key) : value(3));
            out.append(space());
        }
        return out.append('}').toString();
    }

    private String plausible(String key) {
        return switch (key) {
            case "model", "previous_response_id", "request_id", "cache_salt", "input", "chat_template" -> pick(STRINGS);
            case "stream" -> random.nextBoolean() ? "true" : "false";
            case "stream_options" ->
                random.nextBoolean()
                        ? "{}"
                        : "{\"include_usage\":"
                                + pick(List.of("true", "false", "null", "0", "1", "\"true\"", "1.0", "{}"))
                                + (random.nextBoolean() ? ",\"continuous_usage_stats\":true" : "") + "}";
            case "messages" -> messages();
            case "prompt" -> random.nextBoolean() ? pick(STRINGS) : array(() -> pick(NUMBERS));
            case "tools" -> array(() -> value(3));
            case "max_tokens", "max_completion_tokens", "max_output_tokens", "n", "priority", "temperature" ->
                pick(NUMBERS);
            default -> value(3);
        };
    }

    private String messages() {
        return array(() -> {
            if (random.nextInt(10) == 0) {
                return value(2);
            }
            var message = new StringBuilder("{\"role\":\"user\"");
            int fields = random.nextInt(4);
            for (int i = 0; i < fields; i++) {
                message.append(",");
                switch (random.nextInt(4)) {
                    case 0 -> message.append("\"content\":").append(pick(STRINGS));
                    case 1 -> message.append("\"content\":").append(array(this::part));
                    case 2 -> message.append("\"tool_calls\":").append(array(() -> value(2)));
                    default -> message.append("\"content\":").append(value(2));
                }
            }
            return message.append('}').toString();
        });
    }

    private String part() {
        return switch (random.nextInt(6)) {
            case 0 -> pick(STRINGS);
            case 1 -> value(1);
            case 2 -> "{\"type\":" + value(0) + "}";
            default ->
                "{\"type\":\"" + pick(PART_TYPES) + "\"," + "\"x\":" + value(1)
                        + (random.nextInt(4) == 0 ? ",\"type\":\"" + pick(PART_TYPES) + "\"" : "") + "}";
        };
    }

    /** Any JSON value, nested at most {@code depth} deep. */
    String value(int depth) {
        int kind = random.nextInt(depth > 0 ? 8 : 6);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> "true";
            case 2 -> "false";
            case 3, 4 -> pick(NUMBERS);
            case 5 -> pick(STRINGS);
            case 6 -> array(() -> value(depth - 1));
            default -> {
                var out = new StringBuilder("{");
                int fields = random.nextInt(4);
                for (int i = 0; i < fields; i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    out.append('"')
                            .append(KEYS.get(random.nextInt(KEYS.size())))
                            .append("\":")
                            .append(space())
                            .append(value(depth - 1));
                }
                yield out.append('}').toString();
            }
        };
    }

    private String array(java.util.function.Supplier<String> element) {
        var out = new StringBuilder("[").append(space());
        int size = random.nextInt(5);
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                out.append(',').append(space());
            }
            out.append(element.get());
        }
        return out.append(space()).append(']').toString();
    }

    String pick(List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    int nextInt(int bound) {
        return random.nextInt(bound);
    }

    private String space() {
        return switch (random.nextInt(6)) {
            case 0 -> " ";
            case 1 -> "\n\t ";
            case 2 -> "\r\n";
            default -> "";
        };
    }
}
