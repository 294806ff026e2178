package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class UsageReaderTests {

    @Test
    void readsUsageOfANonStreamingChatBody() {
        var body = Buffer.buffer("""
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"usage: {\\"prompt_tokens\\": 99}"},
                 "logprobs":null,"finish_reason":"stop","stop_reason":null}],
                 "service_tier":null,"system_fingerprint":null,
                 "usage":{"prompt_tokens":12,"total_tokens":19,"completion_tokens":7,"prompt_tokens_details":null},
                 "prompt_logprobs":null,"kv_transfer_params":null}
                """);

        assertThat(UsageReader.read(body)).isEqualTo(new UsageReader.Usage(12, 7, false));
    }

    @Test
    void readsTheModelAndUsageOfAWholeAnswerInOnePass() {
        var body = Buffer.buffer(
                "{\"id\":\"c\",\"model\":\"served\",\"choices\":[{\"message\":"
                        + "{\"content\":\"\\\"model\\\": \\\"no\\\"\"}}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}");

        assertThat(UsageReader.readAnswer(body))
                .isEqualTo(new UsageReader.Answer("served", new UsageReader.Usage(3, 2, false)));
        assertThat(UsageReader.readAnswer(Buffer.buffer("{\"model\":\"m\",\"choices\":[]}")))
                .isEqualTo(new UsageReader.Answer("m", null));
        assertThat(UsageReader.readAnswer(Buffer.buffer("{\"model\":\"m\",\"usage\":{\"prompt_tokens\":")))
                .as("cut short: the model read before stands")
                .isEqualTo(new UsageReader.Answer("m", null));
    }

    @Test
    void readsOnlyTheBytesOfASliceOfALargerBuffer() {
        String first = "{\"usage\":{\"prompt_tokens\":1}}";
        String second = "{\"model\":\"m\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":5}}";
        var whole = Buffer.buffer(first + second + "trailing");
        var slice = whole.slice(first.length(), first.length() + second.length());

        assertThat(UsageReader.readAnswer(slice))
                .isEqualTo(new UsageReader.Answer("m", new UsageReader.Usage(4, 5, false)));
        assertThat(UsageReader.read(slice)).isEqualTo(new UsageReader.Usage(4, 5, false));
    }

    @Test
    void recognisesTheUsageOnlyStreamChunk() {
        var chunk = Buffer.buffer("{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"total_tokens\":21,"
                + "\"completion_tokens\":16}}");

        assertThat(UsageReader.read(chunk)).isEqualTo(new UsageReader.Usage(5, 16, true));
    }

    @Test
    void readsContinuousUsageOnAChunkWithChoices() {
        var chunk = Buffer.buffer("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],"
                + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}");

        assertThat(UsageReader.read(chunk)).isEqualTo(new UsageReader.Usage(5, 1, false));
    }

    @Test
    void returnsNullForMissingNullOrBrokenUsage() {
        assertThat(UsageReader.read(Buffer.buffer("{\"choices\":[],\"usage\":null}")))
                .isNull();
        assertThat(UsageReader.read(Buffer.buffer("{\"choices\":[]}"))).isNull();
        assertThat(UsageReader.read(Buffer.buffer("{\"usage\":{\"prompt_tokens\":")))
                .isNull();
        assertThat(UsageReader.read(Buffer.buffer("[1,2]"))).isNull();
    }

    @Test
    void findsUsageInTheTailOfALargeEmbeddingsBody() {
        var tail = Buffer.buffer("0.125,-0.5]}],\"usage\":{\"prompt_tokens\":640,\"total_tokens\":640,"
                + "\"completion_tokens\":0,\"prompt_tokens_details\":null}}");

        assertThat(UsageReader.readTail(tail)).isEqualTo(new UsageReader.Usage(640, 0, false));
        assertThat(UsageReader.readTail(Buffer.buffer("0.1,0.2,0.3]}]"))).isNull();
    }

    @Test
    void readsTheInputAndOutputTokensOfAResponsesBody() {
        var body = Buffer.buffer("{\"id\":\"resp_1\",\"model\":\"m\",\"output\":[],\"usage\":{\"input_tokens\":12,"
                + "\"input_tokens_details\":{\"cached_tokens\":0,\"input_tokens_per_turn\":[12]},\"output_tokens\":7,"
                + "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":19},\"user\":null}");

        assertThat(UsageReader.read(body)).isEqualTo(new UsageReader.Usage(12, 7, false));
        assertThat(UsageReader.model(body)).isEqualTo("m");
    }

    @Test
    void readsAnAnthropicMessageBodyCountingCacheReadsAndWritesAsPrompt() {
        var plain = Buffer.buffer("{\"id\":\"chatcmpl-1\",\"type\":\"message\",\"content\":[{\"type\":\"text\","
                + "\"text\":\"Hi\"}],\"model\":\"m\",\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":12,"
                + "\"output_tokens\":7}}");
        var cached = Buffer.buffer("{\"usage\":{\"input_tokens\":2,\"cache_creation_input_tokens\":4,"
                + "\"cache_read_input_tokens\":6,\"output_tokens\":7}}");

        assertThat(UsageReader.read(plain)).isEqualTo(new UsageReader.Usage(12, 7, false));
        assertThat(UsageReader.read(cached)).isEqualTo(new UsageReader.Usage(12, 7, false));
    }
}
