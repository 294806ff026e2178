package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The readers of the Responses and Anthropic Messages streams, fed the bytes vLLM writes (vllm-api-more.md §1.5,
 * §2.4) through the relay's framer: every byte comes out in exactly one event whatever the chunking, and each
 * reader finds the first output delta, the end event and the usage.
 */
class NamedEventStreamTests {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static final String RESPONSES = """
            event: response.created
            data: {"response":{"id":"resp_1","created_at":1760000000,"model":"my-model","object":"response","output":[],"status":"in_progress","usage":null},"sequence_number":0,"type":"response.created"}

            event: response.in_progress
            data: {"response":{"id":"resp_1","model":"my-model","status":"in_progress","usage":null},"sequence_number":1,"type":"response.in_progress"}

            event: response.output_item.added
            data: {"item":{"id":"0b1c","content":[],"role":"assistant","status":"in_progress","type":"message"},"output_index":0,"sequence_number":2,"type":"response.output_item.added"}

            event: response.content_part.added
            data: {"content_index":0,"item_id":"0b1c","output_index":0,"part":{"annotations":[],"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"response.content_part.added"}

            event: response.output_text.delta
            data: {"content_index":0,"delta":"Grüße 👋","item_id":"0b1c","logprobs":[],"output_index":0,"sequence_number":4,"type":"response.output_text.delta"}

            event: response.output_text.delta
            data: {"content_index":0,"delta":" \\"sequence_number\\":99 ünïcödé","item_id":"0b1c","logprobs":[],"output_index":0,"sequence_number":5,"type":"response.output_text.delta"}

            event: response.output_text.done
            data: {"content_index":0,"item_id":"0b1c","logprobs":[],"output_index":0,"sequence_number":6,"text":"Grüße 👋 ünïcödé","type":"response.output_text.done"}

            event: response.completed
            data: {"response":{"id":"resp_1","model":"my-model","status":"completed","usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":0,"input_tokens_per_turn":[12]},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":19}},"sequence_number":7,"type":"response.completed"}

            """;

