package io.vgate.shaping;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.sim.SimTokenizer;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.OpenAiErrorSchema;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Context fitting of agent and multimodal chats through vgate on the simulator: tool definitions and images
 * count in the prompt, trimming keeps every tool call with its results, and the simulator's own {@code usage}
 * confirms that what was sent is exactly what vgate counted.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class ToolAndMediaFittingTests {

    private static final String CLAMP = ShapingTestProfile.CLAMP_MODEL;
    private static final String TRIM = ShapingTestProfile.TRIM_MODEL;
    private static final int MIN_COMPLETION = ShapingTestProfile.TRIM_MIN_COMPLETION;
    /** The simulator's placeholder tokens per image. */
    private static final int IMAGE = 576;

    private static final String IMAGE_URL = "data:image/png;base64,iVBORw0KGgo=";
    private static final JsonNode TOOLS = Json.parse("""
            [{"type":"function","function":{"name":"get_weather",
               "description":"The current weather in a city, with temperature, wind and the chance of rain.",
               "parameters":{"type":"object","properties":{
                 "city":{"type":"string","description":"City name, e.g. Paris"},
                 "unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}}},
             {"type":"function","function":{"name":"get_time",
               "description":"The local time in a city, as an ISO 8601 timestamp with its offset.",
               "parameters":{"type":"object","properties":{
                 "city":{"type":"string","description":"City name, e.g. Lyon"}},"required":["city"]}}}]""");

    private static final HttpClient HTTP = HttpClient.newHttpClient();

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

    // -- tools ------------------------------------------------------------------------------------

    @Test
    void aTrimmedAgentConversationKeepsEveryToolCallWithItsResults() {
        ArrayNode messages = agentConversation(4);
        ArrayNode kept = dropOldTurns(messages, 2, 4);
        int keptTokens = tokenize(kept, TOOLS);
        contextLength(keptTokens + MIN_COMPLETION);
        assertThat(tokenize(dropOldTurns(messages, 1, 4), TOOLS)).isGreaterThan(keptTokens);
        assertThat(keptTokens).as("the tools count").isGreaterThan(tokenize(kept, null) + 50);

        Response response = chat(TRIM, messages, TOOLS, "auto", null);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("trimmed");
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER))
                .as("two whole turns: user, call, result, answer")
                .isEqualTo("8");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(keptTokens));
        assertThat(usage(response, "prompt_tokens"))
                .as("vLLM got exactly the kept calls and results, tools included")
                .isEqualTo(keptTokens);
        assertThat(Json.parse(response.asString())
                        .at("/choices/0/message/content")
                        .isTextual())
                .as("after the results the model answers in text")
                .isTrue();
    }

    @Test
    void aTrimThatWouldOrphanAToolResultDropsTheCallAndTheResultTogether() {
        // The user spoke between the call and its result: dropping the oldest turn alone would fit, but would
        // leave the result without its call, so the turn after it goes too.
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(message("system", "You are a travel assistant. Use the tools for live data."));
        messages.add(message("user", "What is the weather in Oslo? " + "I am packing for a long trip. ".repeat(20)));
        messages.add(calls(call("call_o", "get_weather", "Oslo")));
        messages.add(message("user", "Oh, and I land at night."));
        messages.add(result("call_o", "{\"city\":\"Oslo\",\"temperature\":-3,\"rain\":0.1}"));
        messages.add(message("assistant", "It is -3 degrees in Oslo; pack a warm coat."));
        messages.add(message("user", "Thanks. Anything else?"));
        messages.add(message("assistant", "Bring gloves."));
        messages.add(message("user", "And for Lisbon?"));
        ArrayNode withoutFirstTurn = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < messages.size(); i++) {
            if (i != 1 && i != 2) {
                withoutFirstTurn.add(messages.get(i));
            }
        }
        ArrayNode kept = dropOldTurns(messages, 1, 5);
        int keptTokens = tokenize(kept, TOOLS);
        contextLength(tokenize(withoutFirstTurn, TOOLS) + MIN_COMPLETION);

        Response response = chat(TRIM, messages, TOOLS, "none", null);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER)).isEqualTo("5");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(keptTokens));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(keptTokens);
    }

    @Test
    void anOrphanToolResultIsPassedOnAsVllmTakesItAndTrimmedWithItsTurn() {
        // vLLM renders a tool message that answers no call; vgate neither refuses it nor ties it to another turn.
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(message("user", "Start. " + "Some long context about my trip. ".repeat(20)));
        messages.add(result("call_from_another_session", "{\"ok\":true}"));
        messages.add(message("user", "Where should I go?"));
        messages.add(message("assistant", "Lisbon is lovely in spring."));
        messages.add(message("user", "Why?"));
        ArrayNode kept = JsonNodeFactory.instance.arrayNode();
        for (int i = 2; i < messages.size(); i++) {
            kept.add(messages.get(i));
        }
        int keptTokens = tokenize(kept, null);
        contextLength(keptTokens + MIN_COMPLETION);

        Response response = chat(TRIM, messages, null, null, null);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER)).isEqualTo("2");
        assertThat(usage(response, "prompt_tokens")).isEqualTo(keptTokens);
    }

    @Test
    void toolDefinitionsCountWhenTheCompletionIsClamped() {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(message("user", "What is the weather like in Paris today?"));
        int prompt = tokenize(messages, TOOLS);
        assertThat(prompt).isGreaterThan(tokenize(messages, null) + 50);
        contextLength(prompt + 30);

        Response response = chat(CLAMP, messages, TOOLS, "none", 500);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.CONTEXT_HEADER)).isEqualTo("clamped");
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("30");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(prompt);
        assertThat(usage(response, "completion_tokens")).isEqualTo(30);
    }

    // -- images -----------------------------------------------------------------------------------

    @Test
    void imagesCountWhenTheCompletionIsClamped() {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(withImages("user", "What do these three photos have in common?", 3));
        int prompt = count(messages);
        contextLength(prompt + 20);

        Response response = chat(CLAMP, messages, null, null, 1000);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.MAX_TOKENS_HEADER)).isEqualTo("20");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(prompt));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(prompt);
        assertThat(usage(response, "completion_tokens")).isEqualTo(20);
    }

    @Test
    void anImageHeavyConversationIsTrimmedByWhatItsImagesTake() {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(message("system", "You describe photos briefly."));
        for (int i = 1; i <= 3; i++) {
            messages.add(withImages("user", "Photos of set " + i + ": what do you see?", 2));
            messages.add(message("assistant", "Set " + i + " shows a harbour at dusk."));
        }
        messages.add(withImages("user", "And this one?", 1));
        ArrayNode kept = dropOldTurns(messages, 2, 2);
        int keptTokens = count(kept);
        contextLength(keptTokens + MIN_COMPLETION);

        Response response = chat(TRIM, messages, null, null, null);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.TRIMMED_MESSAGES_HEADER)).isEqualTo("4");
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(keptTokens));
        assertThat(usage(response, "prompt_tokens")).isEqualTo(keptTokens);
    }

    @Test
    void aLastTurnWithMoreImagesThanTheWindowHoldsIs400AndNeverReachesVllm() {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(message("system", "You describe photos briefly."));
        messages.add(message("user", "Hello"));
        messages.add(message("assistant", "Hi, send me photos."));
        messages.add(withImages("user", "Here is my whole album.", 8));
        ArrayNode lastTurn = dropOldTurns(messages, 1, 2);
        int lastTurnTokens = count(lastTurn);
        assertThat(lastTurnTokens).isGreaterThan(sim.settings().maxModelLen());
        long received = sim.received();

        Response response = chat(TRIM, messages, null, null, null);

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = OpenAiErrorSchema.assertValid(response.asString());
        assertThat(error.get("code").asText()).isEqualTo(ShapingErrors.CONTEXT_LENGTH_EXCEEDED);
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER)).isEqualTo(Integer.toString(lastTurnTokens));
        assertThat(sim.received()).isEqualTo(received);
    }

    @Test
    void aSmallImageRequestFarFromTheLimitIsSentWithoutCounting() {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(withImages("user", "What is this?", 1));

        Response response = chat(CLAMP, messages, null, null, 5);

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        assertThat(response.header(ContextFitter.PROMPT_TOKENS_HEADER))
                .as("the cheap bound, images included, proved the fit")
                .isNull();
        assertThat(usage(response, "prompt_tokens")).isEqualTo(count(messages));
    }

    // -- helpers ----------------------------------------------------------------------------------

    /**
     * A system message, {@code turns} agent turns (question, a call, its result, an answer), then the last
     * question answered by two parallel calls whose results end the conversation.
     */
    private static ArrayNode agentConversation(int turns) {
        ArrayNode messages = JsonNodeFactory.instance.arrayNode();
        messages.add(message("system", "You are a travel assistant. Use the tools for live data."));
        String[] cities = {"Oslo", "Lisbon", "Krakow", "Valencia", "Porto"};
        for (int i = 0; i < turns; i++) {
            String city = cities[i % cities.length];
            String id = "call_" + i;
            messages.add(message("user", "Question " + (i + 1) + ": what is the weather in " + city + " right now?"));
            messages.add(calls(call(id, "get_weather", city)));
            messages.add(result(id, "{\"city\":\"" + city + "\",\"temperature\":" + (12 + i) + ",\"rain\":0.2}"));
            messages.add(message("assistant", "It is " + (12 + i) + " degrees in " + city + " with a little rain."));
        }
        messages.add(message("user", "And in Paris? Also tell me the time there."));
        messages.add(calls(call("call_p1", "get_weather", "Paris"), call("call_p2", "get_time", "Paris")));
        messages.add(result("call_p2", "{\"time\":\"2026-12-04T16:00:00+01:00\"}"));
        messages.add(result("call_p1", "{\"city\":\"Paris\",\"temperature\":9,\"rain\":0.6}"));
        return messages;
    }

    /** {@code messages} without the first {@code turns} turns of {@code perTurn} messages after the system one. */
    private static ArrayNode dropOldTurns(ArrayNode messages, int turns, int perTurn) {
        ArrayNode kept = JsonNodeFactory.instance.arrayNode();
        for (int i = 0; i < messages.size(); i++) {
            if (i < 1 || i >= 1 + turns * perTurn) {
                kept.add(messages.get(i));
            }
        }
        return kept;
    }

    private static ObjectNode message(String role, String content) {
        ObjectNode message = JsonNodeFactory.instance.objectNode();
        message.put("role", role);
        message.put("content", content);
        return message;
    }

    private static ObjectNode withImages(String role, String text, int images) {
        ObjectNode message = JsonNodeFactory.instance.objectNode();
        message.put("role", role);
        ArrayNode content = message.putArray("content");
        content.addObject().put("type", "text").put("text", text);
        for (int i = 0; i < images; i++) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url", IMAGE_URL);
        }
        return message;
    }

    private static ObjectNode call(String id, String name, String city) {
        ObjectNode call = JsonNodeFactory.instance.objectNode();
        call.put("id", id).put("type", "function");
        call.putObject("function").put("name", name).put("arguments", "{\"city\":\"" + city + "\"}");
        return call;
    }

    private static ObjectNode calls(ObjectNode... calls) {
        ObjectNode message = JsonNodeFactory.instance.objectNode();
        message.put("role", "assistant");
        message.putNull("content");
        ArrayNode array = message.putArray("tool_calls");
        for (ObjectNode call : calls) {
            array.add(call);
        }
        return message;
    }

    private static ObjectNode result(String id, String content) {
        ObjectNode message = message("tool", content);
        message.put("tool_call_id", id);
        return message;
    }

    /**
     * The prompt tokens of a chat without tools as the simulator counts them: its chat template over the text
     * parts (joined by newlines), and {@value #IMAGE} per image.
     */
    private int count(ArrayNode messages) {
        SimTokenizer tokenizer = sim.tokenizer();
        List<SimTokenizer.Message> flat = new ArrayList<>();
        int images = 0;
        for (JsonNode message : messages) {
            JsonNode content = message.get("content");
            StringBuilder text = new StringBuilder();
            if (content.isTextual()) {
                text.append(content.textValue());
            } else {
                for (JsonNode part : content) {
                    if ("text".equals(part.get("type").asText())) {
                        text.append(text.isEmpty() ? "" : "\n")
                                .append(part.get("text").asText());
                    } else {
                        images++;
                    }
                }
            }
            flat.add(new SimTokenizer.Message(message.get("role").asText(), text.toString()));
        }
        return tokenizer.count(tokenizer.renderChat(flat, true, false)) + images * IMAGE;
    }

    /** The prompt tokens of a text chat with tools, from the simulator's own {@code /tokenize}. */
    private int tokenize(ArrayNode messages, JsonNode tools) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("messages", messages);
        if (tools != null) {
            body.set("tools", tools);
        }
        try {
            HttpResponse<String> answer = HTTP.send(
                    HttpRequest.newBuilder(URI.create(sim.baseUri() + "/tokenize"))
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            return Json.parse(answer.body()).get("count").asInt();
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Response chat(
            String model, ArrayNode messages, JsonNode tools, String toolChoice, Integer maxTokens) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("model", model);
        body.set("messages", messages);
        if (tools != null) {
            body.set("tools", tools);
        }
        if (toolChoice != null) {
            body.put("tool_choice", toolChoice);
        }
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
            body.put("ignore_eos", true);
        }
        return given().contentType("application/json").body(body.toString()).post("/v1/chat/completions");
    }

    private static int usage(Response response, String field) {
        return Json.parse(response.asString()).at("/usage/" + field).asInt();
    }
}
