package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * vLLM's scoring routes: rerank ({@code /rerank}, {@code /v1/rerank}, {@code /v2/rerank}) and score ({@code /score},
 * {@code /v1/score}), on an embedding model or a cross-encoder ({@link SimTask}, checked by {@link ServingGate}). Each
 * reads and checks its request as vLLM does and answers after the simulated prefill time.
 *
 * <p>Scores are deterministic: an embedding model scores by the cosine similarity of the vectors
 * {@code /v1/embeddings} returns (so texts sharing words score higher); a cross-encoder ({@code score} task) maps the
 * same similarity through a sigmoid.</p>
 */
final class ScoreRoutes {

    /** Tokens a cross-encoder adds around a pair: {@code [CLS] query [SEP] document [SEP]}. */
    private static final int PAIR_SPECIAL_TOKENS = 3;
    /** Dimensions of the vectors a cross-encoder compares internally. */
    private static final int CROSS_ENCODER_DIMS = 256;

    private final SimEngine engine;
    private final SimSettings settings;
    private final VllmValidation validation;
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    ScoreRoutes(SimEngine engine, SimSettings settings, VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.validation = validation;
    }

    /** A query or document: its text (text parts joined) and, for a multimodal one, its content parts. */
    private record Item(String text, JsonNode multiModal) {}

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
        PoolingRequest common = PoolingRequest.read(r, validation, settings);
        SimTask task = scoringTask();
        if (documents.isEmpty()) {
            throw SimError.badRequest("At least one text_pair element must be given");
        }
        List<Item> queries = List.of(query);
        double[] scores = scores(task, queries, documents, common);
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
        PoolingRequest common = PoolingRequest.read(r, validation, settings);
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
        double[] scores = scores(task, queries, documents, common);
        int promptTokens = pairTokens(task, queries, documents, common.truncate());
        String id = "score-" + SimRoutes.requestId(rc.request(), null);
        String model = validation.answerModel(common.model());
        long created = System.currentTimeMillis() / 1000;
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb = EmbeddingsRoute.listHead(id, created, model, 64 * scores.length);
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
    private double[] scores(SimTask task, List<Item> queries, List<Item> documents, PoolingRequest request) {
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
                out[i] = request.activated(logit);
            }
        }
        return out;
    }

    private static float[] vector(Item item, int dims) {
        return EmbeddingsRoute.embedding(new PromptReader.Prompt(item.text(), null), dims);
    }
}
