package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.metrics.ExchangeRecord;
import io.vgate.streaming.RelayOutcome;
import io.vgate.testing.ExchangeRecords;
import io.vgate.testing.ScriptedVllm;
import io.vgate.testing.ScriptedVllm.Chunk;
import io.vgate.testing.ScriptedVllm.Script;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * How vgate's writes to the client follow vLLM's reads, seen on the wire as HTTP chunks (one per write): the events
 * one upstream read completes go out together in one write, whole and in order, with the usage chunk vgate asked
 * for cut out between them; an event that arrives alone goes out alone, before the next read; an event split
 * across reads goes out when whole; a backlog of vLLM's HTTP chunks that one socket read brings goes out in two writes,
 * the first event at once and the rest together. What the relay reads in the events (the served model, the finish reason, the
 * usage) is still read. Which events of a read share a write is a guess from timing, so those tests try a stream a few
 * times; every try must still deliver it whole and in order.
 */
@QuarkusTest
@TestProfile(ScriptedVllm.Profile.class)
class EventWritesTests {

    private static final String ROLE = event("{\"role\":\"assistant\",\"content\":\"\"}", "null");
    private static final String HELLO = event("{\"content\":\"Grüße \"}", "null");
    private static final String WAVE = event("{\"content\":\"👋\"}", "null");
    private static final String LAST = event("{\"content\":\"!\"}", "\"stop\"");
    private static final String USAGE =
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                    + "\"model\":\"scripted-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"total_tokens\":13,"
                    + "\"completion_tokens\":4}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";
    /** No model: vgate then reads the one that served the request from the stream. */
    private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";

    /** How many times a stream is tried before its writes are taken to be wrong. */
    private static final int TRIES = 5;

    @TestHTTPResource("/")
    URI gateway;

    @Inject
    ExchangeRecords records;

    private static String event(String delta, String finishReason) {
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"scripted-model\",\"choices\":[{\"index\":0,\"delta\":" + delta
                + ",\"logprobs\":null,\"finish_reason\":" + finishReason + "}]}\n\n";
    }

    @Test
    void forwardsTheEventsOfOneReadInOneWriteAndCutsTheUsageChunkOutBetweenThem() throws IOException {
        List<Chunk> chunks = List.of(Chunk.now(utf8(ROLE + HELLO + WAVE)), new Chunk(200, utf8(LAST + USAGE + DONE)));

        ExchangeRecord record = eventuallyWrittenAs(chunks, List.of(ROLE + HELLO + WAVE, LAST, DONE));

        assertThat(record.outcome()).isEqualTo(RelayOutcome.COMPLETED);
        assertThat(record.finishReason()).isEqualTo("stop");
        assertThat(record.promptTokens()).isEqualTo(9);
        assertThat(record.completionTokens()).isEqualTo(4);
        assertThat(record.servedModel()).isEqualTo(ScriptedVllm.MODEL);
    }

    @Test
    void forwardsAnEventArrivingAloneAtOnceAndASplitOneWhenWhole() throws IOException {
        String id = "alone-" + UUID.randomUUID();
        byte[] wave = utf8(WAVE);
        // Cut inside the four-byte character.
        int cut = utf8(WAVE.substring(0, WAVE.indexOf("👋"))).length + 2;
        ScriptedVllm.script(
                id,
                Script.stream(List.of(
                        Chunk.now(utf8(ROLE)),
                        new Chunk(300, utf8(HELLO)),
                        new Chunk(300, Arrays.copyOfRange(wave, 0, cut)),
                        new Chunk(300, Arrays.copyOfRange(wave, cut, wave.length)),
                        new Chunk(300, utf8(LAST + USAGE + DONE)))));

        try (var socket = post(id)) {
            InputStream in = socket.getInputStream();
            readHead(in);
            assertThat(readChunk(in)).isEqualTo(ROLE);
            long firstArrived = System.nanoTime();
            List<String> rest = readChunks(in);

            assertThat(rest).containsExactly(HELLO, WAVE, LAST, DONE);
            // The role event was written before the reads that followed it, not held for them.
            assertThat(firstArrived).isLessThan(ScriptedVllm.lastWriteNanos(id));
        }
        ExchangeRecord record = record(id);
        assertThat(record.finishReason()).isEqualTo("stop");
        assertThat(record.completionTokens()).isEqualTo(4);
    }

