package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.ContextInternal;
import io.vertx.ext.web.RoutingContext;
import io.vgate.sim.SimulatorConfig.Mode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The simulator's routes: request validation in vLLM's order and with its error bodies, then hand-over of
 * generation to {@link GenerationJob}. Handlers run on the connection's event loop and never block.
 */
final class SimHandlers {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(SimHandlers.class);

    /** The vLLM version {@code /version} reports. */
    static final String VLLM_VERSION = "0.29.0";

    private static final String JSON = "application/json";
    /** vLLM's default {@code VLLM_MAX_N_SEQUENCES}. */
    private static final int MAX_N = 16384;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final SimEngine engine;
    private final SimSettings settings;
    private final SimMetrics metrics;
    private final List<String> servedNames;
    private final String modelRoot;
    private final long startedEpochSeconds;
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    SimHandlers(
            SimEngine engine, SimSettings settings, SimMetrics metrics, List<String> servedNames, String modelRoot) {
        this.engine = engine;
        this.settings = settings;
        this.metrics = metrics;
        this.servedNames = List.copyOf(servedNames);
        this.modelRoot = modelRoot;
        this.startedEpochSeconds = System.currentTimeMillis() / 1000;
    }

    String modelName() {
        return servedNames.get(0);
    }

    // ---- generate routes ---------------------------------------------------------------------------------------

    void chatCompletions(RoutingContext rc) {
        withBody(rc, this::chatCompletions);
    }

    void completions(RoutingContext rc) {
        withBody(rc, this::completions);
    }

    void embeddings(RoutingContext rc) {
        withBody(rc, this::embeddings);
    }

    void tokenize(RoutingContext rc) {
        withBody(rc, this::tokenize);
    }

    void detokenize(RoutingContext rc) {
        withBody(rc, this::detokenize);
    }

    private void chatCompletions(RoutingContext rc, Buffer raw) {
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        List<SimTokenizer.Message> messages = messages(r);
        String model = r.optString("model");
        Integer maxCompletionTokens = r.optInt("max_completion_tokens");
        Sampling sampling = Sampling.read(r);
        boolean addGenerationPrompt = r.bool("add_generation_prompt", true);
        boolean continueFinal = r.bool("continue_final_message", false);
        boolean logprobs = r.bool("logprobs", false);
        Integer topLogprobs = r.optInt("top_logprobs");
        String bodyRequestId = r.optString("request_id");
        r.throwIfInvalid();

        checkModel(model);
        checkStreamOptions(sampling.streamOptions(), sampling.stream());
        JsonNode tools = r.raw("tools");
        if (tools != null && tools.isArray() && tools.isEmpty()) {
            throw SimError.validation(
                    "`tools` must not be an empty array. "
                            + "Either provide at least one tool or omit the field entirely.",
                    "tools",
                    null);
        }
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
        int promptTokens = tokenizer.count(prompt);
        boolean completionParam = maxCompletionTokens != null;
        Integer requested = completionParam ? maxCompletionTokens : sampling.maxTokens();
        checkContext(promptTokens, requested, completionParam ? "max_completion_tokens" : "max_tokens");
        int effectiveMax = requested != null ? requested : settings.maxModelLen() - promptTokens;
        int choices = sampling.choices();
        checkSampling(sampling, effectiveMax);
        maybeInjectError();

        String base = requestId(request, bodyRequestId);
        long baseSeed = sampling.seed() != null ? sampling.seed() : TokenSource.seedOf(prompt);
        String echo = settings.mode() == Mode.ECHO ? lastUserContent(messages) : null;
        GenerationJob.Choice[] out = new GenerationJob.Choice[choices];
        for (int i = 0; i < choices; i++) {
            out[i] = new GenerationJob.Choice(
                    i, promptTokens, effectiveMax, source(baseSeed, i, echo, sampling.ignoreEos()));
        }
        GenerationJob.Builder b = job(rc, GenerationJob.Kind.CHAT, "chatcmpl-" + base, base);
        sampling.applyTo(b, effectiveMax);
        b.choices = out;
        b.usagePromptTokens = promptTokens;
        b.prefillTokens = promptTokens;
        b.build().accept();
    }

