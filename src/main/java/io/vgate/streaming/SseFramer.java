package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Splits a byte stream of Server-Sent Events into whole events without decoding them.
 * <p>
 * An event ends at a blank line; lines may end with LF, CRLF or CR (the SSE specification allows all
 * three). Bytes are handed on unchanged and in order: every byte fed in comes out in exactly one event,
 * except a trailing incomplete event, which {@link #pending()} reports. A comment line, {@code event:}
 * or {@code id:} lines, multi-line {@code data:} and a UTF-8 character split across network reads all
 * pass through untouched, because the framer looks only at line breaks.
 * <p>
 * An event ending in CR is emitted at once, without waiting to see whether an LF follows; if one does,
 * it leads the next event's bytes. Nothing waits on a byte that may never come, and vLLM itself ends
 * events with LF only.
 * <p>
 * Not thread-safe: one instance per stream, used on the stream's event loop.
 */
public final class SseFramer {

    private final Consumer<Buffer> onEvent;
    /** Bytes of the event being assembled, when it spans several reads. */
    private Buffer partial;
    /** True when the last byte seen ended a line, so the next line break ends the event. */
    private boolean atLineStart = true;
    /** True when the last byte seen was CR: an LF right after it belongs to the same line break. */
    private boolean afterCr;

    /**
     * @param onEvent receives each complete event, terminator included; the buffer may share memory
     *        with the buffer fed in and must be consumed (written) before the next feed
     */
    public SseFramer(Consumer<Buffer> onEvent) {
        this.onEvent = onEvent;
    }

    /** Feeds the next bytes read from the upstream; complete events are emitted before it returns. */
    public void feed(Buffer chunk) {
        int length = chunk.length();
        int eventStart = 0;
        for (int i = 0; i < length; i++) {
            byte b = chunk.getByte(i);
            if (b == '\n') {
                if (afterCr) {
                    afterCr = false;
                    continue;
                }
                if (lineBreak()) {
                    eventStart = emit(chunk, eventStart, i + 1);
                }
            } else if (b == '\r') {
                afterCr = true;
                if (lineBreak()) {
                    int end = i + 1;
                    // Keep a CRLF terminator whole when the LF is already here.
                    if (end < length && chunk.getByte(end) == '\n') {
                        afterCr = false;
                        end++;
                        i++;
                    }
                    eventStart = emit(chunk, eventStart, end);
                }
            } else {
                afterCr = false;
                atLineStart = false;
            }
        }
        if (eventStart < length) {
            Buffer rest = chunk.slice(eventStart, length);
            if (partial == null) {
                partial = Buffer.buffer(Math.max(256, rest.length() * 2));
            }
            partial.appendBuffer(rest);
        }
    }

    /** The bytes of an event that has started but not ended, or {@code null} when there are none. */
    public Buffer pending() {
        return partial == null || partial.length() == 0 ? null : partial;
    }

    /** Returns true when this line break is the blank line that ends an event. */
    private boolean lineBreak() {
        if (atLineStart) {
            return true;
        }
        atLineStart = true;
        return false;
    }

    private int emit(Buffer chunk, int start, int end) {
        atLineStart = true;
        Buffer event;
        if (partial != null && partial.length() > 0) {
            event = partial.appendBuffer(chunk.slice(start, end));
            partial = null;
        } else {
            event = chunk.slice(start, end);
        }
        onEvent.accept(event);
        return end;
    }
}
