package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tool calls as vLLM with a tool parser returns and streams them. */
@QuarkusTest
class ToolCallsTests extends SimSuite {

    static final String WEATHER_SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
            + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]},"
            + "\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":7}},"
            + "\"required\":[\"city\",\"unit\"],\"additionalProperties\":false}";
    static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"Current weather\",\"parameters\":" + WEATHER_SCHEMA + "}}]";
    static final String ASK = "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]";

    @BeforeEach
    void setUp() {
        sim.settings().timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ZERO);
    }

    private JsonNode complete(String fields) {
        HttpResponse<String> response = client.post("/v1/chat/completions", "{" + ASK + "," + TOOLS + fields + "}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return SimClient.parse(response.body());
    }

    @Test
    void requiredGivesACallWhoseArgumentsValidate() {
        for (int seed = 0; seed < 10; seed++) {
            JsonNode body = complete(",\"tool_choice\":\"required\",\"seed\":" + seed);
            JsonNode choice = body.get("choices").get(0);
            JsonNode message = choice.get("message");

            assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
            assertThat(message.get("content").asText()).isEmpty();
            assertThat(SimClient.fieldNames(message))
                    .containsExactly(
                            "role",
                            "content",
                            "refusal",
                            "annotations",
                            "audio",
                            "function_call",
                            "tool_calls",
                            "reasoning");
            JsonNode call = message.get("tool_calls").get(0);
            assertThat(SimClient.fieldNames(call)).containsExactly("id", "type", "function");
            assertThat(call.get("id").asText()).matches("chatcmpl-tool-[0-9a-f]{16}");
            assertThat(call.get("type").asText()).isEqualTo("function");
            assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
            String arguments = call.at("/function/arguments").asText();
            assertThat(arguments).contains("\": ");
            SchemaInstanceTests.assertValid(WEATHER_SCHEMA, arguments);
        }
    }

    @Test
    void streamsEachCallAsVllmDoesForRequired() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{" + ASK + "," + TOOLS + ",\"tool_choice\":\"required\",\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true}}");
        List<String> events = SimClient.events(response.body());
        assertThat(events.getLast()).isEqualTo("[DONE]");
        JsonNode role = SimClient.parse(events.getFirst()).at("/choices/0/delta");
        assertThat(role.toString()).isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");

        Map<Integer, StringBuilder> args = new LinkedHashMap<>();
        List<JsonNode> firsts = new ArrayList<>();
        String finish = null;
        for (String e : events.subList(1, events.size() - 1)) {
            JsonNode chunk = SimClient.parse(e);
            if (chunk.get("choices").isEmpty()) {
                assertThat(chunk.at("/usage/completion_tokens").asInt()).isPositive();
                continue;
            }
            JsonNode choice = chunk.at("/choices/0");
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
            for (JsonNode call : choice.at("/delta/tool_calls")) {
                int index = call.get("index").asInt();
                if (call.has("id")) {
                    firsts.add(call);
                    assertThat(SimClient.fieldNames(call)).containsExactly("id", "type", "index", "function");
                    assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
                    assertThat(call.at("/function").has("arguments")).isTrue();
                } else {
                    assertThat(call.at("/function/name").isNull()).isTrue();
                }
                args.computeIfAbsent(index, k -> new StringBuilder())
                        .append(call.at("/function/arguments").asText());
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(firsts).isNotEmpty();
        for (StringBuilder a : args.values()) {
            SchemaInstanceTests.assertValid(WEATHER_SCHEMA, a.toString());
        }
    }

    @Test
    void autoStreamsTheNameFirstWithoutArgumentsThenFragments() {
        HttpResponse<String> response =
                client.post("/v1/chat/completions", "{" + ASK + "," + TOOLS + ",\"stream\":true}");
        List<String> events = SimClient.events(response.body());
        JsonNode first = null;
        StringBuilder args = new StringBuilder();
        for (String e : events.subList(1, events.size() - 1)) {
            JsonNode delta = SimClient.parse(e).at("/choices/0/delta");
            for (JsonNode call : delta.path("tool_calls")) {
                if (call.has("id")) {
                    first = call;
                } else {
                    assertThat(SimClient.fieldNames(call)).containsExactly("index", "function");
                    assertThat(SimClient.fieldNames(call.get("function"))).containsExactly("arguments");
                    args.append(call.at("/function/arguments").asText());
                }
            }
        }
        assertThat(first).isNotNull();
        assertThat(first.get("function").toString()).isEqualTo("{\"name\":\"get_weather\"}");
        SchemaInstanceTests.assertValid(WEATHER_SCHEMA, args.toString());
        JsonNode last = SimClient.parse(events.get(events.size() - 2));
        assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(last.at("/choices/0/delta").toString()).isEqualTo("{}");
    }

    @Test
    void autoCallsHaveNullContentAndANamedCallStops() {
        JsonNode auto = complete("");
        assertThat(auto.at("/choices/0/message/content").isNull()).isTrue();
        assertThat(auto.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");

        JsonNode named = complete(",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}");
        assertThat(named.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(named.at("/choices/0/message/tool_calls")).hasSize(1);
        assertThat(named.at("/choices/0/message/content").asText()).isEmpty();
    }

    @Test
    void answersToolResultsInText() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"chatcmpl-tool-1\","
                        + "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
                        + "\"{\\\"city\\\": \\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":"
                        + "\"chatcmpl-tool-1\",\"content\":\"17 C\"}]," + TOOLS + "}");
        JsonNode message = SimClient.parse(response.body()).at("/choices/0/message");

        assertThat(message.get("content").asText()).isNotBlank();
        assertThat(message.has("tool_calls")).isFalse();
    }

    @Test
    void autoCallsFollowTheRateSetting() {
        sim.settings().autoToolCallRate(0);

        JsonNode body = complete("");

        assertThat(body.at("/choices/0/finish_reason").asText()).isNotEqualTo("tool_calls");
        assertThat(body.at("/choices/0/message/content").asText()).isNotBlank();
    }

    @Test
    void parallelCallsComeOnlyWhenAllowed() {
        int seed = seedWithCalls(2);
        JsonNode parallel = complete(",\"tool_choice\":\"required\",\"seed\":" + seed);
        assertThat(parallel.at("/choices/0/message/tool_calls").size()).isGreaterThanOrEqualTo(2);
        List<String> ids = parallel.at("/choices/0/message/tool_calls").findValuesAsText("id");
        assertThat(ids).doesNotHaveDuplicates();

        JsonNode single = complete(",\"tool_choice\":\"required\",\"parallel_tool_calls\":false,\"seed\":" + seed);
        assertThat(single.at("/choices/0/message/tool_calls")).hasSize(1);
    }

    /** A seed for which the simulated model makes at least {@code n} calls of a required choice. */
    private int seedWithCalls(int n) {
        for (int seed = 0; seed < 1000; seed++) {
            JsonNode body = complete(",\"tool_choice\":\"required\",\"seed\":" + seed);
            if (body.at("/choices/0/message/tool_calls").size() >= n) {
                return seed;
            }
        }
        throw new AssertionError("no seed gives " + n + " calls");
    }

    @Test
    void withoutAToolParserAnswersVllmsErrors() {
        sim.settings().toolParser(false);

        JsonNode auto = SimClient.parse(client.post("/v1/chat/completions", "{" + ASK + "," + TOOLS + "}")
                .body());
        assertThat(auto.at("/error/message").asText())
                .isEqualTo("\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set");
        assertThat(auto.at("/error/type").asText()).isEqualTo("BadRequestError");

        JsonNode required = SimClient.parse(
                client.post("/v1/chat/completions", "{" + ASK + "," + TOOLS + ",\"tool_choice\":\"required\"}")
                        .body());
        assertThat(required.at("/error/message").asText())
                .isEqualTo("tool_choice=\"required\" requires --tool-call-parser to be set");
    }

    @Test
    void rejectsInconsistentToolRequestsLikeVllmsRequestModel() {
        HttpResponse<String> noTools =
                client.post("/v1/chat/completions", "{" + ASK + ",\"tool_choice\":\"required\"}");
        assertThat(noTools.statusCode()).isEqualTo(400);
        JsonNode error = SimClient.parse(noTools.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("param").asText()).isEqualTo("tool_choice");
        assertThat(error.get("message").asText())
                .startsWith("1 validation error:\n  {'type': 'value_error', 'loc': ('body',), 'msg': "
                        + "'Value error, When using `tool_choice`, `tools` must be set.', 'input': {");

        JsonNode unknown = SimClient.parse(client.post(
                                "/v1/chat/completions",
                                "{" + ASK + "," + TOOLS
                                        + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}}")
                        .body())
                .get("error");
        assertThat(unknown.get("message").asText())
                .contains("The tool specified in `tool_choice` does not match any of the specified `tools`");

        JsonNode bad = SimClient.parse(
                        client.post("/v1/chat/completions", "{" + ASK + "," + TOOLS + ",\"tool_choice\":\"sometimes\"}")
                                .body())
                .get("error");
        assertThat(bad.get("message").asText()).contains("Invalid value for `tool_choice`: sometimes!");
    }

    @Test
    void countsToolDefinitionsAsPromptTokens() {
        JsonNode without = SimClient.parse(client.post("/v1/chat/completions", "{" + ASK + ",\"max_tokens\":1}")
                .body());
        JsonNode with = complete(",\"max_tokens\":1");

        assertThat(with.at("/usage/prompt_tokens").asInt())
                .isGreaterThan(without.at("/usage/prompt_tokens").asInt() + 20);
    }
}
