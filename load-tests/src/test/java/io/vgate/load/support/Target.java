package io.vgate.load.support;

import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.http.HttpProtocolBuilder;

/**
 * The deployment under test, shared by every scenario:
 * <pre>
 * vgate.url      / VGATE_URL       base URL, default http://127.0.0.1:8080 (run.sh passes its local stack's)
 * vgate.apiKey   / VGATE_API_KEY   API key sent as a bearer token; none by default (a vgate with auth off)
 * vgate.model    / VGATE_MODEL     model name; none by default (vLLM then serves its only model)
 * </pre>
 */
public final class Target {

    public static final String URL = Params.string("vgate.url", "http://127.0.0.1:8080");
    public static final String API_KEY = Params.string("vgate.apiKey", null);
    public static final String MODEL = Params.string("vgate.model", null);

    private Target() {
    }

    /** The HTTP protocol every scenario starts from: base URL, JSON, the API key if any. */
    public static HttpProtocolBuilder http(String apiKey) {
        HttpProtocolBuilder p = http.baseUrl(URL)
                .contentTypeHeader("application/json")
                .acceptEncodingHeader("identity")
                .userAgentHeader("vgate-load-tests")
                // Content events of a stream that no check claims are buffered until the next
                // processUnmatchedMessages; keep room for a long answer.
                .sseUnmatchedInboundMessageBufferSize(4096);
        return apiKey == null ? p : p.authorizationHeader("Bearer " + apiKey);
    }

    public static HttpProtocolBuilder http() {
        return http(API_KEY);
    }
}
