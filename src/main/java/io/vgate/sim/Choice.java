package io.vgate.sim;

/**
 * One sequence of a generation: a choice of the answer, a child request of vLLM's parent request. It owns its text and
 * decides, token by token, whether it finishes (end of sequence, stop string, length).
 */
final class Choice {

    final int index;
    final int promptLen;
    final int maxTokens;
    final TokenSource source;
    final StringBuilder text = new StringBuilder(64);
    int emitted;
    int generated;
    String finishReason;
    String stopReason;
    long finishNanos;
    // Engine bookkeeping, changed under the engine lock.
    boolean reported;
    int blocks;
    int capacity;
    boolean released;

    Choice(int index, int promptLen, int maxTokens, TokenSource source) {
        this.index = index;
        this.promptLen = promptLen;
        this.maxTokens = maxTokens;
        this.source = source;
    }

    boolean finished() {
        return finishReason != null;
    }

    /** Whether the next token needs a KV slot beyond the blocks this sequence holds. */
    boolean needsBlock() {
        return !finished() && promptLen + generated + 1 > capacity;
    }

    /** Generates the next token and decides whether the sequence finishes. */
    void produce(String[] stops, boolean includeStopStr, int maxModelLen) {
        String piece = source.next();
        generated++;
        if (piece == null) {
            // The end-of-sequence token counts as a generated token but adds no text.
            finishReason = "stop";
            return;
        }
        int before = text.length();
        text.append(piece);
        if (stops.length > 0 && matchStop(stops, includeStopStr, before)) {
            return;
        }
        if (generated >= maxTokens || promptLen + generated >= maxModelLen) {
            finishReason = "length";
        }
    }

    /** vLLM's stop-string check: the first stop string (in request order) found in the new text ends the sequence. */
    private boolean matchStop(String[] stops, boolean includeStopStr, int before) {
        for (String stop : stops) {
            int from = Math.max(0, before - stop.length() + 1);
            int at = text.indexOf(stop, from);
            if (at >= 0) {
                text.setLength(includeStopStr ? at + stop.length() : at);
                emitted = Math.min(emitted, text.length());
                finishReason = "stop";
                stopReason = stop;
                return true;
            }
        }
        return false;
    }

    /**
     * New visible text; while the sequence runs, the last {@code holdBack} characters (which could start a stop
     * string) wait.
     */
    String takeDelta(int holdBack) {
        int end = text.length();
        if (!finished() && holdBack > 0) {
            end = Math.max(emitted, end - holdBack);
            if (end > emitted && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
                end--;
            }
        }
        String delta = text.substring(emitted, end);
        emitted = end;
        return delta;
    }
}
