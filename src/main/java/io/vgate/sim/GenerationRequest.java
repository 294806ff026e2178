package io.vgate.sim;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;

/** Everything a {@link GenerationJob} needs, gathered by the request handler. */
final class GenerationRequest {

    final SimEngine engine;
    final SimSettings settings;
    final SimMetrics metrics;
    /** The context of the request's connection, where the job runs. */
    final Context ctx;

    HttpServerResponse response;
    GenerationJob.Kind kind;
    boolean stream;
    boolean includeUsage;
    boolean continuousUsage;
    String id;
    long created;
    String model;
    /** Writes the answer in another API's shape (Responses, Anthropic Messages); null for chat and completions. */
    Dialect dialect;

    Choice[] choices;
    int usagePromptTokens;
    int prefillTokens;
    int paramN;
    int paramMaxTokens;
    String[] stops = new String[0];
    /** vLLM's {@code priority} (body field, or the {@code X-Vllm-Priority} header that overrides it). */
    long priority;

    boolean includeStopStr;
    /** The prompts looked up in the prefix cache (one per distinct prompt), or null for none. */
    java.util.List<PromptReader.Prompt> cachePrompts;
    /** vLLM's {@code cache_salt}: prompts with different salts never share cached blocks. */
    String cacheSalt;
    /** The bytes of a non-chat, non-completion answer (audio); null for {@link ChunkWriter}'s. */
    ChunkWriter chunks;

    GenerationRequest(SimEngine engine, SimSettings settings, SimMetrics metrics, Context ctx) {
        this.engine = engine;
        this.settings = settings;
        this.metrics = metrics;
        this.ctx = ctx;
    }

    GenerationJob build() {
        return new GenerationJob(this);
    }
}
