package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class FinishReasonsTests {

    private static final String LAST_TOOL_CHUNK = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
            + "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\","
            + "\"stop_reason\":null,\"token_ids\":null}]}\n\n";

    @Test
    void readsTheReasonOfAStreamsLastChunkAsASharedConstant() {
        assertThat(FinishReasons.lastIn(Buffer.buffer(LAST_TOOL_CHUNK))).isSameAs(FinishReasons.TOOL_CALLS);
        assertThat(FinishReasons.lastIn(
                        Buffer.buffer("data: {\"choices\":[{\"text\":\"a\",\"finish_reason\": \"length\"}]}\n\n")))
                .isSameAs(FinishReasons.LENGTH);
    }

    @Test
    void findsNothingInChunksThatEndNothing() {
        assertThat(FinishReasons.lastIn(Buffer.buffer(
                        "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n")))
                .isNull();
        assertThat(FinishReasons.lastIn(Buffer.buffer(
                        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n")))
                .isNull();
        assertThat(FinishReasons.lastIn(Buffer.buffer("data: [DONE]\n\n"))).isNull();
    }

    @Test
    void isNotFooledByTextTheModelWrote() {
        String chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"finish_reason\\\":\\\"stop\\\"\"}}]}\n\n";
        assertThat(FinishReasons.lastIn(Buffer.buffer(chunk))).isNull();
    }

    @Test
    void readsTheLastChoiceOfABodyAndKeepsUnknownReasonsShort() {
        String body = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"x\"},\"finish_reason\":\"stop\"},"
                + "{\"index\":1,\"message\":{\"content\":\"y\"},\"finish_reason\":\"content_filter\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}";
        assertThat(FinishReasons.lastIn(Buffer.buffer(body))).isSameAs(FinishReasons.CONTENT_FILTER);
        String odd = "{\"choices\":[{\"finish_reason\":\"" + "x".repeat(100) + "\"}]}";
        assertThat(FinishReasons.lastIn(Buffer.buffer(odd))).hasSize(FinishReasons.MAX_LENGTH);
    }

    @Test
    void looksOnlyNearTheEnd() {
        String body =
                "{\"choices\":[{\"finish_reason\":\"stop\"}],\"pad\":\"" + "p".repeat(FinishReasons.WINDOW) + "\"}";
        assertThat(FinishReasons.lastIn(Buffer.buffer(body))).isNull();
    }
}
