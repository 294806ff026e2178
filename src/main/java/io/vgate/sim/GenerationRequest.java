package io.vgate.sim;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;

/** Everything a {@link GenerationJob} needs, gathered by the request handler. */
final class GenerationRequest {

    SimEngine engine;
    SimSettings settings;
    SimMetrics metrics;
    Context ctx;
    HttpServerResponse response;
    GenerationJob.Kind kind;
    boolean stream;
    boolean includeUsage;
    boolean continuousUsage;
    String id;
    long created;
    String model;
    Choice[] choices;
    int usagePromptTokens;
    int prefillTokens;
    int paramN;
    int paramMaxTokens;
    String[] stops = new String[0];
    /** vLLM's {@code priority} (body field, or the {@code X-Vllm-Priority} header that overrides it). */
    long priority;

    boolean includeStopStr;
    /** Writes the answer in another API's shape (Responses, Anthropic Messages); null for chat and completions. */
    Dialect dialect;

    GenerationJob build() {
        return new GenerationJob(this);
    }
}
