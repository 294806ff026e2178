package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import io.vgate.testing.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Trimming never parts an assistant message's tool calls from the {@code tool} messages that answer them,
 * and counts what tools and media take of the window. The search runs here on its own, with a plain count of
 * a message's characters standing in for vLLM's {@code /tokenize}.
 */
class ToolCallTrimmingTests {

    private static final MediaTokens MEDIA = new MediaTokens(576, 188, 1024);
    private static final RequestParser PARSER = new RequestParser(new ObjectMapper());

    // -- which messages go together ---------------------------------------------------------------

    @Test
    void aCallAndItsResultsInOneTurnStayOneTurn() {
        List<int[]> turns = TrimSearch.droppableTurns(messages("""
                [{"role":"system","content":"s"},
                 {"role":"user","content":"u1"},
                 {"role":"assistant","content":null,"tool_calls":[%s]},
                 {"role":"tool","tool_call_id":"a","content":"r"},
                 {"role":"assistant","content":"a1"},
                 {"role":"user","content":"u2"},{"role":"assistant","content":"a2"},
                 {"role":"user","content":"u3"}]""".formatted(call("a"))));

        assertThat(turns).containsExactly(new int[] {1, 2, 3, 4}, new int[] {5, 6});
    }

    @Test
    void aResultAfterTheNextUserMessageMergesBothTurnsIntoOne() {
        List<int[]> turns = TrimSearch.droppableTurns(messages("""
                [{"role":"system","content":"s"},
                 {"role":"user","content":"u1"},
                 {"role":"assistant","content":null,"tool_calls":[%s]},
                 {"role":"user","content":"while you look: also the time"},
                 {"role":"tool","tool_call_id":"a","content":"r"},
                 {"role":"assistant","content":"a2"},
                 {"role":"user","content":"u3"},{"role":"assistant","content":"a3"},
                 {"role":"user","content":"last"}]""".formatted(call("a"))));

        assertThat(turns).containsExactly(new int[] {1, 2, 3, 4, 5}, new int[] {6, 7});
    }

    @Test
    void aCallWhoseResultsAreInTheLastTurnIsNeverDropped() {
        List<int[]> turns = TrimSearch.droppableTurns(messages("""
                [{"role":"user","content":"u0"},{"role":"assistant","content":"a0"},
                 {"role":"user","content":"u1"},
                 {"role":"assistant","content":null,"tool_calls":[%s]},
                 {"role":"user","content":"last"},
                 {"role":"tool","tool_call_id":"a","content":"r"}]""".formatted(call("a"))));

        assertThat(turns).containsExactly(new int[] {0, 1});
    }

    @Test
    void parallelCallsAreMatchedToTheirResultsByIdEvenWhenIdsRepeatAcrossRounds() {
        // Some models number their calls call_0, call_1, ... afresh in every round.
        List<int[]> turns = TrimSearch.droppableTurns(
                messages("""
                [{"role":"user","content":"u1"},
                 {"role":"assistant","content":null,"tool_calls":[%s,%s]},
                 {"role":"tool","tool_call_id":"call_1","content":"r1"},
                 {"role":"tool","tool_call_id":"call_0","content":"r0"},
                 {"role":"assistant","content":"a1"},
                 {"role":"user","content":"u2"},
                 {"role":"assistant","content":null,"tool_calls":[%s,%s]},
                 {"role":"tool","tool_call_id":"call_0","content":"r0"},
                 {"role":"user","content":"u3"},
                 {"role":"tool","tool_call_id":"call_1","content":"r1, late"},
                 {"role":"user","content":"u4"},{"role":"assistant","content":"a4"},
                 {"role":"user","content":"last"}]""".formatted(call("call_0"), call("call_1"), call("call_0"), call("call_1"))));

        assertThat(turns).containsExactly(new int[] {0, 1, 2, 3, 4}, new int[] {5, 6, 7, 8, 9}, new int[] {10, 11});
    }

    @Test
    void aResultWithoutAnIdAnswersTheLatestCallsAsLegacyFunctionMessagesDo() {
        List<int[]> turns = TrimSearch.droppableTurns(messages("""
                [{"role":"user","content":"u1"},
                 {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},
                 {"role":"user","content":"u2"},
                 {"role":"function","name":"f","content":"r"},
                 {"role":"user","content":"u3"},{"role":"assistant","content":"a3"},
                 {"role":"user","content":"last"}]"""));

        assertThat(turns).containsExactly(new int[] {0, 1, 2, 3}, new int[] {4, 5});
    }

