package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.upstream.VllmClient;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Context fitting: makes a generation request fit the model's context window ({@code max_model_len})
 * before vLLM sees it, following the model's {@link ContextPolicy}.
 * <p>
 * vLLM accepts a request when {@code prompt < max_model_len} and {@code prompt + max_tokens <= max_model_len},
 * per sequence (so {@code n > 1} changes nothing: each choice has the whole window). The prompt is counted
 * with vLLM's own {@code /tokenize} (chat form, so the chat template counts), but only when a cheap bound
 * cannot already show that the request fits: a byte-level tokenizer never makes more tokens than bytes, so
 * the body's size plus the template's overhead bounds the prompt. Most requests are therefore sent without
 * any extra call.
 * <p>
 * When the request does not fit:
 * <ul>
 * <li>{@code clamp}: {@code max_completion_tokens} (or {@code max_tokens}, whichever the request uses)
 * becomes {@code max_model_len - prompt}; without either, vLLM's default already fits (chat) or
 * {@code max_tokens} is set (completions, whose default is 16).</li>
 * <li>{@code trim} (chat only; completions are clamped): the oldest turns are dropped, a turn being a user
 * message with the replies after it; system and developer messages and the last user turn always stay.
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

    private static final Logger LOG = Logger.getLogger(ContextFitter.class);
    private static final Future<Fitting> UNCHANGED = Future.succeededFuture(Fitting.NONE);
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;
    /** Fields of a chat request that change how its template renders, so {@code /tokenize} needs them too. */
    private static final String[] TEMPLATE_FIELDS = {
        "tools",
        "chat_template",
        "chat_template_kwargs",
        "add_generation_prompt",
        "continue_final_message",
        "add_special_tokens",
        "documents"
    };

    private final ModelCatalog catalog;
    private final VllmClient vllm;
    private final ShapingMetrics metrics;
    private final ContextPolicy defaultPolicy;
    private final int defaultMinCompletion;
    private final Map<String, ShapingConfig.ModelContext> perModel;
    private final int templateTokens;
    private final int templateTokensPerMessage;
    private volatile long lastWarning;

    public ContextFitter(ModelCatalog catalog, VllmClient vllm, ShapingMetrics metrics, ShapingConfig config) {
        this.catalog = catalog;
        this.vllm = vllm;
        this.metrics = metrics;
        var context = config.context();
        this.defaultPolicy = context.policy();
        this.defaultMinCompletion = Math.max(1, context.minCompletionTokens());
        this.perModel = context.models();
        this.templateTokens = context.templateTokens();
        this.templateTokensPerMessage = context.templateTokensPerMessage();
    }

    /**
     * Decides how the request fits: the edits and headers, for the data path to apply. Completes on the
     * request's event loop; fails with {@link ApiException} ({@code context_length_exceeded}, with the
     * prompt's count in its headers) when it cannot fit.
     */
    public Future<Fitting> fit(InferenceRequest request) {
        if (!request.route().generates() || request.body() == null) {
            return UNCHANGED;
        }
        String model = request.model();
        ContextPolicy policy = policy(model);
        if (policy == ContextPolicy.OFF) {
            return UNCHANGED;
        }
        var job = Job.of(request, policy, minCompletion(model));
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
                        ? Uni.createFrom().<Outcome>nullItem()
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
     * Everything about one request that fitting needs: its policy, how much completion it asks for and
     * through which field.
     */
    private record Job(
            InferenceRequest request,
            ContextPolicy policy,
            boolean chat,
            String field,
            Integer requested,
            int minCompletion) {

        /** Returns {@code null} when the request is for vLLM to judge (odd values, no prompt to count). */
        static Job of(InferenceRequest request, ContextPolicy policy, int minCompletion) {
            ObjectNode body = request.body();
            boolean chat = request.route() == ApiRoute.CHAT_COMPLETIONS;
            if (chat ? request.messages() == null : body.get("prompt") == null) {
                return null;
            }
            String field = null;
            if (chat && present(body, "max_completion_tokens")) {
                field = "max_completion_tokens";
            } else if (present(body, "max_tokens")) {
                field = "max_tokens";
            }
            Integer requested = null;
            if (field != null) {
                JsonNode value = body.get(field);
                if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 1) {
                    return null;
                }
                requested = value.asInt();
            } else if (!chat) {
                requested = COMPLETIONS_DEFAULT_MAX_TOKENS;
            }
            return new Job(request, chat ? policy : ContextPolicy.CLAMP, chat, field, requested, minCompletion);
        }

        /** The completion the request needs room for to go through unchanged. */
        int want() {
            if (requested != null) {
                return requested;
            }
            return policy == ContextPolicy.TRIM ? minCompletion : 1;
        }

        /** The completion trimming must leave room for. */
        int budget() {
            return requested == null ? minCompletion : Math.min(requested, minCompletion);
        }

        private static boolean present(ObjectNode body, String field) {
            JsonNode value = body.get(field);
            return value != null && !value.isNull();
        }
    }

    /** What fitting decided: the exact prompt count if taken, and the edits, or the error. */
    private record Outcome(int promptTokens, ArrayNode messages, int trimmedMessages, int maxTokens, ApiError error) {

        static Outcome fits(int promptTokens) {
            return new Outcome(promptTokens, null, 0, -1, null);
        }

        static Outcome clamp(int promptTokens, int maxTokens) {
            return new Outcome(promptTokens, null, 0, maxTokens, null);
        }
    }

    /** True when a cheap upper bound of the prompt already shows the request fits. */
    private boolean fitsByBound(Job job, int maxModelLen) {
        InferenceRequest request = job.request();
        if (request.modified()) {
            return false;
        }
        long bound;
        if (job.chat()) {
            if (request.body().has("chat_template")) {
                return false;
            }
            ArrayNode messages = request.messages();
            for (JsonNode message : messages) {
                if (!textOnly(message.get("content"))) {
                    // Images and audio count by their pixels and samples, not their bytes.
                    return false;
                }
            }
            bound = (long) request.originalSize() + templateTokens + (long) templateTokensPerMessage * messages.size();
        } else {
            JsonNode prompt = request.body().get("prompt");
            bound = prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()
                    ? prompt.size()
                    : request.originalSize() + 1L;
        }
        return bound + job.want() <= maxModelLen;
    }

    private static boolean textOnly(JsonNode content) {
        if (content == null || content.isNull() || content.isTextual()) {
            return true;
        }
        if (!content.isArray()) {
            return false;
        }
        for (JsonNode part : content) {
            if (!"text".equals(part.path("type").asText())) {
                return false;
            }
        }
        return true;
    }

    private Uni<Outcome> decide(Job job, int maxModelLen) {
        return count(job, job.chat() ? job.request().messages() : null).chain(promptTokens -> {
            if (promptTokens == null) {
                return Uni.createFrom().nullItem();
            }
            return decide(job, maxModelLen, promptTokens);
        });
    }

    private Uni<Outcome> decide(Job job, int maxModelLen, int promptTokens) {
        if (promptTokens + (long) job.want() <= maxModelLen) {
            return Uni.createFrom().item(Outcome.fits(promptTokens));
        }
        int room = maxModelLen - promptTokens;
        if (job.policy() == ContextPolicy.CLAMP) {
            if (room < 1) {
                return Uni.createFrom()
                        .item(new Outcome(promptTokens, null, 0, -1, promptTooLong(job, maxModelLen, promptTokens)));
            }
            return Uni.createFrom().item(Outcome.clamp(promptTokens, room));
        }
        if (promptTokens + (long) job.budget() <= maxModelLen) {
            // Room for the minimum completion: clamping is enough.
            return Uni.createFrom().item(Outcome.clamp(promptTokens, room));
        }
        return new Trim(job, maxModelLen, promptTokens).run();
    }

    /** The search for the fewest oldest turns to drop. */
    private final class Trim {
        final Job job;
        final int maxModelLen;
        final int promptTokens;
        final ArrayNode messages;
        final List<int[]> turns;

        Trim(Job job, int maxModelLen, int promptTokens) {
            this.job = job;
            this.maxModelLen = maxModelLen;
            this.promptTokens = promptTokens;
            this.messages = job.request().messages();
            this.turns = droppableTurns(messages);
        }

        Uni<Outcome> run() {
            if (turns.isEmpty()) {
                return Uni.createFrom().item(new Outcome(promptTokens, null, 0, -1, cannotTrim(promptTokens)));
            }
            return search(1, turns.size(), -1, estimate());
        }

        /**
         * Binary search for the smallest number of turns whose removal fits, knowing that {@code hi} fits
         * (with {@code hiCount} tokens; {@code -1} when not yet counted, which only happens for all turns) and
         * that fewer than {@code lo} do not. Starts with the estimated {@code probe}.
         */
        Uni<Outcome> search(int lo, int hi, int hiCount, int probe) {
            if (lo == hi && hiCount >= 0) {
                return Uni.createFrom().item(done(hi, hiCount));
            }
            int mid = probe >= lo && probe <= hi ? probe : (lo + hi) >>> 1;
            ArrayNode kept = without(mid);
            return count(job, kept).chain(count -> {
                if (count == null) {
                    return Uni.createFrom().nullItem();
                }
                if (count + (long) job.budget() <= maxModelLen) {
                    return search(lo, mid, count, -1);
                }
                if (mid == turns.size()) {
                    return Uni.createFrom().item(new Outcome(count, null, 0, -1, cannotTrim(count)));
                }
                return search(mid + 1, hi, hiCount, -1);
            });
        }

        private Outcome done(int dropped, int count) {
            int trimmed = 0;
            for (int i = 0; i < dropped; i++) {
                trimmed += turns.get(i).length;
            }
            Integer requested = job.requested();
            int room = maxModelLen - count;
            int maxTokens = requested != null && requested > room ? room : -1;
            return new Outcome(count, without(dropped), trimmed, maxTokens, null);
        }

        /** How many turns probably have to go: their share of the text against the tokens to lose. */
        private int estimate() {
            long excess = promptTokens + (long) job.budget() - maxModelLen;
            long totalChars = 0;
            long[] turnChars = new long[turns.size()];
            for (JsonNode message : messages) {
                totalChars += size(message);
            }
            for (int t = 0; t < turns.size(); t++) {
                for (int index : turns.get(t)) {
                    turnChars[t] += size(messages.get(index));
                }
            }
            double tokensPerChar = totalChars == 0 ? 1 : promptTokens / (double) totalChars;
            double dropped = 0;
            for (int t = 0; t < turns.size(); t++) {
                dropped += turnChars[t] * tokensPerChar;
                if (dropped >= excess) {
                    return t + 1;
                }
            }
            return turns.size();
        }

        private ArrayNode without(int dropped) {
            boolean[] drop = new boolean[messages.size()];
            for (int i = 0; i < dropped; i++) {
                for (int index : turns.get(i)) {
                    drop[index] = true;
                }
            }
            ArrayNode kept = JsonNodeFactory.instance.arrayNode(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                if (!drop[i]) {
                    kept.add(messages.get(i));
                }
            }
            return kept;
        }

        private ApiError cannotTrim(int count) {
            return ShapingErrors.contextLengthExceeded(
                    "This model's maximum context length is " + maxModelLen
                            + " tokens. Even without older turns, the prompt has " + count
                            + " tokens (system messages and the"
                            + " last user turn are always kept), which leaves less than the " + job.budget()
                            + " tokens needed for the completion. Please shorten the messages.",
                    "messages");
        }
    }

    /**
     * The turns that may be dropped, oldest first: every message before the last user message except system
     * and developer messages, grouped so that a user message and the replies after it go together.
     */
    static List<int[]> droppableTurns(ArrayNode messages) {
        int lastUser = -1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                lastUser = i;
                break;
            }
        }
        List<int[]> turns = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        for (int i = 0; i < lastUser; i++) {
            String role = messages.get(i).path("role").asText();
            if ("system".equals(role) || "developer".equals(role)) {
                continue;
            }
            if ("user".equals(role) && !current.isEmpty()) {
                turns.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
            }
            current.add(i);
        }
        if (!current.isEmpty()) {
            turns.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        return turns;
    }

    private static long size(JsonNode message) {
        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            return 1;
        }
        return content.isTextual()
                ? content.textValue().length() + 1
                : content.toString().length();
    }

    private static ApiError promptTooLong(Job job, int maxModelLen, int promptTokens) {
        return ShapingErrors.contextLengthExceeded(
                "This model's maximum context length is " + maxModelLen
                        + " tokens, and the prompt alone has " + promptTokens
                        + " tokens, which leaves no room for the completion. Please shorten the "
                        + (job.chat() ? "messages." : "prompt."),
                job.chat() ? "messages" : "prompt");
    }

    // -- counting ---------------------------------------------------------------------------------

    /**
     * The prompt's token count from vLLM's {@code /tokenize}: chat form with {@code messages} (and the fields
     * that shape the template), or the completion prompt. Completes with {@code null} if vLLM cannot say.
     */
    private Uni<Integer> count(Job job, ArrayNode messages) {
        ObjectNode body = job.request().body();
        if (!job.chat()) {
            return countPrompt(job.request().model(), body.get("prompt"), body.get("add_special_tokens"));
        }
        ObjectNode tokenize = JsonNodeFactory.instance.objectNode();
        if (job.request().model() != null) {
            tokenize.put("model", job.request().model());
        }
        tokenize.set("messages", messages);
        for (String field : TEMPLATE_FIELDS) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                tokenize.set(field, value);
            }
        }
        return tokenize(tokenize);
    }

    private Uni<Integer> countPrompt(String model, JsonNode prompt, JsonNode addSpecialTokens) {
        if (prompt.isTextual()) {
            ObjectNode tokenize = JsonNodeFactory.instance.objectNode();
            if (model != null) {
                tokenize.put("model", model);
            }
            tokenize.set("prompt", prompt);
            if (addSpecialTokens != null && addSpecialTokens.isBoolean()) {
                tokenize.set("add_special_tokens", addSpecialTokens);
            }
            return tokenize(tokenize);
        }
        if (prompt.isArray() && !prompt.isEmpty()) {
            if (prompt.get(0).isNumber()) {
                return Uni.createFrom().item(prompt.size());
            }
            // Several prompts: each is its own sequence, so the longest decides.
            List<Uni<Integer>> counts = new ArrayList<>(prompt.size());
            for (JsonNode one : prompt) {
                counts.add(countPrompt(model, one, addSpecialTokens));
            }
            return Uni.join().all(counts).andFailFast().map(all -> {
                int longest = 0;
                for (Integer count : all) {
                    if (count == null) {
                        return null;
                    }
                    longest = Math.max(longest, count);
                }
                return longest;
            });
        }
        return Uni.createFrom().nullItem();
    }

    private Uni<Integer> tokenize(ObjectNode request) {
        return vllm.tokenize(request)
                .map(answer -> answer.path("count").canConvertToInt()
                        ? answer.path("count").asInt()
                        : null)
                .onFailure()
                .recoverWithItem(failure -> {
                    long now = System.nanoTime();
                    if (now - lastWarning > WARN_EVERY_NANOS) {
                        lastWarning = now;
                        LOG.warnf(
                                "vLLM's /tokenize failed (%s); requests go on without context fitting",
                                failure.toString());
                    }
                    return null;
                });
    }

    // -- applying ---------------------------------------------------------------------------------

    private Fitting fitting(Job job, Outcome outcome) {
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
                action);
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
