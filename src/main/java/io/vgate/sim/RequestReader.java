package io.vgate.sim;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a JSON request body the way vLLM's FastAPI/pydantic layer does: lax type coercion (numeric strings, whole
 * floats), unknown fields ignored, and every type error collected into one FastAPI validation error (400,
 * {@code "Bad Request"}, message {@code "N validation error(s):\n  {...}"} in pydantic's dict repr, param from the
 * first error's location).
 */
final class RequestReader {

    private static final int MAX_REPORTED_ERRORS = 10;
    private static final Set<String> TRUE_STRINGS = Set.of("1", "on", "t", "true", "y", "yes");
    private static final Set<String> FALSE_STRINGS = Set.of("0", "off", "f", "false", "n", "no");

    private final JsonNode body;
    private final List<String> errors = new ArrayList<>(2);
    private String firstParam;

    private RequestReader(JsonNode body) {
        this.body = body;
    }

    /**
     * Checks the media type and parses the body into an object reader.
     *
     * @throws SimError 400 for a non-JSON media type, malformed JSON, a missing body or a non-object body
     */
    static RequestReader of(HttpServerRequest request, Buffer raw) {
        String contentType = request.getHeader("content-type");
        String media = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        int semicolon = media.indexOf(';');
        if (semicolon >= 0) {
            media = media.substring(0, semicolon);
        }
        if (!media.strip().equals("application/json")) {
            throw SimError.requestValidation(
                    "1 validation error:\n  Unsupported Media Type: Only 'application/json' is allowed", null);
        }
        RequestReader reader = new RequestReader(MissingNode.getInstance());
        if (raw == null || raw.length() == 0) {
            reader.error("missing", "Field required", null);
            reader.throwIfInvalid();
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(raw.getBytes());
        } catch (JsonProcessingException e) {
            throw jsonInvalid(e);
        } catch (IOException e) {
            throw SimError.badRequest(e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            reader.error("missing", "Field required", null);
            reader.throwIfInvalid();
        }
        if (!node.isObject()) {
            reader.error(
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                    node);
            reader.throwIfInvalid();
        }
        return new RequestReader(node);
    }

    /**
     * A reader over a request vLLM builds itself from another API's body (the chat request behind the Responses and
     * Messages APIs); the caller checked the media type and the JSON already.
     */
    static RequestReader of(JsonNode body) {
        return new RequestReader(body);
    }

    JsonNode body() {
        return body;
    }

    /** Whether the field is present and not null. */
    boolean has(String field) {
        JsonNode n = body.get(field);
        return n != null && !n.isNull();
    }

    /** Whether the field is present, even as null. */
    boolean present(String field) {
        return body.has(field);
    }

    JsonNode raw(String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() ? null : n;
    }

    /** An optional integer; null when absent or null. */
    Long optLong(String field) {
        JsonNode n = raw(field);
        return n == null ? null : toLong(n, field);
    }

    /** An optional integer within int range (larger values are clamped, as they only ever mean "a lot"). */
    Integer optInt(String field) {
        Long v = optLong(field);
        return v == null ? null : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    Double optDouble(String field) {
        JsonNode n = raw(field);
        return n == null ? null : toDouble(n, field);
    }

    boolean bool(String field, boolean defaultValue) {
        JsonNode n = raw(field);
        if (n == null) {
            return defaultValue;
        }
        Boolean b = toBool(n, field);
        return b == null ? defaultValue : b;
    }

    String optString(String field) {
        JsonNode n = raw(field);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            error("string_type", "Input should be a valid string", n, field);
            return null;
        }
        return n.textValue();
    }

    /** {@code stop}: a string or a list of strings. */
    String[] stopList(String field) {
        JsonNode n = raw(field);
        if (n == null) {
            return new String[0];
        }
        if (n.isTextual()) {
            return new String[] {n.textValue()};
        }
        if (n.isArray()) {
            String[] out = new String[n.size()];
            for (int i = 0; i < n.size(); i++) {
                JsonNode item = n.get(i);
                if (!item.isTextual()) {
                    error("string_type", "Input should be a valid string", item, field, i);
                    return new String[0];
                }
                out[i] = item.textValue();
            }
            return out;
        }
        error("string_type", "Input should be a valid string", n, field);
        return new String[0];
    }

    Long toLong(JsonNode n, Object... loc) {
        if (n.isIntegralNumber()) {
            BigInteger v = n.bigIntegerValue();
            return v.bitLength() < 64 ? v.longValue() : (v.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
        }
        if (n.isNumber()) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && !Double.isInfinite(d)) {
                return (long) d;
            }
            error("int_from_float", "Input should be a valid integer, got a number with a fractional part", n, loc);
            return null;
        }
        if (n.isBoolean()) {
            return n.booleanValue() ? 1L : 0L;
        }
        if (n.isTextual()) {
            try {
                return Long.parseLong(n.textValue().strip());
            } catch (NumberFormatException e) {
                error("int_parsing", "Input should be a valid integer, unable to parse string as an integer", n, loc);
                return null;
            }
        }
        error("int_type", "Input should be a valid integer", n, loc);
        return null;
    }

    Double toDouble(JsonNode n, Object... loc) {
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue() ? 1.0 : 0.0;
        }
        if (n.isTextual()) {
            try {
                return Double.parseDouble(n.textValue().strip());
            } catch (NumberFormatException e) {
                error("float_parsing", "Input should be a valid number, unable to parse string as a number", n, loc);
                return null;
            }
        }
        error("float_type", "Input should be a valid number", n, loc);
        return null;
    }

    Boolean toBool(JsonNode n, Object... loc) {
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isIntegralNumber() && (n.asLong() == 0 || n.asLong() == 1)) {
            return n.asLong() == 1;
        }
        if (n.isTextual()) {
            String s = n.textValue().strip().toLowerCase(Locale.ROOT);
            if (TRUE_STRINGS.contains(s)) {
                return true;
            }
            if (FALSE_STRINGS.contains(s)) {
                return false;
            }
        }
        if (n.isTextual() || n.isNumber()) {
            error("bool_parsing", "Input should be a valid boolean, unable to interpret input", n, loc);
        } else {
            error("bool_type", "Input should be a valid boolean", n, loc);
        }
        return null;
    }

    /** Records a pydantic error at {@code ('body', loc...)}. */
    void error(String type, String msg, JsonNode input, Object... loc) {
        StringBuilder param = new StringBuilder("body");
        StringBuilder sb = new StringBuilder(96)
                .append("{'type': ")
                .append(Json.pyStr(type))
                .append(", 'loc': ('body'");
        for (Object part : loc) {
            sb.append(", ");
            if (part instanceof Integer) {
                sb.append(part);
            } else {
                sb.append(Json.pyStr(String.valueOf(part)));
            }
            param.append('.').append(part);
        }
        if (loc.length == 0) {
            sb.append(',');
        }
        sb.append("), 'msg': ").append(Json.pyStr(msg)).append(", 'input': ");
        Json.pyRepr(sb, input);
        sb.append('}');
        errors.add(sb.toString());
        if (firstParam == null) {
            firstParam = param.toString();
        }
    }

    boolean valid() {
        return errors.isEmpty();
    }

    /** @throws SimError the collected validation errors, if any */
    void throwIfInvalid() {
        if (errors.isEmpty()) {
            return;
        }
        int count = errors.size();
        StringBuilder message = new StringBuilder()
                .append(count)
                .append(" validation ")
                .append(count == 1 ? "error" : "errors")
                .append(":\n");
        for (int i = 0; i < Math.min(count, MAX_REPORTED_ERRORS); i++) {
            message.append("  ").append(errors.get(i)).append('\n');
        }
        throw SimError.requestValidation(message.toString().stripTrailing(), firstParam);
    }

    /** FastAPI's answer to a body that is not valid JSON, with Python's {@code json} error wording. */
    private static SimError jsonInvalid(JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        long pos = 0;
        if (location != null) {
            pos = location.getCharOffset() >= 0 ? location.getCharOffset() : Math.max(0, location.getByteOffset());
        }
        String detail = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String python;
        if (detail.contains("double-quote to start field name")) {
            python = "Expecting property name enclosed in double quotes";
        } else if (detail.contains("expecting comma") || detail.contains("expected close marker")) {
            python = "Expecting ',' delimiter";
        } else if (detail.contains("expecting a colon")) {
            python = "Expecting ':' delimiter";
        } else if (detail.contains("in VALUE_STRING") || detail.contains("in a String value")) {
            python = "Unterminated string starting at";
        } else if (detail.contains("Trailing token")) {
            python = "Extra data";
        } else if (detail.contains("Illegal unquoted character")) {
            python = "Invalid control character at";
        } else {
            python = "Expecting value";
        }
        String message = "1 validation error:\n  {'type': 'json_invalid', 'loc': ('body', " + pos
                + "), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': " + Json.pyStr(python) + "}}";
        return SimError.requestValidation(message, "body." + pos);
    }
}
