package io.vgate.api;

import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The route table: every vLLM route vgate serves, with what the data path needs to know about each. A path
 * not in this table is answered 404 by vgate and never reaches vLLM: vLLM's control and utility routes
 * ({@code /pause}, {@code /sleep}, {@code /collective_rpc}, {@code /invocations}, {@code /reset_prefix_cache},
 * its {@code /metrics}, {@code /health}, {@code /server_info}, …) are never reachable through vgate.
 * <p>
 * Paths are Vert.x router paths; a {@code :name} segment is a path parameter (a response id), which vgate
 * checks ({@link #PATH_PARAM}) and forwards as it came. A route with several paths ({@code /rerank},
 * {@code /v1/rerank}, {@code /v2/rerank}) is one route: one label in the metrics, and each request goes to
 * vLLM under the path the client used.
 */
public enum ApiRoute {
    // Generation: queued, context-fitted, may stream.
    CHAT_COMPLETIONS(HttpMethod.POST, "chat", Kind.GENERATION, Usage.OPENAI, "/v1/chat/completions"),
    COMPLETIONS(HttpMethod.POST, "completions", Kind.GENERATION, Usage.OPENAI, "/v1/completions"),
    RESPONSES(HttpMethod.POST, "responses", Kind.GENERATION, Usage.RESPONSES, "/v1/responses"),
    RESPONSES_GET(HttpMethod.GET, "responses_get", Kind.STORED, Usage.NONE, "/v1/responses/:response_id"),
    RESPONSES_CANCEL(HttpMethod.POST, "responses_cancel", Kind.STORED, Usage.NONE, "/v1/responses/:response_id/cancel"),
    MESSAGES(HttpMethod.POST, "messages", Kind.GENERATION, Usage.ANTHROPIC, "/v1/messages"),
    MESSAGES_COUNT_TOKENS(
            HttpMethod.POST, "messages_count_tokens", Kind.TOKENIZER, Usage.NONE, "/v1/messages/count_tokens"),
    // Audio: multipart uploads, queued, may stream.
    TRANSCRIPTIONS(HttpMethod.POST, "transcriptions", Kind.AUDIO, Usage.OPENAI, "/v1/audio/transcriptions"),
    TRANSLATIONS(HttpMethod.POST, "translations", Kind.AUDIO, Usage.OPENAI, "/v1/audio/translations"),
    // Pooling models: queued, prompt tokens only.
    EMBEDDINGS(HttpMethod.POST, "embeddings", Kind.POOLING, Usage.OPENAI, "/v1/embeddings"),
    COHERE_EMBED(HttpMethod.POST, "embed_v2", Kind.POOLING, Usage.COHERE, "/v2/embed"),
    RERANK(HttpMethod.POST, "rerank", Kind.POOLING, Usage.OPENAI, "/v1/rerank", "/rerank", "/v2/rerank"),
    SCORE(HttpMethod.POST, "score", Kind.POOLING, Usage.OPENAI, "/v1/score", "/score"),
    CLASSIFY(HttpMethod.POST, "classify", Kind.POOLING, Usage.OPENAI, "/classify"),
    POOLING(HttpMethod.POST, "pooling", Kind.POOLING, Usage.OPENAI, "/pooling"),
    // The tokenizer: authenticated, not queued (no GPU work).
    TOKENIZE(HttpMethod.POST, "tokenize", Kind.TOKENIZER, Usage.NONE, "/tokenize"),
    DETOKENIZE(HttpMethod.POST, "detokenize", Kind.TOKENIZER, Usage.NONE, "/detokenize"),
    // Metadata.
    MODELS(HttpMethod.GET, "models", Kind.LISTING, Usage.NONE, "/v1/models"),
    // Administration: admin role only.
    LOAD_LORA_ADAPTER(HttpMethod.POST, "load_lora_adapter", Kind.ADMIN, Usage.NONE, "/v1/load_lora_adapter"),
    UNLOAD_LORA_ADAPTER(HttpMethod.POST, "unload_lora_adapter", Kind.ADMIN, Usage.NONE, "/v1/unload_lora_adapter");

    /** The path parameters vgate forwards: a response id as vLLM makes them, or as a client named it. */
    public static final Pattern PATH_PARAM = Pattern.compile("[A-Za-z0-9_.:-]{1,256}");

    /** The shape of vgate's own errors on a route. */
    public enum ErrorDialect {
        /** OpenAI's {@code {"error":{"message","type","param","code"}}}. */
        OPENAI,
        /** Anthropic's {@code {"type":"error","error":{"type","message"}}}, with Anthropic's statuses. */
        ANTHROPIC
    }

    /** What the request body is. */
    public enum BodyType {
        /** No body is read; a body the client sends anyway is read within the size limit and ignored. */
        NONE,
        /** A JSON object, read whole (bounded by {@code vgate.api.max-body-size}) and parsed. */
        JSON,
        /** {@code multipart/form-data}, streamed to vLLM (bounded by {@code vgate.api.max-upload-size}). */
        MULTIPART
    }

    /** Where vLLM reports the tokens a request used. */
    public enum Usage {
        /** Nothing to count. */
        NONE,
        /** {@code usage.prompt_tokens} / {@code completion_tokens}: a body's or a stream's usage chunk. */
        OPENAI,
        /** {@code response.usage.input_tokens} / {@code output_tokens} (Responses API). */
        RESPONSES,
        /** {@code usage.input_tokens} / {@code output_tokens} of {@code message_start} and {@code message_delta}. */
        ANTHROPIC,
        /** {@code meta.billed_units.input_tokens} (Cohere's embed format). */
        COHERE
    }

    /** Who may call a route. */
    public enum Access {
        /** Any authenticated caller. */
        CALLER,
        /** Callers with the {@code admin} role only; others get 403. */
        ADMIN
    }

    /** The families of routes, each with one set of data-path traits. */
    private enum Kind {
        GENERATION(true, true, true, BodyType.JSON, Access.CALLER),
        AUDIO(true, true, false, BodyType.MULTIPART, Access.CALLER),
        POOLING(true, false, false, BodyType.JSON, Access.CALLER),
        TOKENIZER(false, false, false, BodyType.JSON, Access.CALLER),
        STORED(false, false, false, BodyType.NONE, Access.CALLER),
        LISTING(false, false, false, BodyType.NONE, Access.CALLER),
        ADMIN(false, false, false, BodyType.JSON, Access.ADMIN);

        final boolean queued;
        final boolean generates;
        final boolean fitted;
        final BodyType body;
        final Access access;

        Kind(boolean queued, boolean generates, boolean fitted, BodyType body, Access access) {
            this.queued = queued;
            this.generates = generates;
            this.fitted = fitted;
            this.body = body;
            this.access = access;
        }
    }

    private final HttpMethod method;
    private final String label;
    private final Kind kind;
    private final Usage usage;
    private final List<String> paths;

    ApiRoute(HttpMethod method, String label, Kind kind, Usage usage, String... paths) {
        this.method = method;
        this.label = label;
        this.kind = kind;
        this.usage = usage;
        this.paths = List.of(paths);
    }

    public HttpMethod method() {
        return method;
    }

    /** The main path (the first of {@link #paths()}). */
    public String path() {
        return paths.get(0);
    }

    /** Every path the route is served under, as Vert.x router paths ({@code :name} is a path parameter). */
    public List<String> paths() {
        return paths;
    }

    /** Short name for metric labels and logs. */
    public String label() {
        return label;
    }

    /** The shape of vgate's own errors on this route: Anthropic's on {@code /v1/messages*}, else OpenAI's. */
    public ErrorDialect errorDialect() {
        return this == MESSAGES || this == MESSAGES_COUNT_TOKENS ? ErrorDialect.ANTHROPIC : ErrorDialect.OPENAI;
    }

    /** True for routes that run a model on the GPU: they take a place in the admission queue. */
    public boolean queued() {
        return kind.queued;
    }

    /** Same as {@link #queued()}: routes that use the model, as opposed to metadata and tokenizer routes. */
    public boolean usesModel() {
        return kind.queued;
    }

    /** True for routes that generate tokens and may answer with an SSE stream ({@code stream: true}). */
    public boolean generates() {
        return kind.generates;
    }

    /** True for routes whose prompt and completion limit context fitting may adjust. */
    public boolean fitted() {
        return kind.fitted;
    }

    /** What the request body is. */
    public BodyType bodyType() {
        return kind.body;
    }

    /** True for routes that carry a JSON body. */
    public boolean hasBody() {
        return kind.body == BodyType.JSON;
    }

    /** True for {@code multipart/form-data} uploads, streamed to vLLM rather than read whole. */
    public boolean multipart() {
        return kind.body == BodyType.MULTIPART;
    }

    /** Where vLLM reports the tokens a request used. */
    public Usage usage() {
        return usage;
    }

    /** Who may call the route. */
    public Access access() {
        return kind.access;
    }

    /** True for routes whose request names a {@code model} that vgate checks against the caller's allowlist. */
    public boolean namesModel() {
        return kind.queued || this == MESSAGES_COUNT_TOKENS || this == TOKENIZE || this == DETOKENIZE;
    }

    /**
     * The path to send to vLLM for a request that matched {@code template}, one of {@link #paths()}: the template
     * with its parameters filled in from {@code params}; {@code null} when a parameter is missing or not a
     * {@link #PATH_PARAM}.
     */
    public String upstreamPath(String template, Function<String, String> params) {
        if (template.indexOf(':') < 0) {
            return template;
        }
        var path = new StringBuilder(template.length() + 40);
        for (String segment : template.substring(1).split("/")) {
            path.append('/');
            if (segment.startsWith(":")) {
                String value = params.apply(segment.substring(1));
                if (value == null || !PATH_PARAM.matcher(value).matches()) {
                    return null;
                }
                path.append(value);
            } else {
                path.append(segment);
            }
        }
        return path.toString();
    }

    /** True when {@code path} is one of this route's paths (a parameter segment matches any one segment). */
    public boolean servesPath(String path) {
        for (String template : paths) {
            if (matches(template, path)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(String template, String path) {
        if (template.indexOf(':') < 0) {
            return template.equals(path);
        }
        String[] want = template.split("/", -1);
        String[] got = path.split("/", -1);
        if (want.length != got.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            if (want[i].startsWith(":") ? got[i].isEmpty() : !want[i].equals(got[i])) {
                return false;
            }
        }
        return true;
    }
}
