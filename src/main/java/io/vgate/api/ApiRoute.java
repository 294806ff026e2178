package io.vgate.api;

import io.vertx.core.http.HttpMethod;

/**
 * The OpenAI routes vgate serves. Anything else is answered 404 by vgate and never reaches vLLM.
 */
public enum ApiRoute {
    CHAT_COMPLETIONS(HttpMethod.POST, "/v1/chat/completions", "chat"),
    COMPLETIONS(HttpMethod.POST, "/v1/completions", "completions"),
    EMBEDDINGS(HttpMethod.POST, "/v1/embeddings", "embeddings"),
    MODELS(HttpMethod.GET, "/v1/models", "models");

    private final HttpMethod method;
    private final String path;
    private final String label;

    ApiRoute(HttpMethod method, String path, String label) {
        this.method = method;
        this.path = path;
        this.label = label;
    }

    public HttpMethod method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** Short name for metric labels and logs. */
    public String label() {
        return label;
    }

    /** True for routes that generate text and may answer with an SSE stream. */
    public boolean generates() {
        return this == CHAT_COMPLETIONS || this == COMPLETIONS;
    }

    /** True for routes that run the model on the GPU, as opposed to metadata routes. */
    public boolean usesModel() {
        return this != MODELS;
    }

    /** True for routes that carry a JSON body. */
    public boolean hasBody() {
        return method == HttpMethod.POST;
    }

    /**
     * True for routes whose body takes vLLM's {@code cache_salt}, which prefix-cache isolation sets from the
     * tenant. A generation route opts in here.
     */
    public boolean takesCacheSalt() {
        return this == CHAT_COMPLETIONS || this == COMPLETIONS;
    }
}