    static final String MESSAGES = """
            event: message_start
            data: {"type":"message_start","message":{"id":"chatcmpl-3f2a","type":"message","role":"assistant","content":[],"model":"my-model","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":0}}}

            event: content_block_start
            data: {"type":"content_block_start","content_block":{"type":"text","text":""},"index":0}

            event: content_block_delta
            data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Grüße 👋"},"index":0}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":12,"output_tokens":3}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    /** What the relay sees of one stream. */
    record Seen(List<String> events, List<NamedEventStream.Kind> kinds, List<UsageReader.Usage> usage) {}

    static Seen read(NamedEventStream stream, byte[] bytes, int[] sizes) {
        List<String> events = new ArrayList<>();
        List<NamedEventStream.Kind> kinds = new ArrayList<>();
        List<UsageReader.Usage> usage = new ArrayList<>();
        var framer = new SseFramer(event -> {
            kinds.add(stream.see(event));
            UsageReader.Usage taken = stream.takeUsage();
            if (taken != null) {
                usage.add(taken);
            }
            events.add(event.toString(StandardCharsets.UTF_8));
        });
        int at = 0;
        for (int i = 0; at < bytes.length; i++) {
            int size = Math.min(sizes[i % sizes.length], bytes.length - at);
            framer.feed(Buffer.buffer().appendBytes(bytes, at, size));
            at += size;
        }
        return new Seen(events, kinds, usage);
    }

    @Test
    void readsAResponsesStream() {
        var stream = new ResponsesStream();
        Seen seen = read(stream, RESPONSES.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(seen.events()).hasSize(8);
        assertThat(seen.kinds().indexOf(NamedEventStream.Kind.OUTPUT)).isEqualTo(4);
        assertThat(seen.kinds().getLast()).isEqualTo(NamedEventStream.Kind.END);
        assertThat(seen.kinds().subList(0, 7)).doesNotContain(NamedEventStream.Kind.END);
        assertThat(stream.ended()).isTrue();
        assertThat(seen.usage()).containsExactly(new UsageReader.Usage(12, 7, false));
    }

    @Test
    void readsAnAnthropicMessagesStream() {
        var stream = new MessagesStream();
        Seen seen = read(stream, MESSAGES.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(seen.kinds())
                .containsExactly(
                        NamedEventStream.Kind.OTHER,
                        NamedEventStream.Kind.OTHER,
                        NamedEventStream.Kind.OUTPUT,
                        NamedEventStream.Kind.OTHER,
                        NamedEventStream.Kind.OTHER,
                        NamedEventStream.Kind.END);
        assertThat(stream.ended()).isTrue();
        assertThat(seen.usage()).containsExactly(new UsageReader.Usage(12, 3, false));
        assertThat(stream.leftoverUsage()).isNull();
    }

    @Test
    void takesTheInputTokensFromMessageStartWhenMessageDeltaHasOnlyTheOutput() {
        String anthropic = MESSAGES.replace(
                "\"usage\":{\"input_tokens\":12,\"output_tokens\":3}", "\"usage\":{\"output_tokens\":3}");
        var stream = new MessagesStream();

        Seen seen = read(stream, anthropic.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(seen.usage()).containsExactly(new UsageReader.Usage(12, 3, false));
    }

    @Test
    void countsAnthropicCacheReadsAndWritesAsPromptTokens() {
        String cached = MESSAGES.replace(
                "\"usage\":{\"input_tokens\":12,\"output_tokens\":3}",
                "\"usage\":{\"input_tokens\":2,\"cache_creation_input_tokens\":4,\"cache_read_input_tokens\":6,"
                        + "\"output_tokens\":3}");

        Seen seen = read(new MessagesStream(), cached.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(seen.usage()).containsExactly(new UsageReader.Usage(12, 3, false));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 2024})
    void anyChunkingYieldsTheSameEventsAndBytes(long seed) {
        for (String text : List.of(RESPONSES, MESSAGES)) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            int[] sizes = new Random(seed).ints(bytes.length, 1, 9).toArray();
            NamedEventStream whole = text == RESPONSES ? new ResponsesStream() : new MessagesStream();
            NamedEventStream split = text == RESPONSES ? new ResponsesStream() : new MessagesStream();

            Seen once = read(whole, bytes, new int[] {Integer.MAX_VALUE});
            Seen chunked = read(split, bytes, sizes);

            assertThat(chunked).isEqualTo(once);
            assertThat(String.join("", chunked.events())).isEqualTo(text);
        }
    }

    @Test
    void splitsByteByByteThroughMultiByteCharacters() {
        byte[] bytes = RESPONSES.getBytes(StandardCharsets.UTF_8);

        Seen seen = read(new ResponsesStream(), bytes, new int[] {1});

        assertThat(seen.events().get(4)).contains("Grüße 👋");
        assertThat(String.join("", seen.events()).getBytes(StandardCharsets.UTF_8))
                .isEqualTo(bytes);
    }

    @Test
    void aResponsesStreamCutShortHasNotEndedAndItsErrorEventTakesTheNextSequenceNumber() throws Exception {
        String cut = RESPONSES.substring(0, RESPONSES.indexOf("event: response.output_text.done"));
        var stream = new ResponsesStream();
        read(stream, cut.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        String error = stream.errorEvent(ApiError.upstreamEndedEarly()).toString(StandardCharsets.UTF_8);

        assertThat(stream.ended()).isFalse();
        assertThat(error).startsWith("event: error\ndata: {").endsWith("}\n\n");
        JsonNode json = MAPPER.readTree(error.substring(error.indexOf('{')));
        assertThat(json.get("type").asText()).isEqualTo("error");
        assertThat(json.get("code").asText()).isEqualTo("upstream_reset");
        assertThat(json.get("message").asText()).contains("before its final event");
        assertThat(json.get("param").isNull()).isTrue();
        // The escaped "sequence_number":99 inside the text of event 5 is not the event's own.
        assertThat(json.get("sequence_number").asLong()).isEqualTo(6);
        assertThat(json.fieldNames())
                .toIterable()
                .containsExactly("code", "message", "param", "sequence_number", "type");
    }

    @Test
    void anAnthropicStreamCutShortHasNotEndedAndEndsWithAnAnthropicErrorEvent() throws Exception {
        String cut = MESSAGES.substring(0, MESSAGES.indexOf("event: content_block_stop"));
        var stream = new MessagesStream();
        Seen seen = read(stream, cut.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        String error = stream.errorEvent(ApiError.upstreamEndedEarly()).toString(StandardCharsets.UTF_8);

        assertThat(stream.ended()).isFalse();
        assertThat(seen.usage()).isEmpty();
        assertThat(stream.leftoverUsage()).isEqualTo(new UsageReader.Usage(12, 0, false));
        assertThat(stream.leftoverUsage()).isNull();
        assertThat(error).startsWith("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",");
        JsonNode json = MAPPER.readTree(error.substring(error.indexOf('{')));
        assertThat(json.at("/error/message").asText()).contains("before its final event");
    }

    @Test
    void anAnthropicErrorEventSaysOverloadedWhenVgateRanOutOfCapacity() throws Exception {
        var error = new ApiError(503, ApiError.SERVER, "shutting_down", "Draining.", null, null);

        String event = new MessagesStream().errorEvent(error).toString(StandardCharsets.UTF_8);

        assertThat(MAPPER.readTree(event.substring(event.indexOf('{')))
                        .at("/error/type")
                        .asText())
                .isEqualTo("overloaded_error");
    }

    @Test
    void recognisesVllmsOwnErrorEvent() {
        String failed = MESSAGES.substring(0, MESSAGES.indexOf("event: content_block_stop"))
                + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"internal_error\",\"message\":\"x\"}}\n\n";
        var stream = new MessagesStream();

        Seen seen = read(stream, failed.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(seen.kinds().getLast()).isEqualTo(NamedEventStream.Kind.ERROR);
        assertThat(stream.upstreamError()).isTrue();
        assertThat(stream.ended()).isFalse();
    }

    @Test
    void countsReasoningAndFunctionArgumentDeltasAsOutputAndTheOtherTerminalEventsAsEnds() {
        String events = "event: response.reasoning_text.delta\ndata: {\"delta\":\"hm\",\"sequence_number\":0}\n\n"
                + "event: response.function_call_arguments.delta\ndata: {\"delta\":\"{\",\"sequence_number\":1}\n\n"
                + "event: response.incomplete\ndata: {\"response\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":4}},"
                + "\"sequence_number\":2}\n\n";
        var stream = new ResponsesStream();

        Seen seen = read(stream, events.getBytes(StandardCharsets.UTF_8), new int[] {5});

        assertThat(seen.kinds())
                .containsExactly(NamedEventStream.Kind.OUTPUT, NamedEventStream.Kind.OUTPUT, NamedEventStream.Kind.END);
        assertThat(seen.usage()).containsExactly(new UsageReader.Usage(3, 4, false));
    }

    @Test
    void readsTheServedModelFromTheFirstEvent() {
        var responses = new ResponsesStream();
        responses.see(Buffer.buffer(RESPONSES.substring(0, RESPONSES.indexOf("event: response.in_progress"))));
        var messages = new MessagesStream();
        messages.see(Buffer.buffer(MESSAGES.substring(0, MESSAGES.indexOf("event: content_block_start"))));

        assertThat(responses.model()).isEqualTo("my-model");
        assertThat(messages.model()).isEqualTo("my-model");
    }

    @Test
    void findsNamesAndDataAcrossCrlfAndMultiLineData() {
        var fields = EventFields.of(
                Buffer.buffer(": comment\r\nevent: message_delta\r\nid: 3\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n"));

        assertThat(fields.name()).isEqualTo("message_delta");
        assertThat(fields.data().toString(StandardCharsets.UTF_8)).isEqualTo("{\"a\":\n1}");
        assertThat(EventFields.of(Buffer.buffer("data:{}\n\n")).named()).isFalse();
        assertThat(EventFields.of(Buffer.buffer("event:x\rdata:{}\r\r")).name()).isEqualTo("x");
    }

    @Test
    void picksTheDialectByRoutePath() {
        assertThat(StreamDialect.forPath("/v1/responses")).isEqualTo(StreamDialect.RESPONSES);
        assertThat(StreamDialect.forPath("/v1/responses/:response_id")).isEqualTo(StreamDialect.RESPONSES);
        assertThat(StreamDialect.forPath("/v1/messages")).isEqualTo(StreamDialect.MESSAGES);
        assertThat(StreamDialect.forPath("/v1/messages/count_tokens")).isEqualTo(StreamDialect.MESSAGES);
        assertThat(StreamDialect.forPath("/v1/chat/completions")).isEqualTo(StreamDialect.OPENAI);
        assertThat(StreamDialect.forPath("/v1/responsesx")).isEqualTo(StreamDialect.OPENAI);
        assertThat(StreamDialect.MESSAGES.anthropicErrors()).isTrue();
        assertThat(StreamDialect.RESPONSES.anthropicErrors()).isFalse();
    }
}
