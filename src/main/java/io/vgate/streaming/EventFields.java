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

    private final Buffer event;
    private int nameStart = -1;
    private int nameEnd = -1;
    private int dataStart = -1;
    private int dataEnd = -1;
    private Buffer joinedData;

    private EventFields(Buffer event) {
        this.event = event;
    }

    /** Reads the fields of {@code event}, a complete event as {@link SseFramer} emits it. */
    static EventFields of(Buffer event) {
        var fields = new EventFields(event);
        fields.scan();
        return fields;
    }

    private void scan() {
        int length = event.length();
        int lineStart = 0;
        while (lineStart < length) {
            int lineEnd = lineStart;
            while (lineEnd < length && event.getByte(lineEnd) != '\n' && event.getByte(lineEnd) != '\r') {
                lineEnd++;
            }
            if (lineEnd > lineStart) {
                line(lineStart, lineEnd);
            }
            lineStart = lineEnd + 1;
            if (lineEnd < length
                    && event.getByte(lineEnd) == '\r'
                    && lineStart < length
                    && event.getByte(lineStart) == '\n') {
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
}
