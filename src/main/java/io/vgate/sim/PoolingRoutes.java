package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * vLLM's pooling family beyond {@code /v1/embeddings}: rerank ({@code /rerank}, {@code /v1/rerank},
 * {@code /v2/rerank}), score ({@code /score}, {@code /v1/score}), {@code /classify} and {@code /pooling} (Cohere's
 * {@code /v2/embed} is {@link CohereEmbedRoute}). Which of them exist depends on the model's task ({@link SimTask}, checked by {@link ServingGate});
 * here each reads and checks its request as vLLM does and answers after the simulated prefill time.
 *
 * <p>Scores are deterministic: an embedding model scores by the cosine similarity of the vectors
 * {@code /v1/embeddings} returns (so texts sharing words score higher); a cross-encoder ({@code score} task) maps the
 * same similarity through a sigmoid; a classifier's probabilities are seeded by its input.</p>
 */
final class PoolingRoutes {

    /** Tokens a cross-encoder adds around a pair: {@code [CLS] query [SEP] document [SEP]}. */
    private static final int PAIR_SPECIAL_TOKENS = 3;
    /** Dimensions of the vectors a cross-encoder compares internally. */
    private static final int CROSS_ENCODER_DIMS = 256;

    private static final String[] CLASSIFY_LABELS = {"negative", "positive"};
    private static final String CROSS_ENCODER_LABEL = "LABEL_0";

    private final SimEngine engine;
    private final SimSettings settings;
    private final VllmValidation validation;
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    PoolingRoutes(SimEngine engine, SimSettings settings, VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.validation = validation;
    }

    /** A query or document: its text (text parts joined) and, for a multimodal one, its content parts. */
    private record Item(String text, JsonNode multiModal) {}

    /** The fields every pooling request shares ({@code PoolingBasicRequestMixin}). */
    private record Common(String model, Integer truncate, boolean useActivation) {}

    /** POST /rerank, /v1/rerank, /v2/rerank. */
    void rerank(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        RequestReader r = RequestReader.of(rc.request(), raw);
        JsonNode queryNode = r.raw("query");
        Item query = null;
        if (queryNode == null) {
            r.error("missing", "Field required", r.body(), "query");
        } else {
            query = item(r, queryNode, "query");
        }
        List<Item> documents = items(r, "documents");
        Long topN = r.optLong("top_n");
        if (topN != null && topN < 0) {
            r.error("greater_than_equal", "Input should be greater than or equal to 0", r.raw("top_n"), "top_n");
        }
        Common common = common(r);
        SimTask task = scoringTask();
        if (documents.isEmpty()) {
            throw SimError.badRequest("At least one text_pair element must be given");
        }
        List<Item> queries = List.of(query);
        double[] scores = scores(task, queries, documents, common.useActivation());
        int promptTokens = pairTokens(task, queries, documents, common.truncate());
        String id = "score-" + SimRoutes.requestId(rc.request(), null);
        String model = validation.answerModel(common.model());
        Integer[] order = new Integer[documents.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(
                order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
        int keep = topN != null && topN > 0 && topN < documents.size() ? topN.intValue() : documents.size();
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb = new StringBuilder(128 + 96 * keep).append("{\"id\":");
            Json.str(sb, id).append(",\"model\":");
            Json.str(sb, model)
                    .append(",\"usage\":{\"prompt_tokens\":")
                    .append(promptTokens)
                    .append(",\"total_tokens\":")
                    .append(promptTokens)
                    .append("},\"results\":[");
            for (int k = 0; k < keep; k++) {
                int i = order[k];
                Item doc = documents.get(i);
                sb.append(k > 0 ? "," : "").append("{\"index\":").append(i).append(",\"document\":{\"text\":");
                if (doc.multiModal() == null) {
                    Json.str(sb, doc.text()).append(",\"multi_modal\":null");
                } else {
                    sb.append("null,\"multi_modal\":").append(doc.multiModal());
                }
                sb.append("},\"relevance_score\":")
                        .append(Json.pyFloat(scores[i]))
                        .append('}');
            }
            return sb.append("]}").toString();
        });
    }