    @Test
    void anOrphanResultIsLeftWhereItIsAsVllmTakesIt() {
        // vLLM renders a tool message that answers no call; trimming neither refuses it nor ties it to anything.
        List<int[]> turns = TrimSearch.droppableTurns(messages("""
                [{"role":"user","content":"u1"},
                 {"role":"tool","tool_call_id":"nobody","content":"r"},
                 {"role":"user","content":"u2"},{"role":"assistant","content":"a2"},
                 {"role":"user","content":"last"}]"""));

        assertThat(turns).containsExactly(new int[] {0, 1}, new int[] {2, 3});
    }

    @Test
    void droppingAnyNumberOfOldestTurnsNeverSplitsACallFromItsResults() {
        Random random = new Random(19);
        for (int conversation = 0; conversation < 500; conversation++) {
            ArrayNode messages = randomAgentConversation(random);
            List<int[]> turns = TrimSearch.droppableTurns(messages);
            for (int dropped = 0; dropped <= turns.size(); dropped++) {
                ArrayNode kept = without(messages, turns, dropped);
                assertPairsIntact(messages, kept, "conversation " + conversation + ", " + dropped + " turns dropped");
            }
        }
    }

    // -- the search ---------------------------------------------------------------------------------

    @Test
    void aTrimThatWouldSplitACallFromItsResultRemovesBoth() {
        // Dropping {u1, call} alone would be enough, but would leave the result orphaned after u2.
        String body = chat("""
                [{"role":"system","content":"sys"},
                 {"role":"user","content":"%s"},
                 {"role":"assistant","content":null,"tool_calls":[%s]},
                 {"role":"user","content":"and also"},
                 {"role":"tool","tool_call_id":"a","content":"r"},
                 {"role":"user","content":"last"}]""".formatted("x".repeat(400), call("a")));
        int all = count(request(body).messages());

        FitOutcome outcome = trim(body, all - 300 + 32);

        assertThat(outcome.error()).isNull();
        assertThat(outcome.trimmedMessages()).isEqualTo(4);
        assertThat(roles(outcome.messages())).containsExactly("system", "user");
        assertThat(outcome.messages().get(1).get("content").asText()).isEqualTo("last");
    }

    @Test
    void aTrimThatFitsWithoutTouchingTheUnitKeepsBothCallAndResults() {
        String body = chat("""
                [{"role":"user","content":"%s"},{"role":"assistant","content":"long ago"},
                 {"role":"user","content":"u2"},
                 {"role":"assistant","content":null,"tool_calls":[%s,%s]},
                 {"role":"tool","tool_call_id":"p","content":"rp"},
                 {"role":"tool","tool_call_id":"q","content":"rq"},
                 {"role":"assistant","content":"a2"},
                 {"role":"user","content":"last"}]""".formatted("x".repeat(400), call("p"), call("q")));
        int all = count(request(body).messages());

        FitOutcome outcome = trim(body, all - 380 + 32);

        assertThat(outcome.error()).isNull();
        assertThat(outcome.trimmedMessages()).isEqualTo(2);
        assertThat(roles(outcome.messages())).containsExactly("user", "assistant", "tool", "tool", "assistant", "user");
    }

    @Test
    void aWindowTooSmallForTheLastTurnsUnitIs400NotASplit() {
        // The call's result sits in the last turn, so the call's turn is kept whole too and nothing is left to trim.
        String body = chat("""
                [{"role":"user","content":"u1"},
                 {"role":"assistant","content":null,"tool_calls":[%s]},
                 {"role":"user","content":"%s"},
                 {"role":"tool","tool_call_id":"a","content":"r"}]""".formatted(call("a"), "y".repeat(300)));
        int all = count(request(body).messages());

        FitOutcome outcome = trim(body, all);

        assertThat(outcome.error()).isNotNull();
        assertThat(outcome.error().code()).isEqualTo(ShapingErrors.CONTEXT_LENGTH_EXCEEDED);
        assertThat(outcome.messages()).isNull();
    }

