package io.vgate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vgate.sim.SimulatorConfig.Mode;
import java.util.List;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: the request is read and validated in vLLM's
 * order, then handed to a {@link GenerationJob} with one {@link Choice} per sequence.
 */
final class GenerateRoutes {

    private final SimEngine engine;
    private final SimSettings settings;
    private final SimMetrics metrics;
    private final List<String> servedNames;
    private final VllmValidation validation;
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    GenerateRoutes(
            SimEngine engine,
            SimSettings settings,
            SimMetrics metrics,
            List<String> servedNames,
            VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.metrics = metrics;
        this.servedNames = List.copyOf(servedNames);
        this.validation = validation;
    }

    void chatCompletions(RoutingContext rc, Buffer raw) {
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        List<SimTokenizer.Message> messages = PromptReader.messages(r);
        String model = r.optString("model");
        Integer maxCompletionTokens = r.optInt("max_completion_tokens");
        Sampling sampling = Sampling.read(r);
        boolean addGenerationPrompt = r.bool("add_generation_prompt", true);
        boolean continueFinal = r.bool("continue_final_message", false);
        boolean logprobs = r.bool("logprobs", false);
        Integer topLogprobs = r.optInt("top_logprobs");
        String bodyRequestId = r.optString("request_id");
        ReasoningPlan reasoning = ReasoningPlan.read(r, settings.reasoningMode());
        MediaParts media = MediaParts.count(r);
        ToolPlan tools = ToolPlan.read(r);
        OutputConstraint constraint = OutputConstraint.read(r, tools);
        Long bodyPriority = r.optLong("priority");
        r.throwIfInvalid();
        String cacheSalt = CacheSalt.read(r);

        validation.checkModel(model);
        VllmValidation.checkStreamOptions(sampling.streamOptions(), sampling.stream());
        tools.checkServing(settings.toolParser());
        media.check(settings.multimodal(), servedNames.get(0));
        if (topLogprobs != null) {
            if (topLogprobs < 0 && topLogprobs != -1) {
                throw SimError.validation(
                        "`top_logprobs` must be a positive value or -1.", "top_logprobs", topLogprobs);
            }
            if ((topLogprobs == -1 || topLogprobs > 0) && !logprobs) {
                throw SimError.validation(
                        "when using `top_logprobs`, `logprobs` must be set to true.", "top_logprobs", null);
            }
        }
        if (continueFinal && addGenerationPrompt && r.present("add_generation_prompt")) {
            throw SimError.validation(
                    "Cannot set both `continue_final_message` and `add_generation_prompt` to True.", null, null);
        }

        String prompt = tokenizer.renderChat(messages, addGenerationPrompt && !continueFinal, continueFinal);
        // Templates render tool definitions and earlier calls into the prompt, and a placeholder per media item.
        String templated = tools.promptText() + ChatPlan.assistantCalls(r.raw("messages"));
        int promptTokens =
                tokenizer.count(prompt) + (templated.isEmpty() ? 0 : tokenizer.count(templated)) + media.tokens();
        boolean completionParam = maxCompletionTokens != null;
        Integer requested = completionParam ? maxCompletionTokens : sampling.maxTokens();
        validation.checkContext(promptTokens, requested, completionParam ? "max_completion_tokens" : "max_tokens");
        int effectiveMax = requested != null ? requested : settings.maxModelLen() - promptTokens;
        int choices = sampling.choices();
        VllmValidation.checkSampling(sampling, effectiveMax);
        FaultPlan.maybeInjectError(
                settings.faults(), model != null ? model : servedNames.get(0), settings.maxModelLen(), promptTokens);

        String base = SimRoutes.requestId(request, bodyRequestId);
        ChatPlan plan = new ChatPlan(messages, sampling, reasoning, tools, constraint, prompt, promptTokens);
        Choice[] out = new Choice[choices];
        for (int i = 0; i < choices; i++) {
            out[i] = plan.choice(i, effectiveMax, settings);
        }
        GenerationRequest b = job(rc, GenerationJob.Kind.CHAT, "chatcmpl-" + base, base);
        b.model = validation.answerModel(model);
        b.cacheSalt = cacheSalt;
        b.cachePrompts = List.of(new PromptReader.Prompt(prompt, null));
        b.priority = priority(request, bodyPriority);
        sampling.applyTo(b, effectiveMax);
        b.choices = out;
        b.usagePromptTokens = promptTokens;
        b.prefillTokens = promptTokens;
        b.build().accept();
    }

