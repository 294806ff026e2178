package io.vgate.sim;

import java.util.SplittableRandom;

/**
 * What the simulated model writes, one token at a time: deterministic sentences (random mode) or the text to echo.
 * {@link #next()} returns null where the model would emit its end-of-sequence token.
 */
abstract class TokenSource {

    private static final Sentence[] START;
    private static final Sentence[] CONTINUATION;
    private static final String PARAGRAPH = "\n\n";

    static {
        SimTokenizer tokenizer = SimTokenizer.instance();
        START = new Sentence[Vocabulary.SENTENCES.size()];
        CONTINUATION = new Sentence[START.length];
        for (int i = 0; i < START.length; i++) {
            String sentence = Vocabulary.SENTENCES.get(i);
            START[i] = Sentence.of(tokenizer.encodeWithPieces(sentence));
            CONTINUATION[i] = Sentence.of(tokenizer.encodeWithPieces(" " + sentence));
        }
    }

    /** @return the next piece of text, or null for end of sequence */
    abstract String next();

    /**
     * Sentences chosen by a generator seeded with {@code seed}, stopping at the first sentence end after a natural
     * length drawn between half and one and a half times {@code meanTokens}.
     *
     * @param endless never stop (the request set {@code ignore_eos})
     */
    static TokenSource random(long seed, int meanTokens, boolean endless) {
        return new RandomSource(seed, meanTokens, endless);
    }

    /** The given text, then end of sequence; or, when {@code endless}, random sentences after it. */
    static TokenSource echo(String text, long seed, int meanTokens, boolean endless) {
        return new EchoSource(text, endless ? new RandomSource(seed, meanTokens, true) : null);
    }

    /** A seed for a request without {@code seed}: a 64-bit FNV-1a hash of its prompt. */
    static long seedOf(CharSequence prompt) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < prompt.length(); i++) {
            h ^= prompt.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Mixes the choice index into a seed so that the {@code n} choices of one request differ. */
    static long seedFor(long seed, int choiceIndex) {
        long z = seed + 0x9E3779B97F4A7C15L * (choiceIndex + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private record Sentence(String[] pieces) {
        static Sentence of(SimTokenizer.Tokens tokens) {
            String[] pieces = new String[tokens.size()];
            for (int i = 0; i < pieces.length; i++) {
                pieces[i] = tokens.piece(i);
            }
            return new Sentence(pieces);
        }
    }

    private static final class RandomSource extends TokenSource {
        private final SplittableRandom random;
        private final int target;
        private final boolean endless;
        private int produced;
        private String[] current;
        private int pos;
        private int sentencesLeftInParagraph;
        private boolean paragraphPending;

        RandomSource(long seed, int meanTokens, boolean endless) {
            this.random = new SplittableRandom(seed);
            this.target = Math.max(1, (int) Math.round(meanTokens * (0.5 + random.nextDouble())));
            this.endless = endless;
            this.sentencesLeftInParagraph = 2 + random.nextInt(4);
        }

        @Override
        String next() {
            if (current == null || pos == current.length) {
                if (!endless && produced >= target) {
                    return null;
                }
                if (paragraphPending) {
                    paragraphPending = false;
                    current = START[random.nextInt(START.length)].pieces();
                    pos = 0;
                    produced++;
                    return PARAGRAPH;
                }
                boolean first = current == null;
                current = (first ? START : CONTINUATION)[random.nextInt(START.length)].pieces();
                pos = 0;
                if (--sentencesLeftInParagraph == 0) {
                    sentencesLeftInParagraph = 2 + random.nextInt(4);
                    paragraphPending = true;
                }
            }
            produced++;
            return current[pos++];
        }
    }

    private static final class EchoSource extends TokenSource {
        private final SimTokenizer.Tokens tokens;
        private final TokenSource after;
        private int pos;

        EchoSource(String text, TokenSource after) {
            this.tokens = SimTokenizer.instance().encodeWithPieces(text);
            this.after = after;
        }

        @Override
        String next() {
            if (pos < tokens.size()) {
                return tokens.piece(pos++);
            }
            return after == null ? null : after.next();
        }
    }
}
