package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseFramerTests {

    private static final String VLLM_STREAM = """
            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}

            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Grüße 👋"}}]}

            data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"total_tokens":5,"completion_tokens":2}}

            data: [DONE]

            """;

    /** Every SSE variant the spec allows, which a byte-level relay must carry unchanged. */
    private static final String HARD_STREAM = ": keep-alive comment\r\n\r\n"
            + "event: message\r\nid: 7\r\ndata: first line\r\ndata: second line\r\n\r\n"
            + "retry: 1000\n\n"
            + "data: cr only\r\r"
            + "data: {\"content\":\"ünïcödé €\"}\n\n"
            + "data: [DONE]\n\n";

    @Test
    void emitsEachEventWhenItsBlankLineArrives() {
        List<String> events = new ArrayList<>();
        var framer = new SseFramer(event -> events.add(event.toString(StandardCharsets.UTF_8)));

        framer.feed(Buffer.buffer("data: one\n"));
        assertThat(events).isEmpty();
        framer.feed(Buffer.buffer("\ndata: two\n\ndata: thr"));
        assertThat(events).containsExactly("data: one\n\n", "data: two\n\n");
        framer.feed(Buffer.buffer("ee\n\n"));

        assertThat(events).containsExactly("data: one\n\n", "data: two\n\n", "data: three\n\n");
        assertThat(framer.pending()).isNull();
    }

    @Test
    void splitsVllmStreamIntoItsEvents() {
        List<String> events = frame(VLLM_STREAM.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(events).hasSize(4);
        assertThat(events.get(3)).isEqualTo("data: [DONE]\n\n");
        assertThat(String.join("", events)).isEqualTo(VLLM_STREAM);
    }

    @Test
    void keepsCrlfCommentsFieldsAndMultiLineDataIntact() {
        List<String> events = frame(HARD_STREAM.getBytes(StandardCharsets.UTF_8), new int[] {Integer.MAX_VALUE});

        assertThat(events)
                .containsExactly(
                        ": keep-alive comment\r\n\r\n",
                        "event: message\r\nid: 7\r\ndata: first line\r\ndata: second line\r\n\r\n",
                        "retry: 1000\n\n",
                        "data: cr only\r\r",
                        "data: {\"content\":\"ünïcödé €\"}\n\n",
                        "data: [DONE]\n\n");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 2024})
    void anyChunkingYieldsTheSameEventsAndBytes(long seed) {
        byte[] bytes = (VLLM_STREAM + HARD_STREAM).getBytes(StandardCharsets.UTF_8);
        List<String> whole = frame(bytes, new int[] {Integer.MAX_VALUE});

        var random = new Random(seed);
        int[] sizes = random.ints(bytes.length, 1, 9).toArray();
        List<String> chunked = frame(bytes, sizes);

        assertThat(String.join("", chunked)).isEqualTo(String.join("", whole));
        // A CRLF terminator split after its CR is forwarded at the CR; its LF leads the next write.
        assertThat(normalised(chunked)).isEqualTo(normalised(whole));
    }

    private static List<String> normalised(List<String> events) {
        return events.stream()
                .map(event -> event.startsWith("\n") ? event.substring(1) : event)
                .map(event -> event.replace("\r\n", "\r"))
                .filter(event -> !event.isEmpty())
                .toList();
    }

    @Test
    void byteByByteFeedingSplitsMultiByteCharactersYetLosesNothing() {
        byte[] bytes = HARD_STREAM.getBytes(StandardCharsets.UTF_8);
        List<byte[]> raw = new ArrayList<>();
        var framer = new SseFramer(event -> raw.add(event.getBytes()));
        for (byte b : bytes) {
            framer.feed(Buffer.buffer(new byte[] {b}));
        }

        var joined = Buffer.buffer();
        raw.forEach(joined::appendBytes);
        assertThat(joined.getBytes()).isEqualTo(bytes);
        assertThat(raw).hasSize(6);
    }

    @Test
    void reportsAnUnfinishedEventAsPending() {
        var framer = new SseFramer(event -> {});
        framer.feed(Buffer.buffer("data: complete\n\ndata: cut off mid"));

        assertThat(framer.pending().toString()).isEqualTo("data: cut off mid");
    }

    private static List<String> frame(byte[] bytes, int[] sizes) {
        List<byte[]> raw = new ArrayList<>();
        var framer = new SseFramer(event -> raw.add(event.getBytes()));
        int offset = 0;
        int i = 0;
        while (offset < bytes.length) {
            int size = Math.min(sizes[i++ % sizes.length], bytes.length - offset);
            framer.feed(Buffer.buffer().appendBytes(bytes, offset, size));
            offset += size;
        }
        assertThat(framer.pending()).isNull();
        return raw.stream()
                .map(event -> new String(event, StandardCharsets.UTF_8))
                .toList();
    }
}
