package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The 400 answers of vLLM's request-model validators (pydantic {@code model_validator}s raising {@code ValueError}):
 * type {@code "Bad Request"}, a message {@code "1 validation error:\n  {...}"} holding pydantic's error dict with the
 * whole request echoed as {@code input}, and the validator's parameter as {@code param}.
 */
final class ValueErrors {

    private ValueErrors() {}

    /**
     * @param text the {@code ValueError}'s text
     * @param param the parameter vLLM names, or null
     * @param body the request body, echoed as the error's {@code input}
     */
    static SimError of(String text, String param, JsonNode body) {
        StringBuilder sb = new StringBuilder(160 + text.length())
                .append("1 validation error:\n  {'type': 'value_error', 'loc': ('body',), 'msg': ")
                .append(Json.pyStr("Value error, " + text))
                .append(", 'input': ");
        Json.pyRepr(sb, body);
        sb.append(", 'ctx': {'error': ValueError(").append(Json.pyStr(text)).append(")}}");
        return SimError.requestValidation(sb.toString(), param);
    }
}