    @Test
    void theEstimateCountsImagesByTheirTokensNotTheirBytes() {
        // Turn 1 is short text with four images (2,304 tokens in a few bytes), turn 2 a long text: dropping turn 1
        // is enough, which a guess by bytes alone would miss.
        String body = chat("""
                [{"role":"user","content":[{"type":"text","text":"look"},%s,%s,%s,%s]},
                 {"role":"assistant","content":"four cats"},
                 {"role":"user","content":"%s"},{"role":"assistant","content":"ok"},
                 {"role":"user","content":"last"}]""".formatted(image(1), image(2), image(3), image(4), "z".repeat(600)));
        int all = count(request(body).messages());
        List<Integer> counted = new ArrayList<>();

        FitOutcome outcome = new TrimSearch(job(body), all - 2000 + 32, all, MEDIA, messages -> {
                    counted.add(messages.size());
                    return Uni.createFrom().item(count(messages));
                })
                .run()
                .await()
                .indefinitely();

        assertThat(outcome.trimmedMessages()).isEqualTo(2);
        assertThat(counted).as("the first guess is right: one count").containsExactly(3);
    }

    // -- counting ------------------------------------------------------------------------------------

    @Test
    void mediaPartsCountTheirTokensPerItemAndModality() {
        ArrayNode messages = messages("""
                [{"role":"user","content":[{"type":"text","text":"t"},
                   {"type":"image_url","image_url":{"url":"http://x/1.png"}},
                   {"type":"image_embeds","image_embeds":"e"},
                   {"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}},
                   {"type":"audio_url","audio_url":{"url":"http://x/a.mp3"}},
                   {"type":"video_url","video_url":{"url":"http://x/v.mp4"}}]},
                 {"role":"assistant","content":"plain text"}]""");

        assertThat(MEDIA.ofMessages(messages)).isEqualTo(2 * 576 + 2 * 188 + 1024);
        assertThat(MEDIA.of(messages.get(1).get("content"))).isZero();
    }

    @Test
    void tokenizeIsAskedWithTheToolsAndWithoutTheMediaItCannotCount() {
        String body = """
                {"model":"m","tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}],
                 "tool_choice":"auto","max_tokens":5,
                 "messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},
                     {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
                   {"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/2.png"}}]}]}""";
        FitJob job = job(body);
        String before = job.request().body().toString();

        ObjectNode tokenize =
                PromptCounter.chatTokenizeRequest(job, job.request().messages());

        assertThat(tokenize.get("model").asText()).isEqualTo("m");
        assertThat(tokenize.get("tools")).isEqualTo(job.request().body().get("tools"));
        assertThat(tokenize.has("tool_choice")).as("not a /tokenize field").isFalse();
        assertThat(tokenize.has("max_tokens")).isFalse();
        assertThat(tokenize.get("messages")).isEqualTo(Json.parse("""
                        [{"role":"user","content":[{"type":"text","text":"what is this?"}]},
                         {"role":"user","content":""}]"""));
        assertThat(job.request().body().toString())
                .as("the request itself is untouched")
                .isEqualTo(before);
    }

    // -- helpers ---------------------------------------------------------------------------------------

    private static String call(String id) {
        return "{\"id\":\"" + id + "\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}";
    }

    private static String image(int n) {
        return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://img/" + n + ".png\"}}";
    }

    private static ArrayNode messages(String json) {
        return (ArrayNode) Json.parse(json);
    }

    private static String chat(String messages) {
        return "{\"model\":\"m\",\"messages\":" + messages + "}";
    }

    private static InferenceRequest request(String body) {
        return PARSER.parse(ApiRoute.CHAT_COMPLETIONS, "application/json", Buffer.buffer(body));
    }

    private static FitJob job(String body) {
        return FitJob.of(request(body), ContextPolicy.TRIM, 32);
    }

    private static FitOutcome trim(String body, int maxModelLen) {
        FitJob job = job(body);
        int all = count(job.request().messages());
        return new TrimSearch(
                        job,
                        maxModelLen,
                        all,
                        MEDIA,
                        messages -> Uni.createFrom().item(count(messages)))
                .run()
                .await()
                .indefinitely();
    }