    void completions(RoutingContext rc, Buffer raw) {
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        List<PromptReader.Prompt> prompts = PromptReader.prompts(r);
        String model = r.optString("model");
        Sampling sampling = Sampling.read(r);
        boolean addSpecialTokens = r.bool("add_special_tokens", true);
        String suffix = r.optString("suffix");
        String bodyRequestId = r.optString("request_id");
        Long bodyPriority = r.optLong("priority");
        r.throwIfInvalid();
        String cacheSalt = CacheSalt.read(r);

        validation.checkModel(model);
        VllmValidation.checkStreamOptions(sampling.streamOptions(), sampling.stream());
        if (prompts.isEmpty()) {
            throw SimError.validation("Either prompt or prompt_embeds must be provided and non-empty.", "prompt", null);
        }
        if (suffix != null) {
            throw SimError.badRequest("suffix is not currently supported");
        }
        // vLLM turns "max_tokens": null into the default as well.
        int requested = sampling.maxTokens() == null ? 16 : sampling.maxTokens();
        int usagePrompt = 0;
        for (PromptReader.Prompt p : prompts) {
            p.tokens = p.ids != null ? p.ids.length : tokenizer.count(p.text) + (addSpecialTokens ? 1 : 0);
            validation.checkContext(p.tokens, requested, "max_tokens");
            usagePrompt += p.tokens;
        }
        int choices = sampling.choices();
        VllmValidation.checkSampling(sampling, requested);
        FaultPlan.maybeInjectError(
                settings.faults(), model != null ? model : servedNames.get(0), settings.maxModelLen(), usagePrompt);

        String base = SimRoutes.requestId(request, bodyRequestId);
        Choice[] out = new Choice[prompts.size() * choices];
        for (int j = 0; j < prompts.size(); j++) {
            PromptReader.Prompt p = prompts.get(j);
            String text = p.text();
            long baseSeed = sampling.seed() != null ? sampling.seed() : TokenSource.seedOf(text);
            String echo = settings.mode() == Mode.ECHO ? text : null;
            for (int i = 0; i < choices; i++) {
                int index = j * choices + i;
                int max = Math.min(requested, settings.maxModelLen() - p.tokens);
                out[index] = new Choice(index, p.tokens, max, source(baseSeed, i, echo, sampling.ignoreEos()));
            }
        }
        GenerationRequest b = job(rc, GenerationJob.Kind.COMPLETION, "cmpl-" + base, base);
        b.model = validation.answerModel(model);
        b.cacheSalt = cacheSalt;
        b.cachePrompts = prompts;
        b.priority = priority(request, bodyPriority);
        sampling.applyTo(b, requested);
        b.choices = out;
        b.usagePromptTokens = usagePrompt;
        b.prefillTokens = usagePrompt;
        b.build().accept();
    }

    /**
     * vLLM's request priority: the {@code X-Vllm-Priority} header when it holds an integer (anything else in it is
     * ignored, as vLLM ignores it), else the body's {@code priority}, else 0.
     */
    static long priority(HttpServerRequest request, Long bodyPriority) {
        String header = request.getHeader("x-vllm-priority");
        if (header != null) {
            try {
                return Long.parseLong(header.strip());
            } catch (NumberFormatException e) {
                // Not an integer: the body's value stands.
            }
        }
        return bodyPriority != null ? bodyPriority : 0;
    }

    private TokenSource source(long baseSeed, int index, String echo, boolean ignoreEos) {
        long seed = TokenSource.seedFor(baseSeed, index);
        int mean = settings.meanOutputTokens();
        return echo != null ? TokenSource.echo(echo, seed, mean, ignoreEos) : TokenSource.random(seed, mean, ignoreEos);
    }

    private GenerationRequest job(RoutingContext rc, GenerationJob.Kind kind, String id, String base) {
        HttpServerResponse response = rc.response();
        if (rc.request().getHeader("x-request-id") == null) {
            response.putHeader("x-request-id", base);
        }
        GenerationRequest b =
                new GenerationRequest(engine, settings, metrics, rc.vertx().getOrCreateContext());
        b.response = response;
        b.kind = kind;
        b.id = id;
        b.created = System.currentTimeMillis() / 1000;
        b.model = servedNames.get(0);
        return b;
    }
}
