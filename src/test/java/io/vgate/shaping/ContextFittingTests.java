package io.vgate.shaping;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.sim.SimTokenizer;
import io.vgate.sim.SimulatorConfig;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Context fitting against the simulator's tokenizer, with exact counts: every expected number below is
 * computed with the same tokenizer and chat template that the simulator's {@code /tokenize} and its
 * context-length check use, and the simulator's own {@code usage} confirms what was sent.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class ContextFittingTests {

    private static final String CLAMP = ShapingTestProfile.CLAMP_MODEL;
    private static final String TRIM = ShapingTestProfile.TRIM_MODEL;
    private static final int MIN_COMPLETION = ShapingTestProfile.TRIM_MIN_COMPLETION;

    @Inject
    VllmSimulator sim;

    @Inject
    ModelCatalog catalog;

    @AfterEach
    void restore() {
        sim.settings().reset();
        catalog.reload().await().indefinitely();
    }

    private void contextLength(int tokens) {
        sim.settings().maxModelLen(tokens);
        catalog.reload().await().indefinitely();
    }

    // -- clamp ------------------------------------------------------------------------------------

    @Test
    void aPromptAndCompletionExactlyAtTheLimitAreLeftAlone() {
        var messages = conversation(true, 0, "What is the capital of France?");
        int prompt = count(messages);
        contextLength(prompt + 40);

        Response response = chat(CLAMP, messages, Map.of("max_tokens", 40, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isNull();
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isNull();
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(prompt);
        assertThat(usage(response, "completion_tokens")).isEqualTo(40);
    }

    @Test
    void oneTokenOverTheLimitIsClampedToTheRoomLeft() {
        var messages = conversation(true, 0, "What is the capital of France?");
        int prompt = count(messages);
        contextLength(prompt + 40);
        double before = Metrics.value("vgate_context_adjustments_total{action=\"clamped\",model=\"" + CLAMP + "\"}");

        Response response = chat(CLAMP, messages, Map.of("max_tokens", 41, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("40");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER)).isNull();
        assertThat(usage(response, "completion_tokens")).isEqualTo(40);
        assertThat(Metrics.value("vgate_context_adjustments_total{action=\"clamped\",model=\"" + CLAMP + "\"}"))
                .isEqualTo(before + 1);
    }

    @Test
    void maxCompletionTokensIsClampedWhenThatIsTheFieldTheClientUsed() {
        var messages = conversation(false, 0, "Name three rivers.");
        int prompt = count(messages);
        contextLength(prompt + 25);

        Response response = chat(CLAMP, messages, Map.of("max_completion_tokens", 100_000, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("25");
        assertThat(usage(response, "completion_tokens")).isEqualTo(25);
    }

    @Test
    void withoutAnyMaxTokensVllmsDefaultAlreadyFits() {
        var messages = conversation(true, 2, "And then?");
        contextLength(count(messages) + 3);

        Response response = chat(CLAMP, messages, Map.of());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isNull();
        assertThat(usage(response, "completion_tokens")).isLessThanOrEqualTo(3);
    }

    @Test
    void aPromptOneTokenShortOfTheLimitGetsOneCompletionToken() {
        var messages = conversation(true, 1, "Answer in one word.");
        contextLength(count(messages) + 1);

        Response response = chat(CLAMP, messages, Map.of("max_tokens", 50, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("1");
        assertThat(usage(response, "completion_tokens")).isEqualTo(1);
    }

    @Test
    void aPromptThatFillsTheWholeContextIs400AndNeverReachesVllm() {
        var messages = conversation(true, 1, "Answer in one word.");
        int prompt = count(messages);
        contextLength(prompt);
        long received = sim.received();

        Response response = chat(CLAMP, messages, Map.of("max_tokens", 5));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = OpenAiErrorSchema.assertValid(response.asString());
        assertThat(error.get("code").asText()).isEqualTo(ShapingErrors.CONTEXT_LENGTH_EXCEEDED);
        assertThat(error.get("param").asText()).isEqualTo("messages");
        assertThat(error.get("message").asText()).contains(Integer.toString(prompt));
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(sim.received()).isEqualTo(received);
    }

    @Test
    void everyChoiceOfNGetsTheRoomLeftBecauseTheLimitIsPerSequence() {
        var messages = conversation(true, 0, "Give me options.");
        int prompt = count(messages);
        contextLength(prompt + 12);

        Response response = chat(CLAMP, messages, Map.of("n", 3, "max_tokens", 30, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("12");
        assertThat(Json.parse(response.asString()).get("choices")).hasSize(3);
        assertThat(usage(response, "completion_tokens")).isEqualTo(3 * 12);
    }

    @Test
    void aSmallRequestFarFromTheLimitIsNotCounted() {
        Response response = chat(CLAMP, conversation(true, 1, "Hi!"), Map.of("max_tokens", 5));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER))
                .as("no /tokenize call was needed")
                .isNull();
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isNull();
    }

    @Test
    void completionsAreClampedIncludingVllmsDefaultOfSixteenTokens() {
        String prompt = "Once upon a time in a land far away there lived";
        int tokens = sim.tokenizer().count(prompt) + 1;
        contextLength(tokens + 5);

        Response response = given().contentType("application/json")
                .body(Json.write(Map.of("model", CLAMP, "prompt", prompt, "ignore_eos", true)))
                .post("/v1/completions");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("5");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(tokens));
        assertThat(usage(response, "completion_tokens")).isEqualTo(5);
    }

    @Test
    void withPolicyOffVllmAnswersTheOverflowItself() {
        var messages = conversation(true, 0, "Too long for this model.");
        contextLength(count(messages) + 5);

        Response response = chat(ShapingTestProfile.OFF_MODEL, messages, Map.of("max_tokens", 50));

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = Json.parse(response.asString()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isNull();
    }

    // -- trim -------------------------------------------------------------------------------------

    @Test
    void trimDropsTheFewestOldestTurnsKeepingTheSystemMessageAndTheLastUserTurn() {
        sim.settings().mode(SimulatorConfig.Mode.ECHO);
        var messages = conversation(true, 5, "Now summarise our chat.");
        int withoutTwo = count(drop(messages, 2, true));
        contextLength(withoutTwo + MIN_COMPLETION);
        assertThat(count(drop(messages, 1, true)) + MIN_COMPLETION).isGreaterThan(withoutTwo + MIN_COMPLETION);
        double before = Metrics.value("vgate_context_adjustments_total{action=\"trimmed\",model=\"" + TRIM + "\"}");

        Response response = chat(TRIM, messages, Map.of("max_tokens", 100));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("trimmed");
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER)).isEqualTo("4");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(withoutTwo));
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo(Integer.toString(MIN_COMPLETION));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(withoutTwo);
        assertThat(Json.parse(response.asString())
                        .at("/choices/0/message/content")
                        .asText())
                .isEqualTo("Now summarise our chat.");
        assertThat(Metrics.value("vgate_context_adjustments_total{action=\"trimmed\",model=\"" + TRIM + "\"}"))
                .isEqualTo(before + 1);
    }

    @Test
    void trimWorksWithoutASystemMessage() {
        var messages = conversation(false, 4, "What did I ask first?");
        int withoutOne = count(drop(messages, 1, false));
        contextLength(withoutOne + MIN_COMPLETION);

        Response response = chat(TRIM, messages, Map.of());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER)).isEqualTo("2");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(withoutOne));
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER))
                .as("vLLM's default fills the room")
                .isNull();
        assertThat(usage(response, "prompt_tokens")).isEqualTo(withoutOne);
    }

    @Test
    void trimLeavesARequestThatFitsWithTheMinimumCompletionAlone() {
        var messages = conversation(true, 3, "Continue.");
        int prompt = count(messages);
        contextLength(prompt + MIN_COMPLETION);

        Response response = chat(TRIM, messages, Map.of("max_tokens", MIN_COMPLETION, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isNull();
        assertThat(usage(response, "prompt_tokens")).isEqualTo(prompt);
    }

    @Test
    void trimOnlyClampsWhenTheMinimumCompletionStillFits() {
        var messages = conversation(true, 3, "Continue.");
        int prompt = count(messages);
        contextLength(prompt + MIN_COMPLETION + 5);

        Response response = chat(TRIM, messages, Map.of("max_tokens", 500, "ignore_eos", true));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo(Integer.toString(MIN_COMPLETION + 5));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(prompt);
    }

    @Test
    void aSingleHugeLastMessageCannotBeTrimmedAndIs400() {
        var messages = conversation(true, 2, "word ".repeat(300).trim());
        int lastTurnOnly = count(drop(messages, 2, true));
        contextLength(lastTurnOnly + MIN_COMPLETION - 1);
        long received = sim.received();

        Response response = chat(TRIM, messages, Map.of());

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = OpenAiErrorSchema.assertValid(response.asString());
        assertThat(error.get("code").asText()).isEqualTo(ShapingErrors.CONTEXT_LENGTH_EXCEEDED);
        assertThat(error.get("message").asText()).contains(Integer.toString(lastTurnOnly));
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(lastTurnOnly));
        assertThat(sim.received()).isEqualTo(received);
    }

    // -- helpers ----------------------------------------------------------------------------------

    /** An optional system message, {@code turns} user/assistant exchanges, then the last user message. */
    private static List<Map<String, String>> conversation(boolean system, int turns, String last) {
        List<Map<String, String>> messages = new ArrayList<>();
        if (system) {
            messages.add(message("system", "You are a helpful assistant who answers briefly and precisely."));
        }
        for (int i = 1; i <= turns; i++) {
            messages.add(message("user", "Question number " + i + ": tell me something interesting about the sea."));
            messages.add(message(
                    "assistant",
                    "Answer number " + i + ": the sea covers most of the planet and hides"
                            + " many creatures nobody has seen."));
        }
        messages.add(message("user", last));
        return messages;
    }

    /** {@code messages} without its first {@code turns} user/assistant pairs. */
    private static List<Map<String, String>> drop(List<Map<String, String>> messages, int turns, boolean system) {
        List<Map<String, String>> kept = new ArrayList<>();
        int first = system ? 1 : 0;
        for (int i = 0; i < messages.size(); i++) {
            if (i < first || i >= first + 2 * turns) {
                kept.add(messages.get(i));
            }
        }
        return kept;
    }

    private static Map<String, String> message(String role, String content) {
        var message = new LinkedHashMap<String, String>();
        message.put("role", role);
        message.put("content", content);
        return message;
    }

    /** The prompt tokens of {@code messages} as vLLM (here the simulator) counts them. */
    private int count(List<Map<String, String>> messages) {
        SimTokenizer tokenizer = sim.tokenizer();
        return tokenizer.count(tokenizer.renderChat(
                messages.stream()
                        .map(m -> new SimTokenizer.Message(m.get("role"), m.get("content")))
                        .toList(),
                true,
                false));
    }

    private static Response chat(String model, List<Map<String, String>> messages, Map<String, Object> extra) {
        var body = new LinkedHashMap<String, Object>();
        body.put("model", model);
        body.put("messages", messages);
        body.putAll(extra);
        return given().contentType("application/json").body(Json.write(body)).post("/v1/chat/completions");
    }

    private static int usage(Response response, String field) {
        return Json.parse(response.asString()).at("/usage/" + field).asInt();
    }
}