    private void completions(RoutingContext rc, Buffer raw) {
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        List<Prompt> prompts = prompts(r);
        String model = r.optString("model");
        Sampling sampling = Sampling.read(r);
        boolean addSpecialTokens = r.bool("add_special_tokens", true);
        String suffix = r.optString("suffix");
        String bodyRequestId = r.optString("request_id");
        r.throwIfInvalid();

        checkModel(model);
        checkStreamOptions(sampling.streamOptions(), sampling.stream());
        if (prompts.isEmpty()) {
            throw SimError.validation("Either prompt or prompt_embeds must be provided and non-empty.", "prompt", null);
        }
        if (suffix != null) {
            throw SimError.badRequest("suffix is not currently supported");
        }
        // vLLM turns "max_tokens": null into the default as well.
        int requested = sampling.maxTokens() == null ? 16 : sampling.maxTokens();
        int usagePrompt = 0;
        for (Prompt p : prompts) {
            p.tokens = p.ids != null ? p.ids.length : tokenizer.count(p.text) + (addSpecialTokens ? 1 : 0);
            checkContext(p.tokens, requested, "max_tokens");
            usagePrompt += p.tokens;
        }
        int choices = sampling.choices();
        checkSampling(sampling, requested);
        maybeInjectError();

        String base = requestId(request, bodyRequestId);
        GenerationJob.Choice[] out = new GenerationJob.Choice[prompts.size() * choices];
        for (int j = 0; j < prompts.size(); j++) {
            Prompt p = prompts.get(j);
            String text = p.text();
            long baseSeed = sampling.seed() != null ? sampling.seed() : TokenSource.seedOf(text);
            String echo = settings.mode() == Mode.ECHO ? text : null;
            for (int i = 0; i < choices; i++) {
                int index = j * choices + i;
                int max = Math.min(requested, settings.maxModelLen() - p.tokens);
                out[index] =
                        new GenerationJob.Choice(index, p.tokens, max, source(baseSeed, i, echo, sampling.ignoreEos()));
            }
        }
        GenerationJob.Builder b = job(rc, GenerationJob.Kind.COMPLETION, "cmpl-" + base, base);
        sampling.applyTo(b, requested);
        b.choices = out;
        b.usagePromptTokens = usagePrompt;
        b.prefillTokens = usagePrompt;
        b.build().accept();
    }

