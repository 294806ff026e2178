package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@QuarkusTest
class ErrorsTests extends SimSuite {

    private static final String HI = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    @Test
    void rejectsAnUnknownModelWith404() {
        JsonNode error = expectError(client.post("/v1/chat/completions", "{\"model\":\"foo\"," + HI + "}"), 404);

        assertThat(error.get("message").asText()).isEqualTo("The model `foo` does not exist.");
        assertThat(error.get("type").asText()).isEqualTo("NotFoundError");
        assertThat(error.get("param").asText()).isEqualTo("model");
    }

    @Test
    void checksTheModelBeforeStreamOptionsAndContextLength() {
        String huge = "word ".repeat(10_000);

        JsonNode error = expectError(
                client.post(
                        "/v1/chat/completions",
                        "{\"model\":\"foo\",\"messages\":[{\"role\":" + "\"user\",\"content\":\"" + huge
                                + "\"}],\"stream_options\":{\"include_usage\":true}}"),
                404);

        assertThat(error.get("type").asText()).isEqualTo("NotFoundError");
    }

    @Test
    void rejectsStreamOptionsWithoutStreaming() {
        JsonNode error = expectError(
                client.post("/v1/chat/completions", "{" + HI + ",\"stream_options\":{\"include_usage\":true}}"), 400);

        assertThat(error.get("message").asText()).startsWith("Stream options can only be defined when `stream=True`.");
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("param").asText()).isEqualTo("stream_options");
    }

    @Test
    void checksStreamOptionsBeforeContextLength() {
        sim.settings().maxModelLen(32);

        JsonNode error = expectError(
                client.post(
                        "/v1/completions",
                        "{\"prompt\":\"" + "word ".repeat(100) + "\",\"stream_options\":{\"include_usage\":true}}"),
                400);

        assertThat(error.get("param").asText()).isEqualTo("stream_options");
    }

    @Test
    void rejectsAPromptAtTheContextLengthAndAcceptsOneBelow() {
        sim.settings().maxModelLen(100);
        String fits = promptOfTokens(99);
        String atLimit = promptOfTokens(100);

        JsonNode ok = client.postJson("/v1/completions", "{\"prompt\":\"" + fits + "\",\"max_tokens\":1}");
        JsonNode error =
                expectError(client.post("/v1/completions", "{\"prompt\":\"" + atLimit + "\",\"max_tokens\":1}"), 400);

        assertThat(ok.at("/usage/prompt_tokens").asInt()).isEqualTo(99);
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("param").asText()).isEqualTo("input_tokens");
        assertThat(error.get("message").asText())
                .startsWith("This model's maximum context length is 100 tokens. "
                        + "However, you requested 1 output tokens and your prompt contains at least 100 input tokens, "
                        + "for a total of at least 101 tokens.");
    }

    @Test
    void rejectsAPromptPlusMaxTokensOneOverTheContextLength() {
        sim.settings().maxModelLen(100);
        String prompt = promptOfTokens(90);

        JsonNode ok = client.postJson("/v1/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":10}");
        JsonNode error =
                expectError(client.post("/v1/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":11}"), 400);

        assertThat(ok.at("/usage/completion_tokens").asInt()).isEqualTo(10);
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("param").asText()).isEqualTo("max_tokens");
        assertThat(error.get("message").asText())
                .contains("maximum context length is 100 tokens")
                .contains("you requested 11 output tokens");
    }

    @Test
    void rejectsMaxTokensBeyondTheContextLength() {
        JsonNode error =
                expectError(client.post("/v1/chat/completions", "{" + HI + ",\"max_completion_tokens\":5000}"), 400);

        assertThat(error.get("param").asText()).isEqualTo("max_completion_tokens");
        assertThat(error.get("message").asText())
                .isEqualTo("max_completion_tokens=5000 cannot be greater than "
                        + "max_model_len=max_total_tokens=4096. Please request fewer output tokens. "
                        + "(parameter=max_completion_tokens, value=5000)");
    }

    @Test
    void rejectsAChatPromptAtTheContextLengthWithoutMaxTokens() {
        sim.settings().maxModelLen(32);

        JsonNode error = expectError(
                client.post(
                        "/v1/chat/completions",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(40) + "\"}]}"),
                400);

        assertThat(error.get("param").asText()).isEqualTo("input_tokens");
        assertThat(error.get("message").asText()).contains("you requested 0 output tokens");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"max_tokens\":0           | max_tokens must be at least 1, got 0.               | max_tokens",
                "\"max_completion_tokens\":0| max_tokens must be at least 1, got 0.               | max_tokens",
                "\"n\":0                    | n must be at least 1, got 0.                        | ",
                "\"temperature\":-1         | temperature must be non-negative, got -1.0.         | temperature",
                "\"top_p\":0                | top_p must be in (0, 1], got 0.0.                   | top_p",
                "\"top_p\":1.5              | top_p must be in (0, 1], got 1.5.                   | top_p",
                "\"tools\":[]               | `tools` must not be an empty array.                 | tools",
                "\"stop\":[\"\"]              | stop cannot contain an empty string.                | "
            })
    void rejectsBadSamplingParameters(String field, String message, String param) {
        JsonNode error = expectError(client.post("/v1/chat/completions", "{" + HI + "," + field + "}"), 400);

        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("message").asText()).startsWith(message);
        if (param == null) {
            assertThat(error.get("param").isNull()).isTrue();
        } else {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
    }

    @Test
    void rejectsSuffixOnCompletions() {
        JsonNode error = expectError(client.post("/v1/completions", "{\"prompt\":\"Hi\",\"suffix\":\"end\"}"), 400);

        assertThat(error.get("message").asText()).isEqualTo("suffix is not currently supported");
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
    }

    @Test
    void rejectsAnEmptyPrompt() {
        JsonNode error = expectError(client.post("/v1/completions", "{\"prompt\":\"\"}"), 400);

        assertThat(error.get("message").asText())
                .startsWith("Either prompt or prompt_embeds must be provided and non-empty.");
        assertThat(error.get("param").asText()).isEqualTo("prompt");
    }

    @Test
    void reportsMalformedJsonLikeFastApi() {
        JsonNode error = expectError(client.post("/v1/chat/completions", "{\"messages\": [}"), 400);

        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("message").asText())
                .startsWith("1 validation error:\n  {'type': 'json_invalid', "
                        + "'loc': ('body', 14), 'msg': 'JSON decode error', 'input': {}, 'ctx': {'error': ");
        assertThat(error.get("param").asText()).isEqualTo("body.14");
    }

    @Test
    void reportsAMissingMessagesField() {
        JsonNode error = expectError(client.post("/v1/chat/completions", "{\"model\":\"vgate-sim-llama-3-8b\"}"), 400);

        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("message").asText())
                .isEqualTo("1 validation error:\n  {'type': 'missing', 'loc': "
                        + "('body', 'messages'), 'msg': 'Field required', 'input': {'model': 'vgate-sim-llama-3-8b'}}");
        assertThat(error.get("param").asText()).isEqualTo("body.messages");
    }

    @Test
    void reportsAMissingPrompt() {
        JsonNode error = expectError(client.post("/v1/completions", "{\"max_tokens\":3}"), 400);

        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("param").asText()).isEqualTo("body.prompt");
    }

    @Test
    void reportsEveryWrongTypeInOneError() {
        JsonNode error = expectError(
                client.post("/v1/chat/completions", "{" + HI + ",\"max_tokens\":\"many\",\"stream\":\"perhaps\"}"),
                400);

        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("message").asText())
                .isEqualTo("2 validation errors:\n"
                        + "  {'type': 'int_parsing', 'loc': ('body', 'max_tokens'), 'msg': 'Input should be a valid integer, "
                        + "unable to parse string as an integer', 'input': 'many'}\n"
                        + "  {'type': 'bool_parsing', 'loc': ('body', 'stream'), 'msg': 'Input should be a valid boolean, "
                        + "unable to interpret input', 'input': 'perhaps'}");
        assertThat(error.get("param").asText()).isEqualTo("body.max_tokens");
    }

    @Test
    void acceptsLaxTypesLikePydantic() {
        HttpResponse<String> response =
                client.post("/v1/chat/completions", "{" + HI + ",\"max_tokens\":\"2\",\"n\":1.0,\"stream\":\"false\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(SimClient.parse(response.body())
                        .at("/usage/completion_tokens")
                        .asInt())
                .isEqualTo(2);
    }

    @Test
    void rejectsANonJsonContentType() {
        JsonNode error =
                expectError(client.post("/v1/chat/completions", "{" + HI + "}", "content-type", "text/plain"), 400);

        assertThat(error.get("type").asText()).isEqualTo("Bad Request");
        assertThat(error.get("message").asText())
                .contains("Unsupported Media Type: Only 'application/json' is allowed");
    }

    @Test
    void acceptsJsonWithACharset() {
        HttpResponse<String> response = client.post(
                "/v1/chat/completions",
                "{" + HI + ",\"max_tokens\":1}",
                "content-type",
                "application/json; charset=utf-8");

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void answersUnknownRoutesAndMethodsLikeFastApi() {
        HttpResponse<String> notFound = client.get("/v1/nothing-here");
        HttpResponse<String> wrongMethod = client.get("/v1/chat/completions");

        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(notFound.body()).isEqualTo("{\"detail\":\"Not Found\"}");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.body()).isEqualTo("{\"detail\":\"Method Not Allowed\"}");
    }

    @Test
    void rejectsEmbeddingInputLongerThanTheContextLength() {
        sim.settings().maxModelLen(16);

        JsonNode error = expectError(client.post("/v1/embeddings", "{\"input\":\"" + "word ".repeat(40) + "\"}"), 400);

        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("message").asText())
                .startsWith("This model's maximum context length is 16 tokens. " + "However, you requested")
                .endsWith("tokens in the input for embedding generation. " + "Please reduce the length of the input.");
    }

    @Test
    void keepsTheRealStatusForErrorsOfStreamingRequests() {
        HttpResponse<String> response =
                client.post("/v1/chat/completions", "{" + HI + ",\"stream\":true,\"max_tokens\":0}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    }

    private JsonNode expectError(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = SimClient.parse(response.body());
        assertThat(SimClient.fieldNames(body)).containsExactly("error");
        assertThat(SimClient.fieldNames(body.get("error"))).containsExactly("message", "type", "param", "code");
        assertThat(body.at("/error/code").asInt()).isEqualTo(status);
        return body.get("error");
    }

    /** A completion prompt of exactly {@code tokens} tokens, BOS included. */
    private String promptOfTokens(int tokens) {
        String prompt = " go".repeat(tokens - 1);
        assertThat(sim.tokenizer().encode(prompt, true)).hasSize(tokens);
        return prompt;
    }
}
