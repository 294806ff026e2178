package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestScan;
import io.vgate.upstream.VllmClient;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * Context fitting: makes a generation request fit the model's context window ({@code max_model_len})
 * before vLLM sees it, following the model's {@link ContextPolicy}.
 * <p>
 * vLLM accepts a request when {@code prompt < max_model_len} and {@code prompt + max_tokens <= max_model_len},
 * per sequence (so {@code n > 1} changes nothing: each choice has the whole window). The prompt is counted
 * with vLLM's own {@code /tokenize} (chat form, so the chat template counts, tool definitions included),
 * but only when a cheap bound cannot already show that the request fits: a byte-level tokenizer never makes
 * more tokens than bytes, so the body's size plus the template's overhead bounds the prompt. Most requests
 * are therefore sent without any extra call. Images, audio and video count a fixed number of tokens per item
 * ({@link MediaTokens}), in the bound and beside {@code /tokenize}'s count alike.
 * <p>
 * When the request does not fit:
 * <ul>
 * <li>{@code clamp}: {@code max_completion_tokens} (or {@code max_tokens}, whichever the request uses)
 * becomes {@code max_model_len - prompt}; without either, vLLM's default already fits (chat) or
 * {@code max_tokens} is set (completions, whose default is 16).</li>
 * <li>{@code trim} (chat only; completions are clamped): the oldest turns are dropped, a turn being a user
 * message with the replies after it; system and developer messages and the last user turn always stay, and
 * an assistant message's tool calls go or stay with their results.
 * As few turns as possible are dropped for the prompt to leave room for {@code min-completion-tokens} (or
 * the request's own smaller {@code max_tokens}), then the completion is clamped as above.</li>
 * <li>If it still cannot fit: {@code 400 context_length_exceeded}.</li>
 * </ul>
 * The caller learns what changed from {@code X-Vgate-Context: clamped|trimmed},
 * {@code X-Vgate-Trimmed-Messages}, {@code X-Vgate-Max-Tokens} and, whenever the prompt was counted,
 * {@code X-Vgate-Prompt-Tokens}. If vLLM cannot be asked (model list or {@code /tokenize} failing), the
 * request goes on unchanged and vLLM judges it.
 */
@Singleton
public class ContextFitter {

    /** What context fitting changed: {@code clamped} or {@code trimmed}. */
    public static final String CONTEXT_HEADER = Fitting.CONTEXT_HEADER;
    /** How many messages trimming dropped. */
    public static final String TRIMMED_MESSAGES_HEADER = Fitting.TRIMMED_MESSAGES_HEADER;
    /** The completion limit sent to vLLM after clamping. */
    public static final String MAX_TOKENS_HEADER = Fitting.MAX_TOKENS_HEADER;
    /** The prompt's token count, when vgate counted it. */
    public static final String PROMPT_TOKENS_HEADER = Fitting.PROMPT_TOKENS_HEADER;
    /** vLLM's default {@code max_tokens} for {@code /v1/completions}. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

    private static final Future<Fitting> UNCHANGED = Future.succeededFuture(Fitting.NONE);

    private final ModelCatalog catalog;
    private final PromptCounter counter;
    private final ShapingMetrics metrics;
    private final ContextPolicy defaultPolicy;
    private final int defaultMinCompletion;
    private final Map<String, ShapingConfig.ModelContext> perModel;
    private final int templateTokens;
    private final int templateTokensPerMessage;
    private final MediaTokens media;
    private final PrefixCacheIsolation isolation;

    public ContextFitter(
            ModelCatalog catalog,
            VllmClient vllm,
            ShapingMetrics metrics,
            ShapingConfig config,
            PrefixCacheIsolation isolation) {
        this.catalog = catalog;
        this.metrics = metrics;
        var context = config.context();
        this.defaultPolicy = context.policy();
        this.defaultMinCompletion = Math.max(1, context.minCompletionTokens());
        this.perModel = context.models();
        this.templateTokens = context.templateTokens();
        this.templateTokensPerMessage = context.templateTokensPerMessage();
        this.media = new MediaTokens(
                Math.max(0, context.imageTokens()),
                Math.max(0, context.audioTokens()),
                Math.max(0, context.videoTokens()));
        this.counter = new PromptCounter(vllm, media);
        this.isolation = isolation;
    }

    /**
     * Decides how the request fits, and the {@code cache_salt} it carries when prefix-cache isolation is on:
     * the edits and headers, for the data path to apply. Completes on the request's event loop; fails with
     * {@link ApiException} ({@code context_length_exceeded}, with the prompt's count in its headers) when it
     * cannot fit.
     *
     * @param tenant who the request is for (the caller's tenant, else its address), for the salt
     */
    public Future<Fitting> fit(InferenceRequest request, String tenant) {
        Future<Fitting> fitted = fit(request);
        String salt = isolation.saltFor(request.route(), tenant);
        return salt == null ? fitted : fitted.map(fitting -> fitting.withCacheSalt(salt));
    }

    private Future<Fitting> fit(InferenceRequest request) {
        if (!request.route().fitted() || !request.hasBody()) {
            return UNCHANGED;
        }
        String model = request.model();
        ContextPolicy policy = policy(model);
        if (policy == ContextPolicy.OFF) {
            return UNCHANGED;
        }
        var job = FitJob.of(request, policy, minCompletion(model));
        if (job == null) {
            return UNCHANGED;
        }
        Integer maxModelLen = catalog.cached(model);
        if (maxModelLen != null && fitsByBound(job, maxModelLen)) {
            return UNCHANGED;
        }
        // The slow path: read the model list and/or count with /tokenize.
        Uni<Integer> length = maxModelLen != null ? Uni.createFrom().item(maxModelLen) : catalog.load(model);
        var decided = length.chain(max -> max == null || (maxModelLen == null && fitsByBound(job, max))
                        ? Uni.createFrom().<FitOutcome>nullItem()
                        : decide(job, max))
                .map(outcome -> fitting(job, outcome))
                .subscribeAsCompletionStage();
        Context context = Vertx.currentContext();
        return context == null ? Future.fromCompletionStage(decided) : Future.fromCompletionStage(decided, context);
    }

    private ContextPolicy policy(String model) {
        var settings = model == null ? null : perModel.get(model);
        return settings == null ? defaultPolicy : settings.policy().orElse(defaultPolicy);
    }

    private int minCompletion(String model) {
        var settings = model == null ? null : perModel.get(model);
        return settings == null
                ? defaultMinCompletion
                : Math.max(1, settings.minCompletionTokens().orElse(defaultMinCompletion));
    }

    // -- the decision -----------------------------------------------------------------------------

    /**
     * True when a cheap upper bound of the prompt already shows the request fits: the body's bytes, plus the
     * template's overhead per message and per tool call, plus the tool definitions once more (a template
     * writes them out again, often with wider separators, after a preamble on how to call them), plus the
     * media parts' tokens.
     */
    private boolean fitsByBound(FitJob job, int maxModelLen) {
        InferenceRequest request = job.request();
        if (request.modified()) {
            return false;
        }
        long bound;
        if (request.convertedPrompt()) {
            bound = convertedBound(request);
        } else if (job.chat()) {
            // The scan added up what the messages and tools contribute, without a tree.
            RequestScan scan = request.scan();
            if (scan.hasChatTemplate() || !scan.boundable()) {
                return false;
            }
            bound = (long) request.originalSize()
                    + templateTokens
                    + (long) templateTokensPerMessage * (scan.messageCount() + (long) scan.toolCalls())
                    + (long) media.image() * scan.images()
                    + (long) media.audio() * scan.audios()
                    + (long) media.video() * scan.videos();
            if (scan.toolsLength() >= 0) {
                bound += templateTokens + scan.toolsLength();
            }
        } else {
            int ids = request.scan().promptTokenIds();
            bound = ids > 0 ? ids : request.originalSize() + 1L;
        }
        return bound >= 0 && bound + job.want() <= maxModelLen;
    }

    /** The bound for a prompt in chat form (Responses, Anthropic Messages), from the tree; -1 when there is none. */
    private long convertedBound(InferenceRequest request) {
        if (request.body().has("chat_template")) {
            return -1;
        }
        ArrayNode messages = request.messages();
        long bound = (long) request.originalSize() + templateTokens + (long) templateTokensPerMessage * messages.size();
        for (JsonNode message : messages) {
            JsonNode content = message.get("content");
            if (!boundable(content)) {
                return -1;
            }
            bound += media.of(content);
            JsonNode calls = message.get("tool_calls");
            if (calls != null && calls.isArray()) {
                bound += (long) templateTokensPerMessage * calls.size();
            }
        }
        JsonNode tools = request.body().get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            bound += templateTokens + (long) tools.toString().length();
        }
        return bound;
    }

    /** Text, or parts that are text or media (counted by item); anything else needs vLLM to count it. */
    private static boolean boundable(JsonNode content) {
        if (content == null || content.isNull() || content.isTextual()) {
            return true;
        }
        if (!content.isArray()) {
            return false;
        }
        for (JsonNode part : content) {
            if (!MediaTokens.isText(part) && !MediaTokens.isMedia(part)) {
                return false;
            }
        }
        return true;
    }

    private Uni<FitOutcome> decide(FitJob job, int maxModelLen) {
        return counter.count(job, job.chat() ? job.request().messages() : null).chain(promptTokens -> {
            if (promptTokens == null) {
                return Uni.createFrom().nullItem();
            }
            return decide(job, maxModelLen, promptTokens);
        });
    }

    private Uni<FitOutcome> decide(FitJob job, int maxModelLen, int promptTokens) {
        if (promptTokens + (long) job.want() <= maxModelLen) {
            return Uni.createFrom().item(FitOutcome.fits(promptTokens));
        }
        int room = maxModelLen - promptTokens;
        if (job.policy() == ContextPolicy.CLAMP) {
            if (room < 1) {
                return Uni.createFrom()
                        .item(new FitOutcome(promptTokens, null, 0, -1, promptTooLong(job, maxModelLen, promptTokens)));
            }
            return Uni.createFrom().item(FitOutcome.clamp(promptTokens, room));
        }
        if (promptTokens + (long) job.budget() <= maxModelLen) {
            // Room for the minimum completion: clamping is enough.
            return Uni.createFrom().item(FitOutcome.clamp(promptTokens, room));
        }
        return new TrimSearch(job, maxModelLen, promptTokens, media, messages -> counter.count(job, messages)).run();
    }

    private static ApiError promptTooLong(FitJob job, int maxModelLen, int promptTokens) {
        return ShapingErrors.contextLengthExceeded(
                "This model's maximum context length is " + maxModelLen
                        + " tokens, and the prompt alone has " + promptTokens
                        + " tokens, which leaves no room for the completion. Please shorten the "
                        + (job.chat() ? "messages." : "prompt."),
                job.chat() ? "messages" : "prompt");
    }

    // -- applying ---------------------------------------------------------------------------------

    private Fitting fitting(FitJob job, FitOutcome outcome) {
        if (outcome == null) {
            return Fitting.NONE;
        }
        if (outcome.error() != null) {
            throw new ContextLengthExceeded(outcome.error(), outcome.promptTokens());
        }
        String action = null;
        if (outcome.messages() != null) {
            action = Fitting.TRIMMED;
        }
        if (outcome.maxTokens() > 0 && action == null) {
            action = Fitting.CLAMPED;
        }
        if (action != null) {
            String model = catalog.resolve(job.request().model());
            metrics.contextAdjusted(model == null ? "unknown" : model, action);
        }
        return new Fitting(
                outcome.promptTokens(),
                outcome.messages(),
                outcome.trimmedMessages(),
                outcome.maxTokens(),
                job.field() != null ? job.field() : "max_tokens",
                action,
                null);
    }

    /** {@code 400 context_length_exceeded}, telling the caller the prompt's count. */
    static final class ContextLengthExceeded extends ApiException {
        private final int promptTokens;

        ContextLengthExceeded(ApiError error, int promptTokens) {
            super(error);
            this.promptTokens = promptTokens;
        }

        @Override
        public void writeHeaders(MultiMap headers) {
            headers.set(PROMPT_TOKENS_HEADER, Integer.toString(promptTokens));
        }
    }
}