    /** POST /score, /v1/score. */
    void score(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        RequestReader r = RequestReader.of(rc.request(), raw);
        String[] names = scoreFieldNames(r);
        List<Item> queries = items(r, names[0]);
        List<Item> documents = items(r, names[1]);
        Common common = common(r);
        SimTask task = scoringTask();
        if (queries.isEmpty()) {
            throw SimError.badRequest("At least one text element must be given");
        }
        if (documents.isEmpty()) {
            throw SimError.badRequest("At least one text_pair element must be given");
        }
        if (queries.size() > 1 && queries.size() != documents.size()) {
            throw SimError.badRequest("Input lengths must be either 1:1, 1:N or N:N");
        }
        double[] scores = scores(task, queries, documents, common.useActivation());
        int promptTokens = pairTokens(task, queries, documents, common.truncate());
        String id = "score-" + SimRoutes.requestId(rc.request(), null);
        String model = validation.answerModel(common.model());
        long created = System.currentTimeMillis() / 1000;
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb = listHead(id, created, model, 64 * scores.length);
            for (int i = 0; i < scores.length; i++) {
                sb.append(i > 0 ? "," : "")
                        .append("{\"index\":")
                        .append(i)
                        .append(",\"object\":\"score\",\"score\":")
                        .append(Json.pyFloat(scores[i]))
                        .append('}');
            }
            return EmbeddingsRoute.usage(sb.append("],\"usage\":"), promptTokens)
                    .append('}')
                    .toString();
        });
    }

    /** POST /classify. */
    void classify(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        RequestReader r = RequestReader.of(rc.request(), raw);
        List<PromptReader.Prompt> inputs = inputs(r);
        Common common = common(r);
        int promptTokens = promptTokens(inputs, common.truncate(), "classification");
        SimTask task = settings.serving().poolingTask();
        String id = "classify-" + SimRoutes.requestId(rc.request(), null);
        String model = validation.answerModel(common.model());
        long created = System.currentTimeMillis() / 1000;
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb = listHead(id, created, model, 96 * inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                double[] probs = classProbabilities(task, inputs.get(i), common.useActivation());
                int best = 0;
                for (int k = 1; k < probs.length; k++) {
                    if (probs[k] > probs[best]) {
                        best = k;
                    }
                }
                String label = task == SimTask.SCORE ? CROSS_ENCODER_LABEL : CLASSIFY_LABELS[best];
                sb.append(i > 0 ? "," : "").append("{\"index\":").append(i).append(",\"label\":");
                Json.str(sb, label).append(",\"probs\":[");
                for (int k = 0; k < probs.length; k++) {
                    sb.append(k > 0 ? "," : "").append(Json.pyFloat(probs[k]));
                }
                sb.append("],\"num_classes\":").append(probs.length).append('}');
            }
            return EmbeddingsRoute.usage(sb.append("],\"usage\":"), promptTokens)
                    .append('}')
                    .toString();
        });
    }

    /** POST /pooling: the raw pooler output of the model's pooling task. */
    void pooling(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        RequestReader r = RequestReader.of(rc.request(), raw);
        List<PromptReader.Prompt> inputs = inputs(r);
        String requestedTask = r.optString("task");
        String format = r.optString("encoding_format");
        if (format != null && !List.of("float", "base64", "bytes", "bytes_only").contains(format)) {
            r.error(
                    "literal_error",
                    "Input should be 'float', 'base64', 'bytes' or 'bytes_only'",
                    r.raw("encoding_format"),
                    "encoding_format");
        }
        boolean dimensions = r.has("dimensions");
        Common common = common(r);
        if (dimensions) {
            throw SimError.badRequest("dimensions is currently not supported");
        }
        SimTask task = settings.serving().poolingTask();
        String selected = task == SimTask.EMBED ? "embed" : "classify";
        List<String> supported =
                task == SimTask.EMBED ? List.of("embed", "token_embed") : List.of("classify", "token_classify");
        if (requestedTask != null && !requestedTask.equals(selected)) {
            if (requestedTask.equals("plugin")) {
                throw SimError.badRequest("No IOProcessor plugin installed. Please refer to the documentation and to"
                        + " the 'prithvi_geospatial_mae_io_processor' offline inference example for more details.");
            }
            if (!supported.contains(requestedTask)) {
                throw SimError.badRequest("Unsupported task: " + Json.pyStr(requestedTask) + " Supported tasks: ('"
                        + String.join("', '", supported) + "')");
            }
            throw SimError.badRequest(
                    "Try switching the model's pooling_task via --pooler-config.task " + requestedTask + ".");
        }
        int promptTokens = promptTokens(inputs, common.truncate(), "embedding generation");
        String base = SimRoutes.requestId(rc.request(), null);
        String model = validation.answerModel(common.model());
        long created = System.currentTimeMillis() / 1000;
        List<float[]> outputs = new ArrayList<>(inputs.size());
        for (PromptReader.Prompt p : inputs) {
            if (task == SimTask.EMBED) {
                outputs.add(EmbeddingsRoute.embedding(p, settings.embeddingDimensions()));
            } else {
                double[] probs = classProbabilities(task, p, common.useActivation());
                float[] f = new float[probs.length];
                for (int k = 0; k < f.length; k++) {
                    f[k] = (float) probs[k];
                }
                outputs.add(f);
            }
        }
        if ("bytes".equals(format) || "bytes_only".equals(format)) {
            poolingBytes(rc, arrival, promptTokens, "pooling-" + base, created, model, outputs, format.equals("bytes"));
            return;
        }
        boolean base64 = "base64".equals(format);
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb = listHead("pooling-" + base, created, model, 64 + outputs.size() * 4096);
            for (int i = 0; i < outputs.size(); i++) {
                sb.append(i > 0 ? "," : "").append("{\"index\":").append(i).append(",\"object\":\"pooling\",\"data\":");
                if (base64) {
                    sb.append('"')
                            .append(EmbeddingsRoute.base64(outputs.get(i)))
                            .append('"');
                } else {
                    EmbeddingsRoute.floats(sb, outputs.get(i));
                }
                sb.append('}');
            }
            return EmbeddingsRoute.usage(sb.append("],\"usage\":"), promptTokens)
                    .append('}')
                    .toString();
        });
    }

    /** {@code bytes}/{@code bytes_only}: the raw float32 tensors; {@code bytes} describes them in a header. */
    private void poolingBytes(
            RoutingContext rc,
            long arrival,
            int promptTokens,
            String id,
            long created,
            String model,
            List<float[]> outputs,
            boolean metadata) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        StringBuilder meta = new StringBuilder(256).append("{\"id\":");
        Json.str(meta, id).append(",\"created\":").append(created).append(",\"model\":");
        Json.str(meta, model).append(",\"data\":[");
        int offset = 0;
        for (int i = 0; i < outputs.size(); i++) {
            float[] v = outputs.get(i);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                b.putFloat(f);
            }
            bytes.writeBytes(b.array());
            meta.append(i > 0 ? "," : "")
                    .append("{\"index\":")
                    .append(i)
                    .append(",\"embed_dtype\":\"float32\",\"endianness\":\"little\",\"start\":")
                    .append(offset)
                    .append(",\"end\":")
                    .append(offset + v.length * 4)
                    .append(",\"shape\":[")
                    .append(v.length)
                    .append("]}");
            offset += v.length * 4;
        }
        meta.append("],\"usage\":{\"prompt_tokens\":")
                .append(promptTokens)
                .append(",\"total_tokens\":")
                .append(promptTokens)
                .append("}}");
        byte[] body = bytes.toByteArray();
        engine.begin();
        long delay = (long) (engine.loadFactor()
                * (settings.timeToFirstTokenNanos() + (double) promptTokens * settings.prefillTimePerTokenNanos()));
        long wait = Math.max(1, arrival + delay - System.nanoTime());
        rc.vertx().timer(wait, java.util.concurrent.TimeUnit.NANOSECONDS).onComplete(v -> {
            try {
                if (!rc.response().closed()) {
                    if (metadata) {
                        rc.response().putHeader("metadata", meta.toString());
                    }
                    rc.response()
                            .putHeader("content-type", "application/octet-stream")
                            .end(Buffer.buffer(body));
                }
            } finally {
                engine.end();
            }
        });
    }

    /** Reads the shared fields and runs the checks every pooling route makes, in vLLM's order. */
    private Common common(RequestReader r) {
        String model = r.optString("model");
        Long truncate = r.optLong("truncate_prompt_tokens");
        if (truncate != null && truncate < -1) {
            r.error(
                    "greater_than_equal",
                    "Input should be greater than or equal to -1",
                    r.raw("truncate_prompt_tokens"),
                    "truncate_prompt_tokens");
        }
        r.optLong("priority");
        boolean useActivation = r.bool("use_activation", true);
        r.throwIfInvalid();
        CacheSalt.read(r);
        if (r.has("normalize")) {
            throw SimError.badRequest("Parameter `normalize` was removed; use `use_activation` instead.");
        }
        if (!validation.knownModel(model)) {
            // The pooling routes find an unknown model while looking for its adapter: no param.
            throw new SimError(404, "NotFoundError", "The model `" + model + "` does not exist.", null);
        }
        Integer truncateTokens = null;
        if (truncate != null) {
            if (truncate > settings.maxModelLen()) {
                throw SimError.badRequest("truncate_prompt_tokens value is greater than max_model_len. Please request"
                        + " a smaller truncation size.");
            }
            truncateTokens = truncate == -1 ? settings.maxModelLen() : truncate.intValue();
        }
        return new Common(model, truncateTokens, useActivation);
    }

    /** The pooling task that scores: an embedding model (cosine) or a cross-encoder. */
    private SimTask scoringTask() {
        SimTask task = settings.serving().poolingTask();
        return task == null ? SimTask.EMBED : task;
    }

    /** Which of the four accepted pairs of field names the score request uses (the newest first). */
    private static String[] scoreFieldNames(RequestReader r) {
        String[][] pairs = {{"queries", "documents"}, {"queries", "items"}, {"data_1", "data_2"}, {"text_1", "text_2"}};
        for (String[] pair : pairs) {
            if (r.present(pair[0]) && r.present(pair[1])) {
                return pair;
            }
        }
        return pairs[0];
    }

    /** A side of a score or rerank request: one item or a list of them. */
    private static List<Item> items(RequestReader r, String field) {
        JsonNode n = r.raw(field);
        List<Item> out = new ArrayList<>();
        if (n == null) {
            r.error("missing", "Field required", r.body(), field);
            return out;
        }
        if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                Item item = item(r, n.get(i), field, i);
                if (item != null) {
                    out.add(item);
                }
            }
        } else {
            Item item = item(r, n, field);
            if (item != null) {
                out.add(item);
            }
        }
        return out;
    }

    /** A string, or {@code {"content":[parts]}} (its text parts joined by newlines). */
    private static Item item(RequestReader r, JsonNode n, Object... loc) {
        if (n.isTextual()) {
            return new Item(n.textValue(), null);
        }
        if (n.isObject() && n.path("content").isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : n.get("content")) {
                if (part.path("text").isTextual()) {
                    text.append(text.isEmpty() ? "" : "\n")
                            .append(part.get("text").textValue());
                } else {
                    // A media part still changes what is scored.
                    text.append(text.isEmpty() ? "" : "\n").append(part);
                }
            }
            return new Item(text.toString(), n.get("content"));
        }
        r.error("string_type", "Input should be a valid string", n, loc);
        return null;
    }

    /** The completion form ({@code input}) or the chat form ({@code messages}) of classify and pooling. */
    private List<PromptReader.Prompt> inputs(RequestReader r) {
        if (r.present("messages")) {
            List<SimTokenizer.Message> messages = PromptReader.messages(r);
            boolean addGenerationPrompt = r.bool("add_generation_prompt", false);
            boolean continueFinal = r.bool("continue_final_message", false);
            if (r.valid() && addGenerationPrompt && continueFinal) {
                throw SimError.validation(
                        "Cannot set both `continue_final_message` and `add_generation_prompt` to True.", null, null);
            }
            String prompt = tokenizer.renderChat(messages, addGenerationPrompt, continueFinal);
            return List.of(new PromptReader.Prompt(prompt, null));
        }
        return PromptReader.embeddingInputs(r);
    }

    private int promptTokens(List<PromptReader.Prompt> inputs, Integer truncate, String operation) {
        if (inputs.isEmpty()) {
            throw SimError.badRequest("You must pass at least one prompt");
        }
        int total = 0;
        for (PromptReader.Prompt p : inputs) {
            p.tokens = EmbeddingsRoute.tokens(p);
            if (truncate != null) {
                p.tokens = Math.min(p.tokens, truncate);
            }
            EmbeddingsRoute.checkLength(p.tokens, settings.maxModelLen(), operation);
            total += p.tokens;
        }
        return total;
    }

    /**
     * Prompt tokens of a scoring request: an embedding model embeds every query and document once; a cross-encoder
     * reads each pair with its special tokens.
     */
    private int pairTokens(SimTask task, List<Item> queries, List<Item> documents, Integer truncate) {
        int total = 0;
        int maxLen = settings.maxModelLen();
        if (task == SimTask.EMBED) {
            for (Item item : concat(queries, documents)) {
                int tokens = cap(tokenizer.count(item.text()) + 1, truncate);
                EmbeddingsRoute.checkLength(tokens, maxLen, "score");
                total += tokens;
            }
            return total;
        }
        for (int i = 0; i < documents.size(); i++) {
            Item q = queries.get(queries.size() == 1 ? 0 : i);
            int tokens = cap(
                    tokenizer.count(q.text()) + tokenizer.count(documents.get(i).text()) + PAIR_SPECIAL_TOKENS,
                    truncate);
            EmbeddingsRoute.checkLength(tokens, maxLen, "score");
            total += tokens;
        }
        return total;
    }

    private static int cap(int tokens, Integer truncate) {
        return truncate == null ? tokens : Math.min(tokens, truncate);
    }

    private static List<Item> concat(List<Item> a, List<Item> b) {
        List<Item> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** One score per pair (a single query is paired with every document). */
    private double[] scores(SimTask task, List<Item> queries, List<Item> documents, boolean useActivation) {
        double[] out = new double[documents.size()];
        int dims = task == SimTask.EMBED ? settings.embeddingDimensions() : CROSS_ENCODER_DIMS;
        float[] single = queries.size() == 1 ? vector(queries.get(0), dims) : null;
        for (int i = 0; i < out.length; i++) {
            float[] q = single != null ? single : vector(queries.get(i), dims);
            double cosine = EmbeddingsRoute.cosine(q, vector(documents.get(i), dims));
            if (task == SimTask.EMBED) {
                out[i] = cosine;
            } else {
                // A cross-encoder's logit: unrelated texts score low, shared words high.
                double logit = 12 * cosine - 3;
                out[i] = useActivation ? sigmoid(logit) : logit;
            }
        }
        return out;
    }

    private static float[] vector(Item item, int dims) {
        return EmbeddingsRoute.embedding(new PromptReader.Prompt(item.text(), null), dims);
    }

    /** A classifier's output for one input: two softmax probabilities, or a cross-encoder's one sigmoid. */
    private static double[] classProbabilities(SimTask task, PromptReader.Prompt input, boolean useActivation) {
        long seed = input.ids != null ? java.util.Arrays.hashCode(input.ids) : TokenSource.seedOf(input.text);
        SplittableRandom random = new SplittableRandom(TokenSource.seedFor(seed, 7));
        if (task == SimTask.SCORE) {
            double logit = random.nextDouble() * 8 - 4;
            return new double[] {useActivation ? sigmoid(logit) : logit};
        }
        double a = random.nextDouble() * 6 - 3;
        double b = random.nextDouble() * 6 - 3;
        if (!useActivation) {
            return new double[] {a, b};
        }
        double max = Math.max(a, b);
        double ea = Math.exp(a - max);
        double eb = Math.exp(b - max);
        return new double[] {ea / (ea + eb), eb / (ea + eb)};
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** {@code {"id":…,"object":"list","created":…,"model":…,"data":[} — the head score, classify and pooling share. */
    private static StringBuilder listHead(String id, long created, String model, int capacity) {
        StringBuilder sb = new StringBuilder(128 + capacity).append("{\"id\":");
        Json.str(sb, id)
                .append(",\"object\":\"list\",\"created\":")
                .append(created)
                .append(",\"model\":");
        return Json.str(sb, model).append(",\"data\":[");
    }
}
