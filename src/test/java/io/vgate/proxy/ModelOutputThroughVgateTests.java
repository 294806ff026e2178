package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.ReasoningEffort;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The model's whole output through vgate on the simulator's defaults, as agent and extraction code sees it: tool calls
 * with schema-valid arguments (streamed and not), a LangChain4j tool round trip, JSON-schema answers mapped to a
 * record, and reasoning streamed before the answer by OpenAI's Java SDK.
 */
@QuarkusTest
class ModelOutputThroughVgateTests {

    private static final String KEY = "sk-test-unused";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String WEATHER_SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
            + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]},"
            + "\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":7}},"
            + "\"required\":[\"city\",\"unit\"],\"additionalProperties\":false}";
    private static final String TOOL_REQUEST = "\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
            + WEATHER_SCHEMA + "}}],\"tool_choice\":\"required\"";

    @TestHTTPResource("/v1")
    URI v1;

    private String model;

    @BeforeEach
    void findModel() {
        model = RestAssured.get("/v1/models").jsonPath().getString("data[0].id");
    }

    private static void assertValid(String schema, String instance) throws Exception {
        var validator =
                JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(MAPPER.readTree(schema));
        assertThat(validator.validate(MAPPER.readTree(instance))).as(instance).isEmpty();
    }

    private HttpResponse<String> post(String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(v1 + "/chat/completions"))
                        .header("content-type", "application/json")
                        .header("authorization", "Bearer " + KEY)
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requiredToolChoiceGivesAValidCall() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"" + model + "\"," + TOOL_REQUEST + "}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode choice = MAPPER.readTree(response.body()).at("/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
        JsonNode call = choice.at("/message/tool_calls/0");
        assertThat(call.at("/function/name").asText()).isEqualTo("get_weather");
        assertValid(WEATHER_SCHEMA, call.at("/function/arguments").asText());
    }

    @Test
    void requiredToolChoiceStreamsAValidCallWithUsageAfterIt() throws Exception {
        HttpResponse<String> response = post("{\"model\":\"" + model + "\"," + TOOL_REQUEST
                + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

        assertThat(response.statusCode()).isEqualTo(200);
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String line : response.body().split("\n")) {
            if (!line.startsWith("data: {")) {
                continue;
            }
            JsonNode chunk = MAPPER.readTree(line.substring(6));
            if (chunk.has("usage")
                    && !chunk.get("usage").isNull()
                    && chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
            }
            for (JsonNode choice : chunk.get("choices")) {
                for (JsonNode call : choice.at("/delta").path("tool_calls")) {
                    arguments.append(call.at("/function/arguments").asText(""));
                }
                if (!choice.get("finish_reason").isNull()) {
                    finish = choice.get("finish_reason").asText();
                }
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        assertValid(WEATHER_SCHEMA, arguments.toString());
        assertThat(usage).isNotNull();
        assertThat(usage.get("completion_tokens").asInt()).isPositive();
        assertThat(response.body()).endsWith("data: [DONE]\n\n");
    }

    @Test
    void jsonSchemaAndJsonObjectAnswersParseAndValidate() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"name\",\"age\"],"
                + "\"additionalProperties\":false}";
        HttpResponse<String> structured = post("{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Who?\"}],\"response_format\":{\"type\":"
                + "\"json_schema\",\"json_schema\":{\"name\":\"person\",\"strict\":true,\"schema\":" + schema + "}}}");
        assertValid(
                schema,
                MAPPER.readTree(structured.body())
                        .at("/choices/0/message/content")
                        .asText());

        HttpResponse<String> object = post("{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Anything\"}],"
                + "\"response_format\":{\"type\":\"json_object\"}}");
        String content =
                MAPPER.readTree(object.body()).at("/choices/0/message/content").asText();
        assertThat(MAPPER.readTree(content).isObject()).isTrue();
    }

    /** The tools an agent offers; records what the model asked for. */
    public static final class WeatherTools {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool("Current weather in a city")
        public String getWeather(@P("the city") String city) {
            cities.add(city);
            return "17 C and light rain in " + city;
        }
    }

    interface Assistant {
        String chat(String message);
    }

    @Test
    void langChain4jAiServiceCompletesAToolRoundTrip() {
        var chatModel = OpenAiChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey(KEY)
                .modelName(model)
                .maxTokens(300)
                .timeout(Duration.ofSeconds(30))
                .build();
        WeatherTools tools = new WeatherTools();
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(chatModel)
                .tools(tools)
                .build();

        String answer = assistant.chat("What is the weather in Paris?");

        assertThat(tools.cities).hasSizeGreaterThanOrEqualTo(1);
        assertThat(tools.cities).allSatisfy(city -> assertThat(city).isNotBlank());
        assertThat(answer).isNotBlank();
    }

    /** What an extraction service returns. */
    public record Person(String name, int age, boolean member) {}

    interface Extractor {
        Person extract(String text);
    }

    @Test
    void langChain4jJsonSchemaResponseMapsToARecord() {
        var chatModel = OpenAiChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey(KEY)
                .modelName(model)
                .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA)
                .strictJsonSchema(true)
                .maxTokens(300)
                .timeout(Duration.ofSeconds(30))
                .logRequests(false)
                .build();
        Extractor extractor = AiServices.create(Extractor.class, chatModel);

        Person person = extractor.extract("Ada, 36, is a member.");

        assertThat(person).isNotNull();
        assertThat(person.name()).isNotBlank();
        assertThat(person.age()).isBetween(0, 100);
    }

    @Test
    void openAiJavaStreamsReasoningThenTheAnswer() {
        OpenAIClient client =
                OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey(KEY).build();
        var params = ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("What is 17 times 23?")
                .reasoningEffort(ReasoningEffort.LOW)
                .putAdditionalBodyProperty("chat_template_kwargs", JsonValue.from(Map.of("enable_thinking", true)))
                .maxCompletionTokens(200)
                .build();
        List<String> order = new ArrayList<>();
        StringBuilder reasoning = new StringBuilder();
        StringBuilder answer = new StringBuilder();

        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(params)) {
            stream.stream()
                    .forEach(chunk -> chunk.choices().forEach(choice -> {
                        JsonValue r = choice.delta()._additionalProperties().get("reasoning");
                        if (r != null && r.asString().isPresent()) {
                            reasoning.append(r.asString().get());
                            order.add("reasoning");
                        }
                        choice.delta().content().filter(c -> !c.isEmpty()).ifPresent(c -> {
                            answer.append(c);
                            order.add("content");
                        });
                    }));
        }

        assertThat(reasoning.toString()).isNotBlank();
        assertThat(answer.toString()).isNotBlank();
        assertThat(order.indexOf("content")).isGreaterThan(order.lastIndexOf("reasoning"));
    }
}
