package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The {@code event:} name and {@code data:} payload of one complete SSE event, found at the byte level
 * without copying or decoding the event: the relay forwards the event's own bytes and only looks here.
 * Lines may end with LF, CRLF or CR; one space after the colon is not part of the value (as the SSE
 * specification says). Events with several {@code data:} lines have their payload joined with LF, the
 * only case that copies.
 */
final class EventFields {

    private static final byte[] EVENT = "event:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

    private Buffer event;
    private int nameStart;
    private int nameEnd;
    private int dataStart;
    private int dataEnd;
    private Buffer joinedData;

    /** Fields of no event yet: {@link #read} fills them in, again for each event, so one instance serves a stream. */
    EventFields() {
        read(Buffer.buffer(), 0, 0);
    }

    /** Reads the fields of {@code event}, a complete event as {@link SseFramer} emits it. */
    static EventFields of(Buffer event) {
        var fields = new EventFields();
        fields.read(event, 0, event.length());
        return fields;
    }

    /**
     * Reads the fields of the complete event at {@code [start, end)} of {@code bytes}, forgetting the last
     * event's; valid until the next call, and only while those bytes are.
     */
    EventFields read(Buffer bytes, int start, int end) {
        event = bytes;
        nameStart = -1;
        nameEnd = -1;
        dataStart = -1;
        dataEnd = -1;
        joinedData = null;
        scan(start, end);
        return this;
    }

    private void scan(int from, int to) {
        int lineStart = from;
        while (lineStart < to) {
            int lineEnd = lineStart;
            while (lineEnd < to && event.getByte(lineEnd) != '\n' && event.getByte(lineEnd) != '\r') {
                lineEnd++;
            }
            if (lineEnd > lineStart) {
                line(lineStart, lineEnd);
            }
            lineStart = lineEnd + 1;
            if (lineEnd < to && event.getByte(lineEnd) == '\r' && lineStart < to && event.getByte(lineStart) == '\n') {
                lineStart++;
            }
        }
    }

    private void line(int start, int end) {
        if (nameStart < 0 && startsWith(start, end, EVENT)) {
            nameStart = valueStart(start + EVENT.length, end);
            nameEnd = end;
        } else if (startsWith(start, end, DATA)) {
            int value = valueStart(start + DATA.length, end);
            if (dataStart < 0) {
                dataStart = value;
                dataEnd = end;
            } else {
                if (joinedData == null) {
                    joinedData = event.getBuffer(dataStart, dataEnd);
                }
                joinedData.appendByte((byte) '\n').appendBuffer(event.getBuffer(value, end));
            }
        }
    }

    private int valueStart(int at, int end) {
        return at < end && event.getByte(at) == ' ' ? at + 1 : at;
    }

    private boolean startsWith(int start, int end, byte[] prefix) {
        if (end - start < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (event.getByte(start + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** True when the event has an {@code event:} line. */
    boolean named() {
        return nameStart >= 0;
    }

    /** True when the event's name is exactly {@code name}. */
    boolean nameIs(byte[] name) {
        return named() && nameEnd - nameStart == name.length && startsWith(nameStart, nameEnd, name);
    }

    /** True when the event's name ends with {@code suffix}. */
    boolean nameEndsWith(byte[] suffix) {
        return named() && nameEnd - nameStart >= suffix.length && startsWith(nameEnd - suffix.length, nameEnd, suffix);
    }

    /** The event's name, or {@code null} without an {@code event:} line. */
    String name() {
        return named() ? event.getString(nameStart, nameEnd, "UTF-8") : null;
    }

    /** The {@code data:} payload, or {@code null} when the event has none. Shares memory with the event. */
    Buffer data() {
        if (joinedData != null) {
            return joinedData;
        }
        return dataStart < 0 ? null : event.slice(dataStart, dataEnd);
    }

    /**
     * The buffer holding the {@code data:} payload at {@link #dataFrom()} to {@link #dataTo()}, without a slice of
     * its own; {@code null} when the event has none.
     */
    Buffer dataBytes() {
        if (joinedData != null) {
            return joinedData;
        }
        return dataStart < 0 ? null : event;
    }

    /** Where the payload starts in {@link #dataBytes()}. */
    int dataFrom() {
        return joinedData != null ? 0 : dataStart;
    }

    /** Where the payload ends in {@link #dataBytes()}. */
    int dataTo() {
        return joinedData != null ? joinedData.length() : dataEnd;
    }
}
