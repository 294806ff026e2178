package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Set;

/**
 * Whether, and how long, the simulated model thinks before it answers, read from a chat request the way a Qwen3-style
 * model behind vLLM's {@code --reasoning-parser} reads it: {@code chat_template_kwargs.enable_thinking} (or
 * {@code thinking}), {@code reasoning_effort}, and {@code include_reasoning} (false hides the reasoning, which still
 * counts as generated tokens).
 *
 * @param think whether the model writes a reasoning section
 * @param visible whether that section is returned ({@code include_reasoning})
 * @param lengthFactor reasoning length relative to the mean answer length (from {@code reasoning_effort})
 */
record ReasoningPlan(boolean think, boolean visible, double lengthFactor) {

    /** How the simulated server plays a reasoning model. */
    enum Mode {
        /** No reasoning parser, a model that never thinks. */
        OFF("off"),
        /** Thinks when the request asks: {@code enable_thinking: true} or a {@code reasoning_effort} other than none. */
        ON_REQUEST("on-request"),
        /** Thinks unless the request turns it off ({@code enable_thinking: false}, {@code reasoning_effort: none}). */
        ALWAYS("always");

        final String json;

        Mode(String json) {
            this.json = json;
        }

        /** @throws IllegalArgumentException for anything but off, on-request or always */
        static Mode parse(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Mode m : values()) {
                if (m.json.equals(v)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("reasoning must be off, on-request or always, got " + value);
        }
    }

    /** The key reasoning travels under: {@code reasoning} (vLLM 0.16 and later) or {@code reasoning_content}. */
    enum Field {
        REASONING("reasoning"),
        REASONING_CONTENT("reasoning_content");

        final String json;

        Field(String json) {
            this.json = json;
        }

        /** @throws IllegalArgumentException for anything but reasoning or reasoning_content */
        static Field parse(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT).replace('-', '_');
            for (Field f : values()) {
                if (f.json.equals(v)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("reasoning-field must be reasoning or reasoning_content, got " + value);
        }
    }

    static final ReasoningPlan NONE = new ReasoningPlan(false, false, 0);

    private static final Set<String> EFFORTS = Set.of("none", "minimal", "low", "medium", "high", "xhigh", "max");

    /**
     * Reads the reasoning fields; type errors are recorded in {@code r}.
     *
     * @param mode how the simulated server plays a reasoning model
     */
    static ReasoningPlan read(RequestReader r, Mode mode) {
        JsonNode kwargs = r.raw("chat_template_kwargs");
        Boolean enable = null;
        if (kwargs != null) {
            if (!kwargs.isObject()) {
                r.error("dict_type", "Input should be a valid dictionary", kwargs, "chat_template_kwargs");
            } else {
                for (String key : new String[] {"enable_thinking", "thinking"}) {
                    JsonNode v = kwargs.get(key);
                    if (v != null && !v.isNull() && enable == null) {
                        // Jinja reads any truthy value as true.
                        enable = v.isBoolean()
                                ? v.booleanValue()
                                : v.asBoolean(!v.asText().isEmpty());
                    }
                }
            }
        }
        String effort = r.optString("reasoning_effort");
        if (effort != null && !EFFORTS.contains(effort)) {
            r.error(
                    "literal_error",
                    "Input should be 'none', 'minimal', 'low', 'medium', 'high', 'xhigh' or 'max'",
                    r.raw("reasoning_effort"),
                    "reasoning_effort");
            effort = null;
        }
        boolean include = r.bool("include_reasoning", true);
        if (enable == null && effort != null) {
            enable = !effort.equals("none");
        }
        boolean think = switch (mode) {
            case OFF -> false;
            case ON_REQUEST -> Boolean.TRUE.equals(enable);
            case ALWAYS -> !Boolean.FALSE.equals(enable);
        };
        if (!think) {
            return NONE;
        }
        double factor = switch (effort == null ? "medium" : effort) {
            case "minimal" -> 0.25;
            case "low" -> 0.5;
            case "high" -> 2;
            case "xhigh" -> 3;
            case "max" -> 4;
            default -> 1;
        };
        return new ReasoningPlan(true, include, factor);
    }
}
