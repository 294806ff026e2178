package io.vgate.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vgate.api.ApiError;
import io.vgate.auth.Caller;
import io.vgate.streaming.RelayOutcome;
import java.io.IOException;

/**
 * {@code GET /v1/models} for a caller with a model allowlist: vLLM's list with only the cards of the models the
 * caller may use. Any other answer (vLLM's errors) passes through unchanged. The list is small, so it is read
 * whole.
 */
final class ModelListFilter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelListFilter() {}

    /** Relays {@code response} (paused) to the exchange's client, filtered for {@code caller}. */
    static void relay(HttpClientResponse response, ProxyExchange exchange, Caller caller) {
        response.exceptionHandler(failure -> {
            if (!exchange.completed()) {
                exchange.fail(ApiError.upstreamFailed());
            }
        });
        response.body().onComplete(read -> {
            if (exchange.completed()) {
                return;
            }
            if (read.failed()) {
                exchange.fail(ApiError.upstreamFailed());
                return;
            }
            Buffer body = read.result();
            var client = exchange.response();
            client.setStatusCode(response.statusCode());
            String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
            if (type != null) {
                client.headers().set(HttpHeaders.CONTENT_TYPE, type);
            }
            client.end(response.statusCode() == 200 ? filter(body, caller) : body);
            exchange.onEnd(RelayOutcome.of(false, true));
        });
        response.resume();
    }

    /** The list without the cards the caller may not see; a body that is not a model list is passed as it is. */
    static Buffer filter(Buffer body, Caller caller) {
        JsonNode list;
        try {
            list = JSON.readTree(body.getBytes());
        } catch (IOException e) {
            return body;
        }
        if (!(list instanceof ObjectNode object) || !(object.get("data") instanceof ArrayNode cards)) {
            return body;
        }
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode card : cards) {
            if (caller.mayUse(card.path("id").asText(null))) {
                kept.add(card);
            }
        }
        object.set("data", kept);
        try {
            return Buffer.buffer(JSON.writeValueAsBytes(object));
        } catch (IOException e) {
            return body;
        }
    }
}
