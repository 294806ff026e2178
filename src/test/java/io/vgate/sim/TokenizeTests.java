package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TokenizeTests extends SimSuite {

    private static final String MESSAGES = "\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
            + "{\"role\":\"user\",\"content\":\"What is the capital of France, in one word?\"}]";

    @Test
    void countsAPromptLikeCompletionUsage() {
        String prompt = "The quick brown fox jumps over the lazy dog, twice.";

        JsonNode tokenized = client.postJson("/tokenize", "{\"prompt\":\"" + prompt + "\"}");
        JsonNode completion = client.postJson("/v1/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":1}");

        assertThat(SimClient.fieldNames(tokenized)).containsExactly("count", "max_model_len", "tokens", "token_strs");
        assertThat(tokenized.get("count").asInt())
                .isEqualTo(completion.at("/usage/prompt_tokens").asInt())
                .isEqualTo(tokenized.get("tokens").size());
        assertThat(tokenized.get("max_model_len").asInt()).isEqualTo(4096);
        assertThat(tokenized.get("token_strs").isNull()).isTrue();
    }

    @Test
    void countsMessagesLikeChatUsage() {
        JsonNode tokenized = client.postJson("/tokenize", "{" + MESSAGES + "}");
        JsonNode chat = client.postJson("/v1/chat/completions", "{" + MESSAGES + ",\"max_tokens\":1}");

        assertThat(tokenized.get("count").asInt())
                .isEqualTo(chat.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void honoursAddGenerationPrompt() {
        int with =
                client.postJson("/tokenize", "{" + MESSAGES + "}").get("count").asInt();
        int without = client.postJson("/tokenize", "{" + MESSAGES + ",\"add_generation_prompt\":false}")
                .get("count")
                .asInt();

        assertThat(with - without).isEqualTo(sim.tokenizer().count("<|im_start|>assistant\n"));
    }

    @Test
    void returnsTokenStringsOnRequest() {
        JsonNode tokenized = client.postJson(
                "/tokenize", "{\"prompt\":\"Hello world\",\"return_token_strs\":true,\"add_special_tokens\":false}");

        assertThat(tokenized.get("token_strs")).extracting(JsonNode::asText).containsExactly("Hello", " world");
    }

    @Test
    void detokenizesGeneratedText() {
        JsonNode completion =
                client.postJson("/v1/completions", "{\"prompt\":\"Go on\",\"max_tokens\":30,\"ignore_eos\":true}");
        String text = completion.at("/choices/0/text").asText();
        JsonNode tokens = client.postJson(
                        "/tokenize",
                        "{\"prompt\":" + SimClient.MAPPER.valueToTree(text) + ",\"add_special_tokens\":false}")
                .get("tokens");

        JsonNode detokenized = client.postJson("/detokenize", "{\"tokens\":" + tokens + "}");

        assertThat(tokens).hasSize(30);
        assertThat(detokenized.get("prompt").asText()).isEqualTo(text);
    }

    @Test
    void rejectsUnknownTokenIds() {
        var response = client.post("/detokenize", "{\"tokens\":[1,-7]}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(SimClient.parse(response.body()).at("/error/param").asText()).isEqualTo("tokens");
    }

    @Test
    void checksTheModelName() {
        var response = client.post("/tokenize", "{\"model\":\"other\",\"prompt\":\"Hi\"}");

        assertThat(response.statusCode()).isEqualTo(404);
    }
}
