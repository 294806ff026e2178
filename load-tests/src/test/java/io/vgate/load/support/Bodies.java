package io.vgate.load.support;

import java.util.SplittableRandom;

/** Request bodies. Prompts are plain words, about one token each with common tokenizers. */
public final class Bodies {

    private static final String[] WORDS = ("the quick brown fox jumps over a lazy dog while seven wise owls watch from "
            + "an old oak tree near the river bank and count the stars above the quiet valley").split(" ");

    private Bodies() {
    }

    /** About {@code words} words of prompt, varied by {@code seed} so caches never see the same prompt twice. */
    public static String prompt(int words, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(words * 6);
        for (int i = 0; i < words; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    /**
     * A chat completion of exactly {@code maxTokens} tokens ({@code ignore_eos}, a vLLM extension the simulator
     * honours), streamed with the usage chunk when {@code stream}.
     */
    public static String chat(String prompt, int maxTokens, boolean stream) {
        StringBuilder sb = new StringBuilder(prompt.length() + 200);
        sb.append("{");
        if (Target.MODEL != null) {
            sb.append("\"model\":\"").append(Target.MODEL).append("\",");
        }
        sb.append("\"messages\":[{\"role\":\"user\",\"content\":\"").append(prompt).append("\"}],");
        sb.append("\"max_tokens\":").append(maxTokens).append(",\"ignore_eos\":true");
        if (stream) {
            sb.append(",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        }
        return sb.append('}').toString();
    }
}
