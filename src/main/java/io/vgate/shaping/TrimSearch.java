package io.vgate.shaping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smallrye.mutiny.Uni;
import io.vgate.api.ApiError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The trim search: the fewest oldest turns of a chat to drop so that the prompt leaves room for the
 * completion. A function of its inputs only (the request, the window, the prompt's count and a way to
 * count a candidate's messages); it edits nothing, and returns the messages to send or the error.
 * <p>
 * A turn is a user message with the replies after it; system and developer messages and the last user
 * turn always stay, and an assistant message's tool calls are never parted from their results (see
 * {@link #droppableTurns}). The search is a binary search over the number of turns dropped, starting from an
 * estimate of the turns' share of the text, so it usually needs one or two counts.
 */
final class TrimSearch {

    private final FitJob job;
    private final int maxModelLen;
    private final int promptTokens;
    private final ArrayNode messages;
    private final List<int[]> turns;
    private final MediaTokens media;
    private final Function<ArrayNode, Uni<Integer>> count;

    TrimSearch(
            FitJob job, int maxModelLen, int promptTokens, MediaTokens media, Function<ArrayNode, Uni<Integer>> count) {
        this.job = job;
        this.media = media;
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

    /**
     * How many turns probably have to go: their share of the prompt against the tokens to lose. Media parts
     * count their fixed tokens, not their bytes; the text (tool definitions and calls included) shares the
     * rest of the prompt's count by its length.
     */
    private int estimate() {
        long excess = promptTokens + (long) job.budget() - maxModelLen;
        JsonNode tools = job.request().body().get("tools");
        long totalChars = tools == null || tools.isNull() ? 0 : tools.toString().length();
        for (JsonNode message : messages) {
            totalChars += size(message);
        }
        long[] turnChars = new long[turns.size()];
        long[] turnMedia = new long[turns.size()];
        for (int t = 0; t < turns.size(); t++) {
            for (int index : turns.get(t)) {
                turnChars[t] += size(messages.get(index));
                turnMedia[t] += media.of(messages.get(index).get("content"));
            }
        }
        long textTokens = Math.max(0, promptTokens - media.ofMessages(messages));
        double tokensPerChar = totalChars == 0 ? 1 : textTokens / (double) totalChars;
        double dropped = 0;
        for (int t = 0; t < turns.size(); t++) {
            dropped += turnChars[t] * tokensPerChar + turnMedia[t];
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
     * <p>
     * An assistant message's tool calls and the {@code tool} messages that answer them (matched by
     * {@code tool_call_id}, to the latest call with that id before the result; a result without an id, or a
     * legacy {@code function} message, answers the latest assistant message with calls before it) are one
     * unit: the turns that hold them are merged into one, dropped or kept together, so trimming never leaves a
     * call without its results or a result without its call. A unit that reaches into the last user turn is
     * kept whole. A result that answers no call in the request stays where it is, as vLLM takes it.
     */
    static List<int[]> droppableTurns(ArrayNode messages) {
        int size = messages.size();
        int lastUser = -1;
        for (int i = size - 1; i >= 0; i--) {
            if ("user".equals(role(messages.get(i)))) {
                lastUser = i;
                break;
            }
        }
        // Turn of each message: 0..count-1 droppable, count for the kept last turn, -1 for system messages.
        int[] turnOf = new int[size];
        int count = 0;
        int current = -1;
        for (int i = 0; i < Math.max(lastUser, 0); i++) {
            String role = role(messages.get(i));
            if ("system".equals(role) || "developer".equals(role)) {
                turnOf[i] = -1;
                continue;
            }
            if (current < 0 || "user".equals(role)) {
                current = count++;
            }
            turnOf[i] = current;
        }
        int kept = count;
        for (int i = Math.max(lastUser, 0); i < size; i++) {
            turnOf[i] = kept;
        }
        int[] parent = new int[count + 1];
        for (int t = 0; t <= count; t++) {
            parent[t] = t;
        }
        linkCallsToResults(messages, turnOf, parent);

        // The merged turns, each in message order, the oldest (by its first message) first.
        int keptRoot = find(parent, kept);
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < size; i++) {
            if (turnOf[i] >= 0) {
                int root = find(parent, turnOf[i]);
                if (root != keptRoot) {
                    groups.computeIfAbsent(root, r -> new ArrayList<>()).add(i);
                }
            }
        }
        List<int[]> turns = new ArrayList<>(groups.size());
        for (List<Integer> group : groups.values()) {
            turns.add(group.stream().mapToInt(Integer::intValue).toArray());
        }
        return turns;
    }

    /** Merges the turn of every assistant message with tool calls with the turns of the results to them. */
    private static void linkCallsToResults(ArrayNode messages, int[] turnOf, int[] parent) {
        Map<String, Integer> callers = new HashMap<>();
        int lastCaller = -1;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode message = messages.get(i);
            String role = role(message);
            if ("assistant".equals(role)) {
                JsonNode calls = message.get("tool_calls");
                boolean calling = false;
                if (calls != null && calls.isArray()) {
                    for (JsonNode call : calls) {
                        JsonNode id = call.get("id");
                        if (id != null && id.isTextual()) {
                            callers.put(id.textValue(), i);
                        }
                        calling = true;
                    }
                }
                JsonNode legacy = message.get("function_call");
                if (calling || (legacy != null && !legacy.isNull())) {
                    lastCaller = i;
                }
            } else if ("tool".equals(role) || "function".equals(role)) {
                JsonNode id = message.get("tool_call_id");
                Integer caller = id != null && id.isTextual() ? callers.get(id.textValue()) : null;
                if (caller == null && (id == null || id.isNull()) && lastCaller >= 0) {
                    caller = lastCaller;
                }
                if (caller != null && turnOf[caller] >= 0 && turnOf[i] >= 0) {
                    union(parent, turnOf[caller], turnOf[i]);
                }
            }
        }
    }

    private static int find(int[] parent, int t) {
        while (parent[t] != t) {
            parent[t] = parent[parent[t]];
            t = parent[t];
        }
        return t;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
    }

    private static String role(JsonNode message) {
        return message.path("role").asText();
    }

    /** A message's share of the prompt's text: its text parts, tool calls and name, without media. */
    private static long size(JsonNode message) {
        long size = 1;
        JsonNode content = message.get("content");
        if (content != null && content.isTextual()) {
            size += content.textValue().length();
        } else if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                if (part.isTextual()) {
                    size += part.textValue().length();
                } else if (!MediaTokens.isMedia(part)) {
                    JsonNode text = part.get("text");
                    size += text != null && text.isTextual()
                            ? text.textValue().length()
                            : part.toString().length();
                }
            }
        }
        JsonNode calls = message.get("tool_calls");
        if (calls != null && calls.isArray() && !calls.isEmpty()) {
            size += calls.toString().length();
        }
        return size;
    }
}
