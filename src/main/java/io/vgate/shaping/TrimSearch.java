package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smallrye.mutiny.Uni;
import io.vgate.api.ApiError;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The trim search: the fewest oldest turns of a chat to drop so that the prompt leaves room for the
 * completion. A function of its inputs only (the request, the window, the prompt's count and a way to
 * count a candidate's messages); it edits nothing, and returns the messages to send or the error.
 * <p>
 * A turn is a user message with the replies after it; system and developer messages and the last user
 * turn always stay. The search is a binary search over the number of turns dropped, starting from an
 * estimate of the turns' share of the text, so it usually needs one or two counts.
 */
final class TrimSearch {

    private final FitJob job;
    private final int maxModelLen;
    private final int promptTokens;
    private final ArrayNode messages;
    private final List<int[]> turns;
    private final Function<ArrayNode, Uni<Integer>> count;

    TrimSearch(FitJob job, int maxModelLen, int promptTokens, Function<ArrayNode, Uni<Integer>> count) {
        this.job = job;
        this.maxModelLen = maxModelLen;
        this.promptTokens = promptTokens;
        this.messages = job.request().messages();
        this.turns = droppableTurns(messages);
        this.count = count;
    }

    Uni<FitOutcome> run() {
        if (turns.isEmpty()) {
            return Uni.createFrom().item(new FitOutcome(promptTokens, null, 0, -1, cannotTrim(promptTokens)));
        }
        return search(1, turns.size(), -1, estimate());
    }

    /**
     * Binary search for the smallest number of turns whose removal fits, knowing that {@code hi} fits
     * (with {@code hiCount} tokens; {@code -1} when not yet counted, which only happens for all turns) and
     * that fewer than {@code lo} do not. Starts with the estimated {@code probe}.
     */
    Uni<FitOutcome> search(int lo, int hi, int hiCount, int probe) {
        if (lo == hi && hiCount >= 0) {
            return Uni.createFrom().item(done(hi, hiCount));
        }
        int mid = probe >= lo && probe <= hi ? probe : (lo + hi) >>> 1;
        ArrayNode kept = without(mid);
        return count.apply(kept).chain(count -> {
            if (count == null) {
                return Uni.createFrom().nullItem();
            }
            if (count + (long) job.budget() <= maxModelLen) {
                return search(lo, mid, count, -1);
            }
            if (mid == turns.size()) {
                return Uni.createFrom().item(new FitOutcome(count, null, 0, -1, cannotTrim(count)));
            }
            return search(mid + 1, hi, hiCount, -1);
        });
    }

    private FitOutcome done(int dropped, int count) {
        int trimmed = 0;
        for (int i = 0; i < dropped; i++) {
            trimmed += turns.get(i).length;
        }
        Integer requested = job.requested();
        int room = maxModelLen - count;
        int maxTokens = requested != null && requested > room ? room : -1;
        return new FitOutcome(count, without(dropped), trimmed, maxTokens, null);
    }

    /** How many turns probably have to go: their share of the text against the tokens to lose. */
    private int estimate() {
        long excess = promptTokens + (long) job.budget() - maxModelLen;
        long totalChars = 0;
        long[] turnChars = new long[turns.size()];
        for (JsonNode message : messages) {
            totalChars += size(message);
        }
        for (int t = 0; t < turns.size(); t++) {
            for (int index : turns.get(t)) {
                turnChars[t] += size(messages.get(index));
            }
        }
        double tokensPerChar = totalChars == 0 ? 1 : promptTokens / (double) totalChars;
        double dropped = 0;
        for (int t = 0; t < turns.size(); t++) {
            dropped += turnChars[t] * tokensPerChar;
            if (dropped >= excess) {
                return t + 1;
            }
        }
        return turns.size();
    }

    private ArrayNode without(int dropped) {
        boolean[] drop = new boolean[messages.size()];
        for (int i = 0; i < dropped; i++) {
            for (int index : turns.get(i)) {
                drop[index] = true;
            }
        }
        ArrayNode kept = JsonNodeFactory.instance.arrayNode(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            if (!drop[i]) {
                kept.add(messages.get(i));
            }
        }
        return kept;
    }

    private ApiError cannotTrim(int count) {
        return ShapingErrors.contextLengthExceeded(
                "This model's maximum context length is " + maxModelLen
                        + " tokens. Even without older turns, the prompt has " + count
                        + " tokens (system messages and the"
                        + " last user turn are always kept), which leaves less than the " + job.budget()
                        + " tokens needed for the completion. Please shorten the messages.",
                "messages");
    }

    /**
     * The turns that may be dropped, oldest first: every message before the last user message except system
     * and developer messages, grouped so that a user message and the replies after it go together.
     */
    static List<int[]> droppableTurns(ArrayNode messages) {
        int lastUser = -1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                lastUser = i;
                break;
            }
        }
        List<int[]> turns = new ArrayList<>();
        List<Integer> current = new ArrayList<>();
        for (int i = 0; i < lastUser; i++) {
            String role = messages.get(i).path("role").asText();
            if ("system".equals(role) || "developer".equals(role)) {
                continue;
            }
            if ("user".equals(role) && !current.isEmpty()) {
                turns.add(current.stream().mapToInt(Integer::intValue).toArray());
                current.clear();
            }
            current.add(i);
        }
        if (!current.isEmpty()) {
            turns.add(current.stream().mapToInt(Integer::intValue).toArray());
        }
        return turns;
    }

    private static long size(JsonNode message) {
        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            return 1;
        }
        return content.isTextual()
                ? content.textValue().length() + 1
                : content.toString().length();
    }
}