    @Test
    void forwardsABacklogOfVllmChunksInTwoWritesNotOnePerEvent() throws IOException {
        // Three HTTP chunks written in one turn of the stand-in's event loop reach vgate in one socket read.
        List<Chunk> chunks = List.of(
                Chunk.now(utf8(ROLE)),
                Chunk.now(utf8(HELLO)),
                Chunk.now(utf8(WAVE)),
                new Chunk(300, utf8(LAST + USAGE + DONE)));

        // The first event goes out at once; the two behind it in the same read follow in one write.
        ExchangeRecord record = eventuallyWrittenAs(chunks, List.of(ROLE, HELLO + WAVE, LAST, DONE));

        assertThat(record.completionTokens()).isEqualTo(4);
    }

    /**
     * Streams {@code chunks} through vgate, with a fresh request each try, until vgate's writes are {@code expected};
     * returns that try's record. Whether events of one socket read share a write is the relay's guess from how soon
     * they follow the last write ({@code ClientWrites}), which a loaded machine can get wrong at the cost of a write,
     * never of a delay or a byte: so every try must deliver the stream whole, in order, each write whole events and
     * the usage chunk cut out, and the guess must come out right within a few tries.
     */
    private ExchangeRecord eventuallyWrittenAs(List<Chunk> chunks, List<String> expected) throws IOException {
        String stream = String.join("", expected);
        List<List<String>> tries = new ArrayList<>();
        while (tries.size() < TRIES) {
            String id = "writes-" + UUID.randomUUID();
            ScriptedVllm.script(id, Script.stream(chunks));

            List<String> writes = writes(id);

            assertThat(String.join("", writes)).isEqualTo(stream);
            assertThat(writes)
                    .allSatisfy(write -> assertThat(write).startsWith("data: ").endsWith("\n\n"));
            ExchangeRecord record = record(id);
            if (writes.equals(expected)) {
                return record;
            }
            tries.add(writes);
        }
        return fail("expected the writes %s in one of %d tries, got %s", expected, TRIES, tries);
    }

    private List<String> writes(String id) throws IOException {
        try (var socket = post(id)) {
            InputStream in = socket.getInputStream();
            readHead(in);
            return readChunks(in);
        }
    }

    /** Posts the chat request {@code id} over a bare socket, so that the test sees each HTTP chunk. */
    private Socket post(String id) throws IOException {
        var socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.getPort()), 5000);
        socket.setSoTimeout(20_000);
        byte[] body = utf8(BODY);
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "X-Request-Id: " + id + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().write(body);
        socket.getOutputStream().flush();
        return socket;
    }

    private ExchangeRecord record(String id) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> records.get(id), record -> record != null);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String readHead(InputStream in) throws IOException {
        String head = readLine(in);
        assertThat(head).startsWith("HTTP/1.1 200");
        String line;
        boolean chunked = false;
        while (!(line = readLine(in)).isEmpty()) {
            chunked |= line.equalsIgnoreCase("transfer-encoding: chunked");
        }
        assertThat(chunked).as("chunked response").isTrue();
        return head;
    }

    /** The HTTP chunks of the rest of the body, until its last (empty) chunk. */
    private static List<String> readChunks(InputStream in) throws IOException {
        List<String> chunks = new ArrayList<>();
        String chunk;
        while (!(chunk = readChunk(in)).isEmpty()) {
            chunks.add(chunk);
        }
        return chunks;
    }

    private static String readChunk(InputStream in) throws IOException {
        int size = Integer.parseInt(readLine(in).trim(), 16);
        byte[] data = in.readNBytes(size);
        assertThat(readLine(in)).isEmpty();
        return new String(data, StandardCharsets.UTF_8);
    }

    private static String readLine(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed after: " + line.toString(StandardCharsets.UTF_8));
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }
}
