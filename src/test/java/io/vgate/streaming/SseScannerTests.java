package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class SseScannerTests {

    private static final String ROLE =
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                    + "\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    private static final String TOKEN =
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße 👋 \\\"usage\\\": "
                    + "\\\"finish_reason\\\":\\\"stop\\\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    private static final String LAST =
            "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},\"logprobs\":null,"
                    + "\"finish_reason\":\"length\",\"stop_reason\":null}],\"usage\":null}\n\n";
    private static final String USAGE = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
            + "\"total_tokens\":5,\"completion_tokens\":2}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";

    /** What a scanner showed and forwarded: each event with the keys found in it, and each write. */
    private static final class Recorder implements SseScanner.Sink {
        final List<String> events = new ArrayList<>();
        final List<String> finishReasons = new ArrayList<>();
        final List<Boolean> usage = new ArrayList<>();
        final List<String> writes = new ArrayList<>();
        final Predicate<String> drop;
        SseScanner scanner;
        boolean stopAfterFirst;

        Recorder(Predicate<String> drop) {
            this.drop = drop;
        }

        @Override
        public boolean event(Buffer bytes, int start, int end) {
            String event = bytes.getString(start, end, "UTF-8");
            events.add(event);
            int finish = scanner.finishReasonAt();
            finishReasons.add(finish < 0 ? null : FinishReasons.valueAt(bytes, finish, end));
            usage.add(scanner.usageAt() >= start);
            return !drop.test(event);
        }

        @Override
        public void forward(Buffer bytes, int start, int end) {
            writes.add(bytes.getString(start, end, "UTF-8"));
        }

        @Override
        public boolean stopped() {
            return stopAfterFirst && !events.isEmpty();
        }
    }

    private static Recorder scanner(Predicate<String> drop) {
        var recorder = new Recorder(drop);
        recorder.scanner = new SseScanner(recorder, true);
        return recorder;
    }

    private static Buffer utf8(String text) {
        return Buffer.buffer(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void forwardsTheEventsOfOneReadInOneWriteAndInOrder() {
        var recorder = scanner(event -> false);

        recorder.scanner.feed(utf8(ROLE + TOKEN + LAST + DONE));

        assertThat(recorder.events).containsExactly(ROLE, TOKEN, LAST, DONE);
        assertThat(recorder.writes).containsExactly(ROLE + TOKEN + LAST + DONE);
    }

    @Test
    void forwardsAnEventThatArrivesAloneOnItsOwnBeforeTheNextRead() {
        var recorder = scanner(event -> false);

        recorder.scanner.feed(utf8(ROLE));
        assertThat(recorder.writes).containsExactly(ROLE);
        recorder.scanner.feed(utf8(TOKEN));

        assertThat(recorder.writes).containsExactly(ROLE, TOKEN);
    }

    @Test
    void forwardsAnEventSplitAcrossReadsWhenWholeThenTheRestOfThatReadTogether() {
        var recorder = scanner(event -> false);
        byte[] bytes = (ROLE + TOKEN + LAST + DONE).getBytes(StandardCharsets.UTF_8);
        // Cut inside the four-byte character of the second event.
        int cut = (ROLE + TOKEN.substring(0, TOKEN.indexOf("👋"))).getBytes(StandardCharsets.UTF_8).length + 2;

        recorder.scanner.feed(Buffer.buffer().appendBytes(bytes, 0, cut));
        assertThat(recorder.writes).containsExactly(ROLE);
        assertThat(recorder.scanner.pending()).isNotNull();
        recorder.scanner.feed(Buffer.buffer().appendBytes(bytes, cut, bytes.length - cut));

        assertThat(recorder.events).containsExactly(ROLE, TOKEN, LAST, DONE);
        assertThat(recorder.writes).containsExactly(ROLE, TOKEN, LAST + DONE);
        assertThat(recorder.scanner.pending()).isNull();
    }

    @Test
    void splitsTheWriteAroundADroppedEvent() {
        var recorder = scanner(event -> event.contains("\"choices\":[]"));

        recorder.scanner.feed(utf8(TOKEN + LAST + USAGE + DONE));

        assertThat(recorder.events).containsExactly(TOKEN, LAST, USAGE, DONE);
        assertThat(recorder.writes).containsExactly(TOKEN + LAST, DONE);
    }

    @Test
    void writesNothingForAReadThatHoldsOnlyADroppedEvent() {
        var recorder = scanner(event -> event.contains("\"choices\":[]"));

        recorder.scanner.feed(utf8(USAGE));
        recorder.scanner.feed(utf8(DONE));

        assertThat(recorder.writes).containsExactly(DONE);
    }

    @Test
    void findsTheFinishReasonAndTheUsageInTheSamePassNotInTheModelsText() {
        var recorder = scanner(event -> false);

        recorder.scanner.feed(utf8(ROLE + TOKEN + LAST + USAGE + DONE));

        assertThat(recorder.finishReasons).containsExactly(null, null, FinishReasons.LENGTH, null, null);
        assertThat(recorder.usage).containsExactly(false, false, false, true, false);
    }

    @Test
    void findsTheKeysOfAnEventAssembledFromSeveralReads() {
        var recorder = scanner(event -> false);
        String text = LAST + USAGE;
        int cutInFinishReason = text.indexOf("finish_reason") + 4;
        int cutInUsage = text.lastIndexOf("usage") + 2;

        recorder.scanner.feed(utf8(text.substring(0, cutInFinishReason)));
        recorder.scanner.feed(utf8(text.substring(cutInFinishReason, cutInUsage)));
        recorder.scanner.feed(utf8(text.substring(cutInUsage)));

        assertThat(recorder.events).containsExactly(LAST, USAGE);
        assertThat(recorder.finishReasons).containsExactly(FinishReasons.LENGTH, null);
        assertThat(recorder.usage).containsExactly(false, true);
    }

    @Test
    void keepsCrlfAndCrTerminatorsWhole() {
        var recorder = scanner(event -> false);
        String text = "data: a\r\n\r\ndata: b\r\rdata: c\n\n";

        recorder.scanner.feed(utf8(text));

        assertThat(recorder.events).containsExactly("data: a\r\n\r\n", "data: b\r\r", "data: c\n\n");
        assertThat(recorder.writes).containsExactly(text);
    }

    @Test
    void stopsAtOnceWhenTheRelayHasEnded() {
        var recorder = scanner(event -> false);
        recorder.stopAfterFirst = true;

        recorder.scanner.feed(utf8(ROLE + TOKEN + DONE));

        assertThat(recorder.events).containsExactly(ROLE);
        assertThat(recorder.writes).isEmpty();
    }
}
