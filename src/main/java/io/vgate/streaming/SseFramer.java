package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Splits a byte stream of Server-Sent Events into whole events without decoding them, one event at a time.
 * <p>
 * An event ends at a blank line; lines may end with LF, CRLF or CR (the SSE specification allows all
 * three). Bytes are handed on unchanged and in order: every byte fed in comes out in exactly one event,
 * except a trailing incomplete event, which {@link #pending()} reports. A comment line, {@code event:}
 * or {@code id:} lines, multi-line {@code data:} and a UTF-8 character split across network reads all
 * pass through untouched, because the framer looks only at line breaks.
 * <p>
 * An event ending in CR is emitted at once, without waiting to see whether an LF follows; if one does,
 * it leads the next event's bytes. Nothing waits on a byte that may never come, and vLLM itself ends
 * events with LF only. The framing is {@link SseScanner}'s, which the relay uses directly to forward the
 * events of one read together.
 * <p>
 * Not thread-safe: one instance per stream, used on the stream's event loop.
 */
public final class SseFramer {

    private final SseScanner scanner;

    /**
     * @param onEvent receives each complete event, terminator included; the buffer may share memory
     *        with the buffer fed in and must be consumed (written) before the next feed
     */
    public SseFramer(Consumer<Buffer> onEvent) {
        this.scanner = new SseScanner(
                new SseScanner.Sink() {
                    @Override
                    public boolean event(Buffer bytes, int start, int end) {
                        onEvent.accept(bytes.slice(start, end));
                        return false;
                    }

                    @Override
                    public void forward(Buffer bytes, int start, int end) {
                        // Every event went to onEvent on its own.
                    }

                    @Override
                    public boolean stopped() {
                        return false;
                    }
                },
                false);
    }

    /** Feeds the next bytes read from the upstream; complete events are emitted before it returns. */
    public void feed(Buffer chunk) {
        scanner.feed(chunk);
    }

    /** The bytes of an event that has started but not ended, or {@code null} when there are none. */
    public Buffer pending() {
        return scanner.pending();
    }
}
