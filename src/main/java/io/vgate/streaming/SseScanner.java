package io.vgate.streaming;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Frames a byte stream of Server-Sent Events in one pass over each read, without copying or decoding it, and
 * hands the relay runs of whole events to forward in one write.
 * <p>
 * An event ends at a blank line; lines may end with LF, CRLF or CR (the SSE specification allows all three).
 * An event ending in CR is complete at once, without waiting to see whether an LF follows; if one does, it leads
 * the next event's bytes. Nothing waits on a byte that may never come, and vLLM itself ends events with LF only.
 * Bytes are handed on unchanged and in order; a comment line, {@code event:} or {@code id:} lines, multi-line
 * {@code data:} and a UTF-8 character split across reads pass through untouched, because framing looks only at
 * line breaks.
 * <p>
 * Each complete event is first shown to the {@link Sink} ({@link Sink#event}), which reads what it needs and
 * says whether the event is forwarded. The events of one read that are forwarded and adjacent then go to
 * {@link Sink#forward} as one range of that read's buffer, at the end of the read or just before an event
 * that is dropped; nothing is held for a later read. An event that began in an earlier read is assembled
 * (the only copy) and forwarded on its own.
 * <p>
 * When asked to ({@code findKeys}), the same pass notes where a whole event names {@code "usage"} with a value
 * other than {@code null}, and where its last {@code "finish_reason":} is ({@link #usageAt()},
 * {@link #finishReasonAt()}), so that OpenAI's data events need no second scan. Inside a JSON string a quote is
 * escaped, so text the model wrote cannot match a key.
 * <p>
 * Not thread-safe: one instance per stream, used on the stream's event loop.
 */
final class SseScanner {

    /** Receives the complete events of each read. */
    interface Sink {

        /**
         * Looks at the complete event at {@code [start, end)} of {@code bytes} (valid only during the call) and
         * says whether to forward it.
         */
        boolean event(Buffer bytes, int start, int end);

        /** Forwards {@code [start, end)} of {@code bytes}: one or more whole events, in order. */
        void forward(Buffer bytes, int start, int end);

        /** True once nothing more is to be looked at or forwarded (the relay has ended). */
        boolean stopped();
    }

    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
    /** {@code "finish_reason":}, whose value {@link FinishReasons#valueAt} reads. */
    static final byte[] FINISH_REASON = "\"finish_reason\":".getBytes(StandardCharsets.US_ASCII);

    private final Sink sink;
    private final boolean findKeys;
    /** Bytes of the event being assembled, when it spans several reads. */
    private Buffer partial;
    /** True when the last byte seen ended a line, so the next line break ends the event. */
    private boolean atLineStart = true;
    /** True when the last byte seen was CR: an LF right after it belongs to the same line break. */
    private boolean afterCr;

    private int usageAt = -1;
    private int finishReasonAt = -1;

    /**
     * @param sink receives the events
     * @param findKeys note where each event names {@code usage} and {@code finish_reason} (OpenAI data events)
     */
    SseScanner(Sink sink, boolean findKeys) {
        this.sink = sink;
        this.findKeys = findKeys;
    }

    /**
     * Where the event being shown to {@link Sink#event} names {@code "usage"} with a non-null value (the index of
     * the key's opening quote in the buffer shown), or -1; always -1 unless asked to find keys.
     */
    int usageAt() {
        return usageAt;
    }

    /** Where the last {@code "finish_reason":} of the event being shown starts, or -1 (as {@link #usageAt()}). */
    int finishReasonAt() {
        return finishReasonAt;
    }

    /** Scans the next bytes read from the upstream: every event they complete is shown and forwarded before it returns. */
    void feed(Buffer chunk) {
        if (sink.stopped()) {
            // Bytes still in flight when the relay ended: nothing more is read or written.
            return;
        }
        int length = chunk.length();
        ByteBuf buf = byteBuf(chunk);
        byte[] bytes;
        int base;
        if (buf.hasArray()) {
            bytes = buf.array();
            base = buf.arrayOffset();
        } else {
            bytes = chunk.getBytes();
            base = 0;
        }
        // Keys are noted only for events that began in this read; an assembled one is scanned again whole.
        boolean inThisRead = partial == null;
        int eventStart = 0;
        int runStart = 0;
        usageAt = -1;
        finishReasonAt = -1;
        for (int i = 0; i < length; i++) {
            byte b = bytes[base + i];
            int end;
            if (b == '\n') {
                if (afterCr) {
                    afterCr = false;
                    continue;
                }
                if (!atLineStart) {
                    atLineStart = true;
                    continue;
                }
                end = i + 1;
            } else if (b == '\r') {
                afterCr = true;
                if (!atLineStart) {
                    atLineStart = true;
                    continue;
                }
                end = i + 1;
                // Keep a CRLF terminator whole when the LF is already here.
                if (end < length && bytes[base + end] == '\n') {
                    afterCr = false;
                    end++;
                    i++;
                }
            } else {
                afterCr = false;
                atLineStart = false;
                if (b == '"' && findKeys && inThisRead) {
                    key(bytes, base, i, base + length);
                }
                continue;
            }
            if (inThisRead) {
                if (!sink.event(chunk, eventStart, end)) {
                    if (eventStart > runStart) {
                        sink.forward(chunk, runStart, eventStart);
                    }
                    runStart = end;
                }
            } else {
                Buffer event = partial.appendBuffer(chunk, 0, end);
                partial = null;
                inThisRead = true;
                if (findKeys) {
                    findKeys(event);
                }
                if (sink.event(event, 0, event.length()) && !sink.stopped()) {
                    sink.forward(event, 0, event.length());
                }
                runStart = end;
            }
            eventStart = end;
            usageAt = -1;
            finishReasonAt = -1;
            if (sink.stopped()) {
                return;
            }
        }
        if (eventStart > runStart) {
            sink.forward(chunk, runStart, eventStart);
        }
        if (eventStart < length) {
            if (partial == null) {
                partial = Buffer.buffer(Math.max(256, (length - eventStart) * 2));
            }
            partial.appendBuffer(chunk, eventStart, length - eventStart);
        }
    }

    /** The bytes of an event that has started but not ended, or {@code null} when there are none. */
    Buffer pending() {
        return partial == null || partial.length() == 0 ? null : partial;
    }

    /**
     * The memory behind {@code buffer}, whose index 0 is the buffer's first byte (a Vert.x buffer reads its
     * {@code ByteBuf} by absolute index). {@link Buffer#getByteBuf()} makes a duplicate, one small object per read;
     * the only way around it is Vert.x's internal {@code BufferImpl}, which vgate does not use.
     */
    private static ByteBuf byteBuf(Buffer buffer) {
        return buffer.getByteBuf();
    }

    /** Notes the keys of a whole event assembled from several reads. */
    private void findKeys(Buffer event) {
        ByteBuf buf = byteBuf(event);
        byte[] bytes;
        int base;
        if (buf.hasArray()) {
            bytes = buf.array();
            base = buf.arrayOffset();
        } else {
            bytes = event.getBytes();
            base = 0;
        }
        int limit = base + event.length();
        for (int i = 0; i < event.length(); i++) {
            if (bytes[base + i] == '"') {
                key(bytes, base, i, limit);
            }
        }
    }

    /** The quote at {@code at} (relative to {@code base}) may open one of the keys: notes it if so. */
    private void key(byte[] bytes, int base, int at, int limit) {
        int from = base + at;
        if (from + 1 >= limit) {
            return;
        }
        byte next = bytes[from + 1];
        if (next == 'u') {
            if (matches(bytes, from, limit, USAGE) && !nullValue(bytes, from + USAGE.length, limit)) {
                usageAt = at;
            }
        } else if (next == 'f' && matches(bytes, from, limit, FINISH_REASON)) {
            finishReasonAt = at;
        }
    }

    /** True when the value after a key ending at {@code from} is {@code null}. */
    private static boolean nullValue(byte[] bytes, int from, int limit) {
        int at = from;
        while (at < limit && (bytes[at] == ' ' || bytes[at] == ':')) {
            at++;
        }
        return matches(bytes, at, limit, NULL);
    }

    private static boolean matches(byte[] bytes, int from, int limit, byte[] key) {
        if (from + key.length > limit) {
            return false;
        }
        for (int j = 1; j < key.length; j++) {
            if (bytes[from + j] != key[j]) {
                return false;
            }
        }
        return bytes[from] == key[0];
    }
}