    private void embeddings(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        List<Prompt> inputs = embeddingInputs(r);
        String model = r.optString("model");
        String format = r.optString("encoding_format");
        Integer dimensions = r.optInt("dimensions");
        String bodyRequestId = r.optString("request_id");
        if (format != null && !format.equals("float") && !format.equals("base64")) {
            r.error(
                    "literal_error",
                    "Input should be 'float' or 'base64'",
                    r.raw("encoding_format"),
                    "encoding_format");
        }
        r.throwIfInvalid();
        checkModel(model);
        int dims = settings.embeddingDimensions();
        if (dimensions != null) {
            if (dimensions < 1 || dimensions > dims) {
                throw SimError.validation(
                        "Dimensions must be between 1 and " + dims + ", got " + dimensions + ".",
                        "dimensions",
                        dimensions);
            }
            dims = dimensions;
        }
        int promptTokens = 0;
        int maxLen = settings.maxModelLen();
        for (Prompt p : inputs) {
            p.tokens = p.ids != null ? p.ids.length : tokenizer.count(p.text) + 1;
            if (p.tokens > maxLen) {
                throw SimError.badRequest("This model's maximum context length is " + maxLen
                        + " tokens. However, you requested " + p.tokens
                        + " tokens in the input for embedding generation. Please reduce the length of the input.");
            }
            promptTokens += p.tokens;
        }
        String base = requestId(request, bodyRequestId);
        boolean base64 = "base64".equals(format);
        String created = Long.toString(System.currentTimeMillis() / 1000);
        int finalDims = dims;
        int finalPromptTokens = promptTokens;
        Runnable answer = () -> {
            StringBuilder sb = new StringBuilder(64 + inputs.size() * finalDims * (base64 ? 6 : 21));
            sb.append("{\"id\":");
            Json.str(sb, "embd-" + base)
                    .append(",\"object\":\"list\",\"created\":")
                    .append(created)
                    .append(",\"model\":");
            Json.str(sb, modelName()).append(",\"data\":[");
            for (int i = 0; i < inputs.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                float[] vector = embedding(inputs.get(i), finalDims);
                sb.append("{\"index\":").append(i).append(",\"object\":\"embedding\",\"embedding\":");
                if (base64) {
                    ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (float f : vector) {
                        bytes.putFloat(f);
                    }
                    sb.append('"')
                            .append(Base64.getEncoder().encodeToString(bytes.array()))
                            .append('"');
                } else {
                    sb.append('[');
                    for (int k = 0; k < vector.length; k++) {
                        if (k > 0) {
                            sb.append(',');
                        }
                        sb.append(Json.pyFloat(vector[k]));
                    }
                    sb.append(']');
                }
                sb.append('}');
            }
            sb.append("],\"usage\":{\"prompt_tokens\":")
                    .append(finalPromptTokens)
                    .append(",\"total_tokens\":")
                    .append(finalPromptTokens)
                    .append(",\"completion_tokens\":0,\"prompt_tokens_details\":null}}");
            rc.response().putHeader("content-type", JSON).end(sb.toString());
            engine.end();
        };
        engine.begin();
        long delay = (long) (engine.loadFactor()
                * (settings.timeToFirstTokenNanos() + (double) promptTokens * settings.prefillTimePerTokenNanos()));
        long due = arrival + delay;
        long wait = due - System.nanoTime();
        if (wait <= 0) {
            answer.run();
            return;
        }
        ContextInternal ctx = ContextInternal.current();
        var timer = ctx.nettyEventLoop()
                .schedule(
                        () -> ctx.emit(v -> {
                            if (!rc.response().closed()) {
                                answer.run();
                            } else {
                                engine.end();
                            }
                        }),
                        wait,
                        TimeUnit.NANOSECONDS);
        rc.response().closeHandler(v -> {
            if (timer.cancel(false)) {
                engine.end();
            }
        });
    }

