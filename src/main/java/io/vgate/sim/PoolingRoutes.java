package io.vgate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * vLLM's classify and pooling routes: {@code /classify} and {@code /pooling}, the raw pooler output (the scoring
 * routes are {@link ScoreRoutes}; Cohere's {@code /v2/embed} is {@link CohereEmbedRoute}). Which of them exist depends
 * on the model's task ({@link SimTask}, checked by {@link ServingGate}); here each reads and checks its request as vLLM
 * does and answers after the simulated prefill time.
 *
 * <p>A classifier's probabilities are deterministic, seeded by its input.</p>
 */
final class PoolingRoutes {

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

    /** POST /classify. */
    void classify(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        RequestReader r = RequestReader.of(rc.request(), raw);
        List<PromptReader.Prompt> inputs = inputs(r);
        PoolingRequest common = PoolingRequest.read(r, validation, settings);
        int promptTokens = promptTokens(inputs, common.truncate(), "classification");
        SimTask task = settings.serving().poolingTask();
        String id = "classify-" + SimRoutes.requestId(rc.request(), null);
        String model = validation.answerModel(common.model());
        long created = System.currentTimeMillis() / 1000;
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            StringBuilder sb = EmbeddingsRoute.listHead(id, created, model, 96 * inputs.size());
            for (int i = 0; i < inputs.size(); i++) {
                double[] probs = classProbabilities(task, inputs.get(i), common);
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
        PoolingRequest common = PoolingRequest.read(r, validation, settings);
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
                double[] probs = classProbabilities(task, p, common);
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
            StringBuilder sb = EmbeddingsRoute.listHead("pooling-" + base, created, model, 64 + outputs.size() * 4096);
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

    /** A classifier's output for one input: two softmax probabilities, or a cross-encoder's one sigmoid. */
    private static double[] classProbabilities(SimTask task, PromptReader.Prompt input, PoolingRequest request) {
        long seed = input.ids != null ? java.util.Arrays.hashCode(input.ids) : TokenSource.seedOf(input.text);
        SplittableRandom random = new SplittableRandom(TokenSource.seedFor(seed, 7));
        if (task == SimTask.SCORE) {
            double logit = random.nextDouble() * 8 - 4;
            return new double[] {request.activated(logit)};
        }
        double a = random.nextDouble() * 6 - 3;
        double b = random.nextDouble() * 6 - 3;
        if (!request.useActivation()) {
            return new double[] {a, b};
        }
        double max = Math.max(a, b);
        double ea = Math.exp(a - max);
        double eb = Math.exp(b - max);
        return new double[] {ea / (ea + eb), eb / (ea + eb)};
    }
}
