package io.vgate.sim;

import io.vertx.core.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/embeddings}: deterministic unit vectors (one per input, seeded by its text or token ids), answered
 * after the simulated prefill time.
 */
final class EmbeddingsRoute {

    private final SimEngine engine;
    private final SimSettings settings;
    private final String modelName;
    private final VllmValidation validation;
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    EmbeddingsRoute(SimEngine engine, SimSettings settings, String modelName, VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.modelName = modelName;
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
        int maxLen = settings.maxModelLen();
        for (PromptReader.Prompt p : inputs) {
            p.tokens = p.ids != null ? p.ids.length : tokenizer.count(p.text) + 1;
            if (p.tokens > maxLen) {
                throw SimError.badRequest("This model's maximum context length is " + maxLen
                        + " tokens. However, you requested " + p.tokens
                        + " tokens in the input for embedding generation. Please reduce the length of the input.");
            }
            promptTokens += p.tokens;
        }
        String base = SimRoutes.requestId(request, bodyRequestId);
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
            Json.str(sb, modelName).append(",\"data\":[");
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
            rc.response().putHeader("content-type", SimRoutes.JSON).end(sb.toString());
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
        // A timer of the connection's context, precise to the nanosecond (setTimer rounds to milliseconds).
        Timer timer = rc.vertx().timer(wait, TimeUnit.NANOSECONDS);
        timer.onSuccess(v -> {
            if (!rc.response().closed()) {
                answer.run();
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
    private static float[] embedding(PromptReader.Prompt input, int dims) {
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
}
