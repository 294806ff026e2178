package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client libraries people actually use, pointed at vgate: OpenAI's official Java SDK and
 * LangChain4j's OpenAI module, each completing a chat and streaming one.
 */
@QuarkusTest
class ClientLibrariesTests {

    private static final String KEY = "sk-test-unused";

    @TestHTTPResource("/v1")
    URI v1;

    private String model;

    @BeforeEach
    void findModel() {
        model = RestAssured.get("/v1/models").jsonPath().getString("data[0].id");
    }

    /**
     * What vLLM answers to one user message, read straight off the wire: the simulator's text depends only on
     * the prompt and the limit, so a library must hand back exactly this.
     */
    private String expectedText(String prompt, int maxTokens) {
        return RestAssured.given()
                .contentType("application/json")
                .body(Map.of(
                        "model",
                        model,
                        "messages",
                        List.of(Map.of("role", "user", "content", prompt)),
                        "max_tokens",
                        maxTokens))
                .post("/v1/chat/completions")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getString("choices[0].message.content");
    }

    @Test
    void openAiJavaCompletesAChat() {
        OpenAIClient client =
                OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey(KEY).build();

        ChatCompletion completion = client.chat()
                .completions()
                .create(ChatCompletionCreateParams.builder()
                        .model(model)
                        .addUserMessage("Say something short.")
                        .maxCompletionTokens(8)
                        .build());

        assertThat(completion.model()).isEqualTo(model);
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().getFirst().message().content())
                .get()
                .asString()
                .isNotBlank()
                .isEqualTo(expectedText("Say something short.", 8));
        assertThat(completion.usage())
                .get()
                .satisfies(usage -> assertThat(usage.completionTokens()).isBetween(1L, 8L));
    }

    @Test
    void openAiJavaStreamsAChat() {
        OpenAIClient client =
                OpenAIOkHttpClient.builder().baseUrl(v1.toString()).apiKey(KEY).build();
        var params = ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Stream a few words.")
                .maxCompletionTokens(10)
                .build();

        StringBuilder text = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        int chunks;
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(params)) {
            List<ChatCompletionChunk> all = stream.stream().toList();
            chunks = all.size();
            for (ChatCompletionChunk chunk : all) {
                chunk.choices().forEach(choice -> {
                    choice.delta().content().ifPresent(text::append);
                    choice.finishReason().ifPresent(reason -> finishReasons.add(reason.asString()));
                });
            }
        }

        assertThat(chunks).isGreaterThan(2);
        assertThat(text.toString()).isNotBlank().isEqualTo(expectedText("Stream a few words.", 10));
        assertThat(finishReasons).hasSize(1).first().isIn("stop", "length");
    }

    @Test
    void langChain4jCompletesAChat() {
        var chatModel = OpenAiChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey(KEY)
                .modelName(model)
                .maxTokens(8)
                .timeout(Duration.ofSeconds(30))
                .build();

        String answer = chatModel.chat("Say something short.");

        assertThat(answer).isNotBlank().isEqualTo(expectedText("Say something short.", 8));
    }

    @Test
    void langChain4jStreamsAChat() throws Exception {
        var streamingModel = OpenAiStreamingChatModel.builder()
                .baseUrl(v1.toString())
                .apiKey(KEY)
                .modelName(model)
                .maxTokens(10)
                .timeout(Duration.ofSeconds(30))
                .build();
        List<String> partials = new ArrayList<>();
        var done = new CompletableFuture<ChatResponse>();

        streamingModel.chat("Stream a few words.", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                partials.add(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });

        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertThat(partials).hasSizeGreaterThan(1);
        assertThat(String.join("", partials)).isEqualTo(response.aiMessage().text());
        assertThat(response.aiMessage().text()).isEqualTo(expectedText("Stream a few words.", 10));
        assertThat(response.tokenUsage().outputTokenCount()).isBetween(1, 10);
    }
}
