package io.vgate.shaping;

import io.vertx.core.MultiMap;
import io.vgate.testing.Json;
import io.vgate.testing.SseClient;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the requests shaping tests send: generations of a known length (the simulator never stops early
 * with {@code ignore_eos}), from a named tenant and priority class (headers honoured because the test
 * profile trusts loopback).
 */
final class Traffic {

    private final SseClient client;
    private final URI chat;

    Traffic(SseClient client, URI chat) {
        this.client = client;
        this.chat = chat;
    }

    /** A chat generation of exactly {@code tokens} tokens. */
    SseClient.Call generate(String tenant, String priority, int tokens, boolean stream) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("max_tokens", tokens);
        extra.put("ignore_eos", true);
        return client.post(chat, Json.chat("Tell me a long story.", stream, extra), headers(tenant, priority));
    }

    SseClient.Call post(String body, String tenant, String priority) {
        return client.post(chat, body, headers(tenant, priority));
    }

    static MultiMap headers(String tenant, String priority) {
        var headers = MultiMap.caseInsensitiveMultiMap();
        if (tenant != null) {
            headers.add("X-Vgate-Tenant", tenant);
        }
        if (priority != null) {
            headers.add("X-Vgate-Priority", priority);
        }
        return headers;
    }

    /** Arrival time of the first SSE event, or {@link Long#MAX_VALUE} when none came. */
    static long firstEventAt(SseClient.Call call) {
        return call.events().isEmpty()
                ? Long.MAX_VALUE
                : call.events().getFirst().arrivalNanos();
    }
}
