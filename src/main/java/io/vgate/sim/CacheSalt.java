package io.vgate.sim;

import com.fasterxml.jackson.databind.node.TextNode;

/**
 * vLLM's {@code cache_salt} request field ({@code Field(min_length=1, max_length=1024)}): read, and checked with
 * pydantic's wording.
 */
final class CacheSalt {

    static final int MAX_LENGTH = 1024;

    private CacheSalt() {}

    /**
     * The request's salt, or null.
     *
     * @throws SimError 400 {@code Bad Request}, param {@code body.cache_salt}, for a non-string, empty or too long
     *     salt
     */
    static String read(RequestReader r) {
        String salt = r.optString("cache_salt");
        r.throwIfInvalid();
        if (salt == null) {
            return null;
        }
        int length = salt.codePointCount(0, salt.length());
        if (length < 1) {
            throw error("string_too_short", "String should have at least 1 character", salt, "min_length", 1);
        }
        if (length > MAX_LENGTH) {
            throw error(
                    "string_too_long",
                    "String should have at most " + MAX_LENGTH + " characters",
                    salt,
                    "max_length",
                    MAX_LENGTH);
        }
        return salt;
    }

    private static SimError error(String type, String msg, String input, String ctxKey, int ctxValue) {
        StringBuilder sb = new StringBuilder(96 + input.length())
                .append("1 validation error:\n  {'type': ")
                .append(Json.pyStr(type))
                .append(", 'loc': ('body', 'cache_salt'), 'msg': ")
                .append(Json.pyStr(msg))
                .append(", 'input': ");
        Json.pyRepr(sb, TextNode.valueOf(input));
        sb.append(", 'ctx': {'").append(ctxKey).append("': ").append(ctxValue).append("}}");
        return SimError.requestValidation(sb.toString(), "body.cache_salt");
    }
}
