package io.vgate.sim;

import io.vertx.core.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code POST /v1/embeddings}: deterministic unit vectors (one per input), answered after the simulated prefill time.
 *
 * <p>A vector is the normalised sum of one seeded direction per word (or token id) and one for the whole input, so
 * texts that share words point alike: cosine similarity grows with word overlap, which is what the scoring routes of
 * an embedding model ({@link ScoreRoutes}) report.</p>
 */
final class EmbeddingsRoute {

    /** Weight of the whole input's own direction against one word's. */
    private static final double WHOLE_TEXT_WEIGHT = 0.5;

    private final SimEngine engine;
    private final SimSettings settings;
    private final VllmValidation validation;

    EmbeddingsRoute(SimEngine engine, SimSettings settings, VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.validation = validation;
    }

    void embeddings(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        HttpServerRequest request = rc.request();
        RequestReader r = RequestReader.of(request, raw);
        List<PromptReader.Prompt> inputs = PromptReader.embeddingInputs(r);
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
        CacheSalt.read(r);
        validation.checkModel(model);
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
        for (PromptReader.Prompt p : inputs) {
            p.tokens = tokens(p);
            checkLength(p.tokens, settings.maxModelLen(), "embedding generation");
            promptTokens += p.tokens;
        }
        String base = SimRoutes.requestId(request, bodyRequestId);
        boolean base64 = "base64".equals(format);
        long created = System.currentTimeMillis() / 1000;
        String answerModel = validation.answerModel(model);
        int finalDims = dims;
        int finalPromptTokens = promptTokens;
        answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb =
                    listHead("embd-" + base, created, answerModel, inputs.size() * finalDims * (base64 ? 6 : 21));
            for (int i = 0; i < inputs.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                float[] vector = embedding(inputs.get(i), finalDims);
                sb.append("{\"index\":").append(i).append(",\"object\":\"embedding\",\"embedding\":");
                if (base64) {
                    sb.append('"').append(base64(vector)).append('"');
                } else {
                    floats(sb, vector);
                }
                sb.append('}');
            }
            sb.append("],\"usage\":");
            return usage(sb, finalPromptTokens).append('}').toString();
        });
    }

    /** An input's prompt tokens: its token ids, or its text's tokens plus the beginning-of-sequence token. */
    static int tokens(PromptReader.Prompt p) {
        return p.ids != null ? p.ids.length : SimTokenizer.instance().count(p.text) + 1;
    }

    /** vLLM's length check of pooling inputs, {@code operation} naming the API as vLLM does. */
    static void checkLength(int tokens, int maxLen, String operation) {
        if (tokens > maxLen) {
            throw SimError.badRequest("This model's maximum context length is " + maxLen
                    + " tokens. However, you requested " + tokens + " tokens in the input for " + operation
                    + ". Please reduce the length of the input.");
        }
    }

    /**
     * {@code {"id":…,"object":"list","created":…,"model":…,"data":[}: the head of every pooling answer that is a list
     * (embeddings, score, classify, pooling).
     */
    static StringBuilder listHead(String id, long created, String model, int capacity) {
        StringBuilder sb = new StringBuilder(128 + capacity).append("{\"id\":");
        Json.str(sb, id)
                .append(",\"object\":\"list\",\"created\":")
                .append(created)
                .append(",\"model\":");
        return Json.str(sb, model).append(",\"data\":[");
    }

    /** vLLM's full {@code UsageInfo} of a pooling answer: prompt tokens only. */
    static StringBuilder usage(StringBuilder sb, int promptTokens) {
        return sb.append("{\"prompt_tokens\":")
                .append(promptTokens)
                .append(",\"total_tokens\":")
                .append(promptTokens)
                .append(",\"completion_tokens\":0,\"prompt_tokens_details\":null}");
    }

    static StringBuilder floats(StringBuilder sb, float[] vector) {
        sb.append('[');
        for (int k = 0; k < vector.length; k++) {
            if (k > 0) {
                sb.append(',');
            }
            sb.append(Json.pyFloat(vector[k]));
        }
        return sb.append(']');
    }

    /** Little-endian float32 values, base64-encoded, as vLLM encodes them. */
    static String base64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
            bytes.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    /**
     * Answers once the simulated prefill of {@code promptTokens} is over (counted from {@code arrival}), with the body
     * {@code answer} builds; the request counts as in flight until then, and a client that leaves first gets nothing.
     */
    static void answerAfterPrefill(
            RoutingContext rc,
            SimEngine engine,
            SimSettings settings,
            long arrival,
            int promptTokens,
            Supplier<String> answer) {
        Runnable respond = () -> {
            try {
                rc.response().putHeader("content-type", SimRoutes.JSON).end(answer.get());
            } catch (RuntimeException e) {
                SimRoutes.internalError(rc.response(), e);
            } finally {
                engine.end();
            }
        };
        engine.begin();
        long delay = (long) (engine.loadFactor()
                * (settings.timeToFirstTokenNanos() + (double) promptTokens * settings.prefillTimePerTokenNanos()));
        long wait = arrival + delay - System.nanoTime();
        if (wait <= 0) {
            respond.run();
            return;
        }
        // A timer of the connection's context, precise to the nanosecond (setTimer rounds to milliseconds).
        Timer timer = rc.vertx().timer(wait, TimeUnit.NANOSECONDS);
        timer.onSuccess(v -> {
            if (!rc.response().closed()) {
                respond.run();
            } else {
                engine.end();
            }
        });
        rc.response().closeHandler(v -> {
            if (timer.cancel()) {
                engine.end();
            }
        });
    }

    /** A deterministic unit vector for an input, as float32 values. */
    static float[] embedding(PromptReader.Prompt input, int dims) {
        double[] v = new double[dims];
        Map<Long, Integer> words = new HashMap<>();
        long whole;
        if (input.ids != null) {
            for (int id : input.ids) {
                words.merge(TokenSource.seedFor(id, 0), 1, Integer::sum);
            }
            whole = java.util.Arrays.hashCode(input.ids);
        } else {
            for (String word : input.text.toLowerCase(java.util.Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
                if (!word.isEmpty()) {
                    words.merge(TokenSource.seedOf(word), 1, Integer::sum);
                }
            }
            whole = TokenSource.seedOf(input.text);
        }
        for (Map.Entry<Long, Integer> word : words.entrySet()) {
            addDirection(v, word.getKey(), Math.sqrt(word.getValue()));
        }
        addDirection(v, whole, WHOLE_TEXT_WEIGHT);
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        double scale = 1 / Math.sqrt(Math.max(norm, 1e-12));
        float[] out = new float[dims];
        for (int i = 0; i < dims; i++) {
            out[i] = (float) (v[i] * scale);
        }
        return out;
    }

    private static void addDirection(double[] v, long seed, double weight) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] += weight * (random.nextDouble() * 2 - 1);
        }
    }

    /** Cosine similarity of two unit vectors. */
    static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot;
    }
}
