package io.vgate.sim;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.util.Map;

/**
 * JSON helpers for the simulator's hot path: requests are read as Jackson trees, responses are written straight into
 * a {@link StringBuilder} in the exact key order vLLM (pydantic) uses, compact like {@code model_dump_json}.
 */
final class Json {

    /** Reads request bodies as trees; trailing garbage fails like Python's {@code json.loads} ("Extra data"). */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        // Prompts of whole documents are legitimate; Jackson's default cap on one string is 20 MB.
        MAPPER.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxStringLength(Integer.MAX_VALUE)
                        .maxNestingDepth(1000)
                        .build());
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {}

    /** Appends {@code s} as a JSON string literal, escaping like Python's json module (UTF-8 kept raw). */
    static StringBuilder str(StringBuilder sb, CharSequence s) {
        sb.append('"');
        int len = s.length();
        int start = 0;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            String esc = null;
            if (c < 0x20 || c == '"' || c == '\\') {
                esc = switch (c) {
                    case '"' -> "\\\"";
                    case '\\' -> "\\\\";
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    case '\b' -> "\\b";
                    case '\f' -> "\\f";
                    default -> null;
                };
                if (i > start) {
                    sb.append(s, start, i);
                }
                if (esc != null) {
                    sb.append(esc);
                } else {
                    sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                }
                start = i + 1;
            }
        }
        if (start < len) {
            sb.append(s, start, len);
        }
        return sb.append('"');
    }

    /** Appends a JSON string literal, or {@code null}. */
    static StringBuilder strOrNull(StringBuilder sb, CharSequence s) {
        return s == null ? sb.append("null") : str(sb, s);
    }

    /** Returns {@code s} as a JSON string literal. */
    static String quote(CharSequence s) {
        return str(new StringBuilder(s.length() + 2), s).toString();
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= 16) {
            String digits = bd.unscaledValue().abs().toString();
            StringBuilder sb = new StringBuilder();
            if (d < 0) {
                sb.append('-');
            }
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            sb.append('e').append(exp < 0 ? '-' : '+');
            int abs = Math.abs(exp);
            if (abs < 10) {
                sb.append('0');
            }
            return sb.append(abs).toString();
        }
        String plain = bd.toPlainString();
        return plain.indexOf('.') < 0 ? plain + ".0" : plain;
    }

    /** Python's {@code repr(str)}. */
    static String pyStr(String s) {
        char quote = (s.indexOf('\'') >= 0 && s.indexOf('"') < 0) ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                sb.append('\\').append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                sb.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            } else {
                sb.append(c);
            }
        }
        return sb.append(quote).toString();
    }

    /** Appends the Python {@code repr} of a parsed JSON value, as pydantic error dicts show request input. */
    static StringBuilder pyRepr(StringBuilder sb, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return sb.append("None");
        }
        if (node.isTextual()) {
            return sb.append(pyStr(node.textValue()));
        }
        if (node.isBoolean()) {
            return sb.append(node.booleanValue() ? "True" : "False");
        }
        if (node.isIntegralNumber()) {
            return sb.append(node.bigIntegerValue());
        }
        if (node.isNumber()) {
            return sb.append(pyFloat(node.doubleValue()));
        }
        if (node.isArray()) {
            sb.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                pyRepr(sb, node.get(i));
            }
            return sb.append(']');
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(pyStr(e.getKey())).append(": ");
            pyRepr(sb, e.getValue());
        }
        return sb.append('}');
    }
}
