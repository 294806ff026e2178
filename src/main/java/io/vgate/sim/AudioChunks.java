package io.vgate.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * vLLM's bytes for a transcription or translation: the {@code transcription.chunk} / {@code translation.chunk} SSE
 * chunks (serialised with {@code exclude_unset}: no {@code index}, no nulls but {@code stop_reason} on the last
 * choice), the usage chunk, and the non-streaming bodies ({@code json} and {@code text} alike as JSON, and
 * {@code verbose_json} with segments).
 */
final class AudioChunks extends ChunkWriter {

    private final boolean translation;
    private final String format;
    private final double durationSeconds;
    private final String language;
    private final double temperature;
    private final boolean continuousUsage;
    private final int usagePromptTokens;
    private final String head;

    AudioChunks(
            boolean translation,
            String id,
            long created,
            String model,
            boolean continuousUsage,
            int usagePromptTokens,
            String format,
            double durationSeconds,
            String language,
            double temperature) {
        super(
                GenerationJob.Kind.COMPLETION,
                id,
                created,
                model,
                continuousUsage,
                usagePromptTokens,
                ReasoningPlan.Field.parse("reasoning"));
        this.translation = translation;
        this.format = format;
        this.durationSeconds = durationSeconds;
        this.language = language;
        this.temperature = temperature;
        this.continuousUsage = continuousUsage;
        this.usagePromptTokens = usagePromptTokens;
        StringBuilder sb = new StringBuilder(160).append("data: {\"id\":");
        Json.str(sb, id)
                .append(",\"object\":\"")
                .append(translation ? "translation.chunk" : "transcription.chunk")
                .append("\",\"created\":")
                .append(created)
                .append(",\"model\":");
        Json.str(sb, model).append(",\"choices\":[");
        this.head = sb.toString();
    }

    @Override
    CharSequence roleChunk(Choice c) {
        return "";
    }

    @Override
    CharSequence contentChunk(Choice c, String delta) {
        StringBuilder sb = new StringBuilder(head.length() + 96 + delta.length()).append(head);
        Json.str(sb.append("{\"delta\":{\"content\":"), delta).append('}');
        if (c.finished()) {
            Json.str(sb.append(",\"finish_reason\":"), c.finishReason).append(",\"stop_reason\":");
            Json.strOrNull(sb, c.stopReason);
        }
        sb.append("}]");
        if (continuousUsage) {
            usage(sb.append(",\"usage\":"), c.generated);
        }
        return sb.append("}\n\n");
    }

    @Override
    CharSequence usageChunk(Choice[] choices) {
        StringBuilder sb = new StringBuilder(head.length() + 96).append(head).append("],\"usage\":");
        return usage(sb, choices[0].generated).append("}\n\n");
    }

    private StringBuilder usage(StringBuilder sb, int completion) {
        return sb.append("{\"prompt_tokens\":")
                .append(usagePromptTokens)
                .append(",\"total_tokens\":")
                .append(usagePromptTokens + completion)
                .append(",\"completion_tokens\":")
                .append(completion)
                .append('}');
    }

    @Override
    String body(Choice[] choices) {
        String text = choices[0].text.toString();
        StringBuilder sb = new StringBuilder(128 + text.length() * 2);
        if (format.equals("verbose_json")) {
            return verbose(sb, text);
        }
        if (format.equals("diarized_json")) {
            return diarized(sb, text);
        }
        Json.str(sb.append("{\"text\":"), text);
        if (!translation) {
            sb.append(",\"usage\":{\"type\":\"duration\",\"seconds\":")
                    .append((long) Math.ceil(durationSeconds))
                    .append('}');
        }
        return sb.append('}').toString();
    }

    /** {@code verbose_json}: the text cut into sentence segments, timed in proportion to their length. */
    private String verbose(StringBuilder sb, String text) {
        sb.append("{\"duration\":")
                .append(Json.pyFloat(round2(durationSeconds)))
                .append(",\"language\":");
        Json.str(sb, language);
        Json.str(sb.append(",\"text\":"), text).append(",\"segments\":[");
        List<String> segments = sentences(text);
        int total = Math.max(1, text.length());
        int offset = 0;
        SplittableRandom random = new SplittableRandom(TokenSource.seedOf(text));
        for (int i = 0; i < segments.size(); i++) {
            String segment = segments.get(i);
            double start = round2(durationSeconds * offset / total);
            offset += segment.length();
            double end = round2(durationSeconds * offset / total);
            sb.append(i > 0 ? "," : "")
                    .append("{\"id\":")
                    .append(i)
                    .append(",\"avg_logprob\":")
                    .append(Json.pyFloat(round2(-0.1 - random.nextDouble() * 0.3)))
                    .append(",\"compression_ratio\":")
                    .append(Json.pyFloat(round2(0.9 + random.nextDouble() * 0.6)))
                    .append(",\"end\":")
                    .append(Json.pyFloat(end))
                    .append(",\"no_speech_prob\":null,\"seek\":0,\"start\":")
                    .append(Json.pyFloat(start))
                    .append(",\"temperature\":")
                    .append(Json.pyFloat(temperature))
                    .append(",\"text\":");
            Json.str(sb, " " + segment.strip()).append(",\"tokens\":[");
            int[] ids = SimTokenizer.instance().encode(" " + segment.strip(), false);
            for (int k = 0; k < ids.length; k++) {
                sb.append(k > 0 ? "," : "").append(ids[k]);
            }
            sb.append("]}");
        }
        return sb.append("],\"words\":null}").toString();
    }

    /** {@code diarized_json} (transcriptions only): sentence segments, each said by one of two speakers. */
    private String diarized(StringBuilder sb, String text) {
        Json.str(
                        sb.append("{\"task\":\"transcribe\",\"duration\":")
                                .append(Json.pyFloat(round2(durationSeconds)))
                                .append(",\"text\":"),
                        text)
                .append(",\"segments\":[");
        List<String> segments = sentences(text);
        int total = Math.max(1, text.length());
        int offset = 0;
        SplittableRandom random = new SplittableRandom(TokenSource.seedOf(text));
        for (int i = 0; i < segments.size(); i++) {
            String segment = segments.get(i).strip();
            double start = round2(durationSeconds * offset / total);
            offset += segments.get(i).length();
            double end = round2(durationSeconds * offset / total);
            sb.append(i > 0 ? "," : "")
                    .append("{\"type\":\"transcript.text.segment\",\"id\":\"seg_")
                    .append(i)
                    .append("\",\"start\":")
                    .append(Json.pyFloat(start))
                    .append(",\"end\":")
                    .append(Json.pyFloat(end))
                    .append(",\"text\":");
            Json.str(sb, segment)
                    .append(",\"speaker\":\"")
                    .append(random.nextBoolean() ? 'A' : 'B')
                    .append("\"}");
        }
        return sb.append("],\"usage\":{\"type\":\"duration\",\"seconds\":")
                .append((long) Math.ceil(durationSeconds))
                .append("}}")
                .toString();
    }

    private static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c == '.' || c == '!' || c == '?') && (i + 1 == text.length() || text.charAt(i + 1) == ' ')) {
                out.add(text.substring(from, i + 1));
                from = i + 1;
            }
        }
        if (from < text.length() && !text.substring(from).isBlank()) {
            out.add(text.substring(from));
        }
        return out;
    }

    private static double round2(double d) {
        return Math.round(d * 100) / 100.0;
    }
}