    private void tokenize(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String model = r.optString("model");
        boolean tokenStrs = r.bool("return_token_strs", false);
        int[] ids;
        if (r.present("messages")) {
            List<SimTokenizer.Message> messages = messages(r);
            boolean addGenerationPrompt = r.bool("add_generation_prompt", true);
            boolean continueFinal = r.bool("continue_final_message", false);
            boolean addSpecial = r.bool("add_special_tokens", false);
            r.throwIfInvalid();
            checkModel(model);
            String prompt = tokenizer.renderChat(messages, addGenerationPrompt && !continueFinal, continueFinal);
            ids = tokenizer.encode(prompt, addSpecial);
        } else {
            JsonNode prompt = r.raw("prompt");
            boolean addSpecial = r.bool("add_special_tokens", true);
            if (!r.present("prompt")) {
                r.error("missing", "Field required", r.body(), "prompt");
            } else if (prompt == null || !prompt.isTextual()) {
                r.error("string_type", "Input should be a valid string", prompt, "prompt");
            }
            r.throwIfInvalid();
            checkModel(model);
            ids = tokenizer.encode(prompt.textValue(), addSpecial);
        }
        StringBuilder sb = new StringBuilder(64 + ids.length * 8);
        sb.append("{\"count\":")
                .append(ids.length)
                .append(",\"max_model_len\":")
                .append(settings.maxModelLen())
                .append(",\"tokens\":[");
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(ids[i]);
        }
        sb.append("],\"token_strs\":");
        if (tokenStrs) {
            sb.append('[');
            List<String> strs = tokenizer.tokenStrings(ids);
            for (int i = 0; i < strs.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.str(sb, strs.get(i));
            }
            sb.append(']');
        } else {
            sb.append("null");
        }
        rc.response().putHeader("content-type", JSON).end(sb.append('}').toString());
    }

    private void detokenize(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String model = r.optString("model");
        JsonNode tokens = r.raw("tokens");
        int[] ids = null;
        if (tokens == null) {
            r.error("missing", "Field required", r.body(), "tokens");
        } else if (!tokens.isArray()) {
            r.error("list_type", "Input should be a valid list", tokens, "tokens");
        } else {
            ids = new int[tokens.size()];
            for (int i = 0; i < ids.length; i++) {
                Long id = r.toLong(tokens.get(i), "tokens", i);
                ids[i] = id == null ? 0 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, id));
            }
        }
        r.throwIfInvalid();
        checkModel(model);
        String text;
        try {
            text = tokenizer.decode(ids);
        } catch (IllegalArgumentException e) {
            throw SimError.validation("Token id " + e.getMessage() + " is out of vocabulary.", "tokens", null);
        }
        StringBuilder sb = new StringBuilder(text.length() + 16).append("{\"prompt\":");
        rc.response()
                .putHeader("content-type", JSON)
                .end(Json.str(sb, text).append('}').toString());
    }

    // ---- other routes ------------------------------------------------------------------------------------------

    void models(RoutingContext rc) {
        echoRequestId(rc);
        long created = System.currentTimeMillis() / 1000;
        StringBuilder sb = new StringBuilder(512).append("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < servedNames.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"id\":");
            Json.str(sb, servedNames.get(i))
                    .append(",\"object\":\"model\",\"created\":")
                    .append(created)
                    .append(",\"owned_by\":\"vllm\",\"root\":");
            Json.str(sb, modelRoot)
                    .append(",\"parent\":null,\"max_model_len\":")
                    .append(settings.maxModelLen())
                    .append(",\"permission\":[{\"id\":\"modelperm-")
                    .append(randomHex())
                    .append("\",\"object\":\"model_permission\",\"created\":")
                    .append(created)
                    .append(",\"allow_create_engine\":false,\"allow_sampling\":true,\"allow_logprobs\":true,"
                            + "\"allow_search_indices\":false,\"allow_view\":true,\"allow_fine_tuning\":false,"
                            + "\"organization\":\"*\",\"group\":null,\"is_blocking\":false}]}");
        }
        rc.response().putHeader("content-type", JSON).end(sb.append("]}").toString());
    }

    void health(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().end();
    }

    void version(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().putHeader("content-type", JSON).end("{\"version\":\"" + VLLM_VERSION + "\"}");
    }

    void load(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().putHeader("content-type", JSON).end("{\"server_load\":" + engine.inflight() + "}");
    }

    void metrics(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().putHeader("content-type", SimMetrics.CONTENT_TYPE).end(metrics.scrape());
    }

    void getSettings(RoutingContext rc) {
        rc.response().putHeader("content-type", JSON).end(SettingsJson.write(settings));
    }

    void postSettings(RoutingContext rc) {
        rc.request().body().onSuccess(raw -> {
            try {
                JsonNode node = Json.MAPPER.readTree(raw.getBytes());
                SettingsJson.apply(settings, node);
                getSettings(rc);
            } catch (IllegalArgumentException | java.io.IOException e) {
                rc.response()
                        .setStatusCode(400)
                        .putHeader("content-type", JSON)
                        .end("{\"detail\":" + Json.quote(String.valueOf(e.getMessage())) + "}");
            }
        });
    }

    void resetSettings(RoutingContext rc) {
        settings.reset();
        getSettings(rc);
    }

    /** FastAPI's answer for a path no route serves. */
    void notFound(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().setStatusCode(404).putHeader("content-type", JSON).end("{\"detail\":\"Not Found\"}");
    }

    /** FastAPI's answer for a known path with the wrong method. */
    void methodNotAllowed(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().setStatusCode(405).putHeader("content-type", JSON).end("{\"detail\":\"Method Not Allowed\"}");
    }

    // ---- validation --------------------------------------------------------------------------------------------

    private void checkModel(String model) {
        if (model == null || model.isEmpty()) {
            return;
        }
        for (String name : servedNames) {
            if (name.equals(model)) {
                return;
            }
        }
        throw SimError.modelNotFound(model);
    }

    private static void checkStreamOptions(JsonNode streamOptions, boolean stream) {
        // vLLM tests the raw dict's truthiness: an empty object passes.
        if (streamOptions != null && !(streamOptions.isObject() && streamOptions.isEmpty()) && !stream) {
            throw SimError.validation("Stream options can only be defined when `stream=True`.", "stream_options", null);
        }
    }

    private static boolean streamOption(RequestReader r, JsonNode options, String field, boolean defaultValue) {
        if (!options.isObject()) {
            r.error(
                    "model_attributes_type",
                    "Input should be a valid dictionary or object to extract fields from",
                    options,
                    "stream_options");
            return false;
        }
        JsonNode v = options.get(field);
        if (v == null || v.isNull()) {
            return defaultValue;
        }
        Boolean b = r.toBool(v, "stream_options", field);
        return b == null ? defaultValue : b;
    }

    /**
     * The context-length check (vLLM's renderer wording, newest release). A prompt at or over the context length
     * reports {@code input_tokens}; a prompt that fits but leaves too little room for the requested output reports
     * the output parameter. Like vLLM, which stops tokenizing one token past the limit, the count says "at least".
     */
    private void checkContext(int promptTokens, Integer requested, String outputParam) {
        int maxLen = settings.maxModelLen();
        if (requested != null && requested > maxLen) {
            throw SimError.validation(
                    outputParam + "=" + requested + " cannot be greater than max_model_len" + "=max_total_tokens="
                            + maxLen + ". Please request fewer output tokens.",
                    outputParam,
                    requested);
        }
        int output = requested == null ? 0 : Math.max(0, requested);
        if (promptTokens < maxLen && promptTokens + output <= maxLen) {
            return;
        }
        int maxInput = maxLen - output;
        int reported = Math.min(promptTokens, maxInput + 1);
        String qualifier = reported == maxInput + 1 ? "at least " : "";
        String message = "This model's maximum context length is " + maxLen + " tokens. However, you requested "
                + output + " output tokens and your prompt contains " + qualifier + reported
                + " input tokens, for a total of " + qualifier + (reported + output)
                + " tokens. Please reduce the length of the input prompt or the number of requested output tokens.";
        if (promptTokens >= maxLen) {
            throw SimError.validation(message, "input_tokens", reported);
        }
        throw SimError.validation(message, outputParam, output);
    }

    /**
     * The sampling and streaming fields chat and text completions share, read in the order vLLM's request
     * models declare them (so that the first invalid one is the one reported).
     */
    private record Sampling(
            Integer maxTokens,
            Integer n,
            Double temperature,
            Double topP,
            Double presencePenalty,
            Double frequencyPenalty,
            boolean stream,
            JsonNode streamOptions,
            boolean includeUsage,
            boolean continuousUsage,
            Long seed,
            String[] stop,
            boolean ignoreEos,
            boolean includeStopStr) {

        static Sampling read(RequestReader r) {
            Integer maxTokens = r.optInt("max_tokens");
            Integer n = r.optInt("n");
            Double temperature = r.optDouble("temperature");
            Double topP = r.optDouble("top_p");
            Double presencePenalty = r.optDouble("presence_penalty");
            Double frequencyPenalty = r.optDouble("frequency_penalty");
            boolean stream = r.bool("stream", false);
            JsonNode streamOptions = r.raw("stream_options");
            boolean includeUsage = streamOptions != null && streamOption(r, streamOptions, "include_usage", true);
            boolean continuousUsage = includeUsage && streamOption(r, streamOptions, "continuous_usage_stats", false);
            return new Sampling(
                    maxTokens,
                    n,
                    temperature,
                    topP,
                    presencePenalty,
                    frequencyPenalty,
                    stream,
                    streamOptions,
                    includeUsage,
                    continuousUsage,
                    r.optLong("seed"),
                    r.stopList("stop"),
                    r.bool("ignore_eos", false),
                    r.bool("include_stop_str_in_output", false));
        }

        int choices() {
            return n == null ? 1 : n;
        }

        /** The job's streaming flags and the parameters its metrics report. */
        void applyTo(GenerationJob.Builder job, int effectiveMaxTokens) {
            job.stream = stream;
            job.includeUsage = stream && includeUsage;
            job.continuousUsage = stream && continuousUsage;
            job.paramN = choices();
            job.paramMaxTokens = effectiveMaxTokens;
            job.stops = stop;
            job.includeStopStr = includeStopStr;
        }
    }

    /** {@code SamplingParams._verify_args}, in vLLM's order. */
    private static void checkSampling(Sampling sampling, int maxTokens) {
        int n = sampling.choices();
        Double temperature = sampling.temperature();
        Double topP = sampling.topP();
        Double presencePenalty = sampling.presencePenalty();
        Double frequencyPenalty = sampling.frequencyPenalty();
        String[] stop = sampling.stop();
        if (n < 1) {
            throw SimError.validation("n must be at least 1, got " + n + ".", null, null);
        }
        if (n > MAX_N) {
            throw SimError.validation(
                    "n must be at most " + MAX_N + ", got " + n + ". To increase this limit, set "
                            + "the VLLM_MAX_N_SEQUENCES environment variable.",
                    null,
                    null);
        }
        if (presencePenalty != null && !(presencePenalty >= -2.0 && presencePenalty <= 2.0)) {
            throw SimError.validation(
                    "presence_penalty must be in [-2, 2], got " + Json.pyFloat(presencePenalty) + ".", null, null);
        }
        if (frequencyPenalty != null && !(frequencyPenalty >= -2.0 && frequencyPenalty <= 2.0)) {
            throw SimError.validation(
                    "frequency_penalty must be in [-2, 2], got " + Json.pyFloat(frequencyPenalty) + ".", null, null);
        }
        if (temperature != null) {
            String t = Json.pyFloat(temperature);
            if (!Double.isFinite(temperature)) {
                throw SimError.validation(
                        "temperature must be a finite number, got " + t + ".", "temperature", temperature);
            }
            if (temperature < 0.0) {
                throw SimError.validation(
                        "temperature must be non-negative, got " + t + ".", "temperature", temperature);
            }
            if (temperature > 2.0) {
                throw SimError.validation("temperature must be in [0, 2], got " + t + ".", "temperature", temperature);
            }
        }
        if (topP != null && !(topP > 0.0 && topP <= 1.0)) {
            throw SimError.validation("top_p must be in (0, 1], got " + Json.pyFloat(topP) + ".", "top_p", topP);
        }
        if (maxTokens < 1) {
            throw SimError.validation("max_tokens must be at least 1, got " + maxTokens + ".", "max_tokens", maxTokens);
        }
        for (String s : stop) {
            if (s.isEmpty()) {
                throw SimError.validation("stop cannot contain an empty string.", null, null);
            }
        }
        if (temperature != null && temperature < 1e-5 && n > 1) {
            throw SimError.validation("n must be 1 when using greedy sampling, got " + n + ".", null, null);
        }
    }

    private void maybeInjectError() {
        double rate = settings.faults().errorRate();
        if (rate > 0 && (rate >= 1.0 || ThreadLocalRandom.current().nextDouble() < rate)) {
            throw SimError.injected(settings.faults().errorStatus());
        }
    }

    // ---- request parts -----------------------------------------------------------------------------------------

    private static List<SimTokenizer.Message> messages(RequestReader r) {
        JsonNode node = r.raw("messages");
        List<SimTokenizer.Message> out = new ArrayList<>();
        if (node == null) {
            if (r.present("messages")) {
                r.error("list_type", "Input should be a valid list", null, "messages");
            } else {
                r.error("missing", "Field required", r.body(), "messages");
            }
            return out;
        }
        if (!node.isArray()) {
            r.error("list_type", "Input should be a valid list", node, "messages");
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (!m.isObject()) {
                r.error("dict_type", "Input should be a valid dictionary", m, "messages", i);
                continue;
            }
            JsonNode role = m.get("role");
            if (role == null) {
                r.error("missing", "Field required", m, "messages", i, "role");
                continue;
            }
            if (!role.isTextual()) {
                r.error("string_type", "Input should be a valid string", role, "messages", i, "role");
                continue;
            }
            out.add(new SimTokenizer.Message(role.textValue(), content(r, m.get("content"), i)));
        }
        return out;
    }

    /** Message content as text: a string, or its text parts joined by newlines (other parts are ignored). */
    private static String content(RequestReader r, JsonNode content, int index) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < content.size(); k++) {
                JsonNode part = content.get(k);
                if (part.isTextual()) {
                    append(sb, part.textValue());
                } else if (part.isObject()) {
                    JsonNode text = part.get("text");
                    String type = part.path("type").asText("text");
                    if ((type.equals("text") || type.equals("input_text")) && text != null && text.isTextual()) {
                        append(sb, text.textValue());
                    }
                } else {
                    r.error("dict_type", "Input should be a valid dictionary", part, "messages", index, "content", k);
                }
            }
            return sb.toString();
        }
        r.error("string_type", "Input should be a valid string", content, "messages", index, "content");
        return "";
    }

    private static void append(StringBuilder sb, String text) {
        if (!sb.isEmpty()) {
            sb.append('\n');
        }
        sb.append(text);
    }

    private static String lastUserContent(List<SimTokenizer.Message> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("user".equals(messages.get(i).role())) {
                return messages.get(i).content();
            }
        }
        return messages.isEmpty() ? "" : messages.get(messages.size() - 1).content();
    }

    /** A completion prompt or embedding input: text, or token ids. */
    private final class Prompt {
        final String text;
        final int[] ids;
        int tokens;

        Prompt(String text, int[] ids) {
            this.text = text;
            this.ids = ids;
        }

        String text() {
            if (text != null) {
                return text;
            }
            try {
                return tokenizer.decode(ids);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
    }

    private List<Prompt> prompts(RequestReader r) {
        if (!r.present("prompt")) {
            r.error("missing", "Field required", r.body(), "prompt");
            return List.of();
        }
        List<Prompt> out = promptList(r, r.raw("prompt"), "prompt");
        return out.size() == 1 && out.get(0).text != null && out.get(0).text.isEmpty() ? List.of() : out;
    }

    private List<Prompt> embeddingInputs(RequestReader r) {
        if (!r.present("input")) {
            r.error("missing", "Field required", r.body(), "input");
            return List.of();
        }
        JsonNode input = r.raw("input");
        if (input == null) {
            r.error("string_type", "Input should be a valid string", null, "input");
            return List.of();
        }
        return promptList(r, input, "input");
    }

    /** {@code str | list[str] | list[int] | list[list[int]]}. */
    private List<Prompt> promptList(RequestReader r, JsonNode node, String field) {
        List<Prompt> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isTextual()) {
            out.add(new Prompt(node.textValue(), null));
            return out;
        }
        if (!node.isArray()) {
            r.error("string_type", "Input should be a valid string", node, field);
            return out;
        }
        if (node.isEmpty()) {
            return out;
        }
        JsonNode first = node.get(0);
        if (first.isIntegralNumber()) {
            out.add(new Prompt(null, ids(r, node, field)));
        } else if (first.isTextual()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isTextual()) {
                    r.error("string_type", "Input should be a valid string", item, field, i);
                    return List.of();
                }
                out.add(new Prompt(item.textValue(), null));
            }
        } else if (first.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isArray()) {
                    r.error("list_type", "Input should be a valid list", item, field, i);
                    return List.of();
                }
                out.add(new Prompt(null, ids(r, item, field)));
            }
        } else {
            r.error("string_type", "Input should be a valid string", first, field, 0);
        }
        return out;
    }

    private static int[] ids(RequestReader r, JsonNode array, String field) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            Long v = r.toLong(array.get(i), field, i);
            ids[i] = v == null ? 0 : (int) Math.max(0, Math.min(Integer.MAX_VALUE, v));
        }
        return ids;
    }

    private TokenSource source(long baseSeed, int index, String echo, boolean ignoreEos) {
        long seed = TokenSource.seedFor(baseSeed, index);
        int mean = settings.meanOutputTokens();
        return echo != null ? TokenSource.echo(echo, seed, mean, ignoreEos) : TokenSource.random(seed, mean, ignoreEos);
    }

    /** A deterministic unit vector for an input, as float32 values. */
    private float[] embedding(Prompt input, int dims) {
        long seed = input.ids != null ? java.util.Arrays.hashCode(input.ids) : TokenSource.seedOf(input.text);
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[dims];
        double norm = 0;
        for (int i = 0; i < dims; i++) {
            double x = random.nextDouble() * 2 - 1;
            v[i] = (float) x;
            norm += x * x;
        }
        float scale = (float) (1 / Math.sqrt(Math.max(norm, 1e-12)));
        for (int i = 0; i < dims; i++) {
            v[i] *= scale;
        }
        return v;
    }

    // ---- plumbing ----------------------------------------------------------------------------------------------

    private GenerationJob.Builder job(RoutingContext rc, GenerationJob.Kind kind, String id, String base) {
        HttpServerResponse response = rc.response();
        if (rc.request().getHeader("x-request-id") == null) {
            response.putHeader("x-request-id", base);
        }
        GenerationJob.Builder b = new GenerationJob.Builder();
        b.engine = engine;
        b.settings = settings;
        b.metrics = metrics;
        b.ctx = ContextInternal.current();
        b.response = response;
        b.kind = kind;
        b.id = id;
        b.created = System.currentTimeMillis() / 1000;
        b.model = modelName();
        return b;
    }

    /** The request id vLLM uses: the {@code X-Request-Id} header, else the body's {@code request_id}, else random. */
    private static String requestId(HttpServerRequest request, String bodyRequestId) {
        String header = request.getHeader("x-request-id");
        if (header != null) {
            return header;
        }
        return bodyRequestId != null ? bodyRequestId : randomHex();
    }

    private static String randomHex() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[32];
        long a = random.nextLong();
        long b = random.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xF];
            out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xF];
        }
        return new String(out);
    }

    private static void echoRequestId(RoutingContext rc) {
        String id = rc.request().getHeader("x-request-id");
        if (id != null) {
            rc.response().putHeader("x-request-id", id);
        }
    }

    /** Collects the body, then runs the handler; a {@link SimError} becomes vLLM's error response. */
    private static void withBody(RoutingContext rc, BiConsumer<RoutingContext, Buffer> handler) {
        echoRequestId(rc);
        rc.request().body().onComplete(ar -> {
            if (ar.failed()) {
                return;
            }
            try {
                handler.accept(rc, ar.result());
            } catch (SimError e) {
                sendError(rc.response(), e);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Simulator route %s failed", rc.request().path());
                internalError(rc.response(), e);
            }
        });
    }

    static void sendError(HttpServerResponse response, SimError e) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(e.status).putHeader("content-type", JSON).end(e.body());
    }

    /** Shared with the verticle so unknown exceptions still answer like vLLM's catch-all handler. */
    static void internalError(HttpServerResponse response, Throwable t) {
        if (!response.headWritten() && !response.closed()) {
            sendError(response, new SimError(500, "InternalServerError", String.valueOf(t.getMessage()), null));
        } else if (!response.closed()) {
            response.reset();
        }
    }
}