    /** A stand-in for /tokenize: a token per character of text and of tool calls, four per message, and media. */
    private static int count(ArrayNode messages) {
        int tokens = 0;
        for (JsonNode message : messages) {
            tokens += 4;
            JsonNode content = message.get("content");
            if (content != null && content.isTextual()) {
                tokens += content.textValue().length();
            } else if (content != null && content.isArray()) {
                for (JsonNode part : content) {
                    tokens += part.path("text").asText("").length();
                }
                tokens += (int) MEDIA.of(content);
            }
            JsonNode calls = message.get("tool_calls");
            if (calls != null) {
                tokens += calls.toString().length();
            }
        }
        return tokens;
    }

    private static List<String> roles(ArrayNode messages) {
        List<String> roles = new ArrayList<>();
        messages.forEach(m -> roles.add(m.get("role").asText()));
        return roles;
    }

    private static ArrayNode without(ArrayNode messages, List<int[]> turns, int dropped) {
        boolean[] drop = new boolean[messages.size()];
        for (int t = 0; t < dropped; t++) {
            for (int index : turns.get(t)) {
                drop[index] = true;
            }
        }
        ArrayNode kept = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < messages.size(); i++) {
            if (!drop[i]) {
                kept.add(messages.get(i));
            }
        }
        return kept;
    }

    /**
     * Every kept result whose call was in the request still has it, and every kept call still has every result
     * the request had for it. A result answers the latest call with its id before it.
     */
    private static void assertPairsIntact(ArrayNode original, ArrayNode kept, String where) {
        Set<JsonNode> keptSet = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.forEach(keptSet::add);
        for (int i = 0; i < original.size(); i++) {
            JsonNode result = original.get(i);
            if (!"tool".equals(result.path("role").asText())) {
                continue;
            }
            String id = result.path("tool_call_id").asText();
            JsonNode caller = null;
            for (int j = i - 1; j >= 0 && caller == null; j--) {
                for (JsonNode call : original.get(j).path("tool_calls")) {
                    if (id.equals(call.path("id").asText())) {
                        caller = original.get(j);
                    }
                }
            }
            if (caller != null) {
                assertThat(keptSet.contains(result))
                        .as("%s: result %s kept exactly when its call is", where, id)
                        .isEqualTo(keptSet.contains(caller));
            }
        }
    }

    /** System prompt, old turns and a last turn of agent rounds, with the odd orders real clients send. */
    private static ArrayNode randomAgentConversation(Random random) {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        if (random.nextBoolean()) {
            messages.add(message("system", "s"));
        }
        int turns = 1 + random.nextInt(5);
        int ids = 0;
        List<ObjectNode> pending = new ArrayList<>();
        for (int t = 0; t < turns; t++) {
            messages.add(message("user", "u" + t));
            int rounds = random.nextInt(3);
            for (int r = 0; r < rounds; r++) {
                ObjectNode assistant = message("assistant", null);
                ArrayNode calls = assistant.putArray("tool_calls");
                int parallel = 1 + random.nextInt(3);
                boolean reuse = random.nextBoolean();
                List<ObjectNode> results = new ArrayList<>();
                for (int c = 0; c < parallel; c++) {
                    String id = reuse ? "call_" + c : "id" + ids++;
                    calls.add(Json.parse(call(id)));
                    ObjectNode result = message("tool", "r");
                    result.put("tool_call_id", id);
                    results.add(result);
                }
                messages.add(assistant);
                Collections.shuffle(results, random);
                for (ObjectNode result : results) {
                    if (random.nextInt(8) == 0) {
                        pending.add(result); // answered late, after another user message
                    } else {
                        messages.add(result);
                    }
                }
            }
            if (random.nextInt(10) == 0) {
                ObjectNode orphan = message("tool", "orphan");
                orphan.put("tool_call_id", "nobody" + t);
                messages.add(orphan);
            }
            if (random.nextBoolean()) {
                messages.add(message("assistant", "a" + t));
            }
            if (!pending.isEmpty() && random.nextBoolean()) {
                messages.add(message("user", "interjection"));
                pending.forEach(messages::add);
                pending.clear();
            }
        }
        messages.add(message("user", "last"));
        pending.forEach(messages::add);
        return messages;
    }

    private static ObjectNode message(String role, String content) {
        ObjectNode message = JsonNodeFactory.instance.objectNode();
        message.put("role", role);
        if (content == null) {
            message.putNull("content");
        } else {
            message.put("content", content);
        }
        return message;
    }
}
