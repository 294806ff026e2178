package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Cohere's embed API ({@code POST /v2/embed}) as vLLM serves it on embedding models: {@code texts},
 * {@code images} or {@code inputs}, embeddings in each requested type ({@code float}, {@code binary},
 * {@code ubinary}, {@code base64}), the same vectors as {@code /v1/embeddings} ({@link EmbeddingsRoute}), answered
 * after the simulated prefill time.
 */
final class CohereEmbedRoute {

    private final SimEngine engine;
    private final SimSettings settings;
    private final VllmValidation validation;

    CohereEmbedRoute(SimEngine engine, SimSettings settings, VllmValidation validation) {
        this.engine = engine;
        this.settings = settings;
        this.validation = validation;
    }

    /** POST /v2/embed: Cohere's embed API, on embedding models. */
    void embed(RoutingContext rc, Buffer raw) {
        long arrival = System.nanoTime();
        RequestReader r = RequestReader.of(rc.request(), raw);
        String model = r.optString("model");
        Integer outputDimension = r.optInt("output_dimension");
        List<String> types = new ArrayList<>();
        JsonNode typesNode = r.raw("embedding_types");
        if (typesNode == null) {
            types.add("float");
        } else if (!typesNode.isArray()) {
            r.error("list_type", "Input should be a valid list", typesNode, "embedding_types");
        } else {
            for (int i = 0; i < typesNode.size(); i++) {
                String t = typesNode.get(i).asText();
                if (!List.of("float", "binary", "ubinary", "base64").contains(t)) {
                    r.error(
                            "literal_error",
                            "Input should be 'float', 'binary', 'ubinary' or 'base64'",
                            typesNode.get(i),
                            "embedding_types",
                            i);
                } else if (!types.contains(t)) {
                    types.add(t);
                }
            }
        }
        String truncate = r.optString("truncate");
        if (truncate != null && !List.of("NONE", "START", "END").contains(truncate)) {
            r.error("literal_error", "Input should be 'NONE', 'START' or 'END'", r.raw("truncate"), "truncate");
        }
        int given = 0;
        String field = null;
        for (String f : List.of("texts", "images", "inputs")) {
            if (r.has(f)) {
                given++;
                field = f;
            }
        }
        r.throwIfInvalid();
        JsonNode values = field == null ? null : r.raw(field);
        if (given != 1 || !values.isArray() || values.isEmpty()) {
            throw SimError.badRequest("Exactly one of texts, images or inputs must be given, as a non-empty list.");
        }
        if (!validation.knownModel(model)) {
            throw new SimError(404, "NotFoundError", "The model `" + model + "` does not exist.", null);
        }
        int dims = settings.embeddingDimensions();
        if (outputDimension != null) {
            if (outputDimension < 1 || outputDimension > dims) {
                throw SimError.validation(
                        "Dimensions must be between 1 and " + dims + ", got " + outputDimension + ".",
                        "dimensions",
                        outputDimension);
            }
            dims = outputDimension;
        }
        if ((types.contains("binary") || types.contains("ubinary")) && dims % 8 != 0) {
            throw SimError.badRequest(
                    "Binary embeddings need an output dimension that is a multiple of 8, got " + dims + ".");
        }
        boolean texts = field.equals("texts");
        List<PromptReader.Prompt> inputs = new ArrayList<>();
        for (JsonNode v : values) {
            inputs.add(new PromptReader.Prompt(v.isTextual() ? v.textValue() : v.toString(), null));
        }
        int promptTokens = 0;
        for (PromptReader.Prompt p : inputs) {
            p.tokens = EmbeddingsRoute.tokens(p);
            if (!"NONE".equals(truncate)) {
                p.tokens = Math.min(p.tokens, settings.maxModelLen());
            }
            EmbeddingsRoute.checkLength(p.tokens, settings.maxModelLen(), "embedding generation");
            promptTokens += p.tokens;
        }
        String id = "embd-" + SimRoutes.requestId(rc.request(), null);
        int finalDims = dims;
        int finalPromptTokens = promptTokens;
        EmbeddingsRoute.answerAfterPrefill(rc, engine, settings, arrival, promptTokens, () -> {
            List<float[]> vectors = new ArrayList<>(inputs.size());
            for (PromptReader.Prompt p : inputs) {
                vectors.add(EmbeddingsRoute.embedding(p, finalDims));
            }
            StringBuilder sb = new StringBuilder(256 + vectors.size() * finalDims * 12).append("{\"id\":");
            Json.str(sb, id).append(",\"embeddings\":{");
            String[] all = {"float", "binary", "ubinary", "base64"};
            for (int t = 0; t < all.length; t++) {
                sb.append(t > 0 ? "," : "").append('"').append(all[t]).append("\":");
                if (!types.contains(all[t])) {
                    sb.append("null");
                    continue;
                }
                sb.append('[');
                for (int i = 0; i < vectors.size(); i++) {
                    sb.append(i > 0 ? "," : "");
                    switch (all[t]) {
                        case "float" -> EmbeddingsRoute.floats(sb, vectors.get(i));
                        case "base64" ->
                            sb.append('"')
                                    .append(EmbeddingsRoute.base64(vectors.get(i)))
                                    .append('"');
                        default -> packedBits(sb, vectors.get(i), all[t].equals("binary"));
                    }
                }
                sb.append(']');
            }
            sb.append("},\"texts\":");
            if (texts) {
                sb.append('[');
                for (int i = 0; i < inputs.size(); i++) {
                    Json.str(sb.append(i > 0 ? "," : ""), inputs.get(i).text);
                }
                sb.append(']');
            } else {
                sb.append("null");
            }
            return sb.append(",\"meta\":{\"api_version\":{\"version\":\"2\"},\"billed_units\":{\"input_tokens\":")
                    .append(finalPromptTokens)
                    .append(",\"image_tokens\":null}},\"response_type\":\"embeddings_by_type\"}")
                    .toString();
        });
    }

    /** Sign bits packed most significant first: {@code ubinary} as 0..255, {@code binary} shifted to -128..127. */
    private static void packedBits(StringBuilder sb, float[] v, boolean signed) {
        sb.append('[');
        for (int i = 0; i < v.length; i += 8) {
            int b = 0;
            for (int k = 0; k < 8; k++) {
                b = (b << 1) | (v[i + k] > 0 ? 1 : 0);
            }
            sb.append(i > 0 ? "," : "").append(signed ? b - 128 : b);
        }
        sb.append(']');
    }
}
