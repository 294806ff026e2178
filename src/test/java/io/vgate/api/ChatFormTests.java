package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** Responses and Anthropic Messages prompts in the chat form that vLLM renders and counts. */
class ChatFormTests {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static ObjectNode body(String json) throws Exception {
        return (ObjectNode) MAPPER.readTree(json);
    }

    @Test
    void aResponsesStringInputIsOneUserMessageAfterTheInstructions() throws Exception {
        var messages = ChatForm.ofResponses(body("{\"instructions\":\"Be brief.\",\"input\":\"Hi\"}"));

        assertThat(messages)
                .hasToString(
                        "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]");
    }

    @Test
    void responsesItemsBecomeMessagesToolCallsAndToolResults() throws Exception {
        var messages = ChatForm.ofResponses(body("""
                {"input":[
                  {"role":"user","content":[{"type":"input_text","text":"Weather?"},
                                            {"type":"input_image","image_url":"https://x/y.png"}]},
                  {"type":"function_call","call_id":"call_1","name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"},
                  {"type":"function_call_output","call_id":"call_1","output":"rain"},
                  {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Rain.","annotations":[]}]}
                ]}
                """));

        assertThat(messages).hasSize(4);
        assertThat(messages.get(0).toString())
                .isEqualTo("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather?\"},"
                        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]}");
        assertThat(messages.get(1).at("/tool_calls/0/function/name").asText()).isEqualTo("weather");
        assertThat(messages.get(1).at("/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"city\":\"Oslo\"}");
        assertThat(messages.get(2).toString())
                .isEqualTo("{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"rain\"}");
        assertThat(messages.get(3).at("/content/0/text").asText()).isEqualTo("Rain.");
    }

    @Test
    void responsesItemsItCannotRenderLeaveTheCountToVllm() throws Exception {
        assertThat(ChatForm.ofResponses(body("{\"input\":[{\"type\":\"reasoning\",\"summary\":[]}]}")))
                .isNull();
        assertThat(ChatForm.ofResponses(body("{\"input\":42}"))).isNull();
        assertThat(ChatForm.ofResponses(body("{}"))).isNull();
    }

    @Test
    void anAnthropicSystemAndTurnsBecomeChatMessages() throws Exception {
        var messages = ChatForm.ofAnthropic(body("""
                {"system":[{"type":"text","text":"x-anthropic-billing-header: abc"},{"type":"text","text":"Be brief."}],
                 "messages":[
                   {"role":"user","content":"Weather in Oslo?"},
                   {"role":"assistant","content":[{"type":"text","text":"Checking."},
                     {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Oslo"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"rain"},
                     {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]}
                 ]}
                """));

        assertThat(messages).hasSize(5);
        assertThat(messages.get(0).toString()).isEqualTo("{\"role\":\"system\",\"content\":\"Be brief.\"}");
        assertThat(messages.get(1).toString()).isEqualTo("{\"role\":\"user\",\"content\":\"Weather in Oslo?\"}");
        assertThat(messages.get(2).at("/content/0/text").asText()).isEqualTo("Checking.");
        assertThat(messages.get(2).at("/tool_calls/0/function/arguments").asText())
                .isEqualTo("{\"city\":\"Oslo\"}");
        assertThat(messages.get(3).toString())
                .isEqualTo("{\"role\":\"tool\",\"tool_call_id\":\"toolu_1\",\"content\":\"rain\"}");
        assertThat(messages.get(4).at("/content/0/image_url/url").asText()).isEqualTo("data:image/png;base64,iVBO");
    }

    @Test
    void anthropicBlocksItCannotRenderLeaveTheCountToVllm() throws Exception {
        assertThat(ChatForm.ofAnthropic(body(
                        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{}}]}]}")))
                .isNull();
        assertThat(ChatForm.ofAnthropic(body("{\"messages\":\"hi\"}"))).isNull();
    }
}
