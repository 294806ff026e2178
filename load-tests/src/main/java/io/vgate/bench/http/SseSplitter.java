package io.vgate.bench.http;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * Splits an SSE body into events: an event is every byte up to and including the blank line that ends it
 * ({@code \n\n}, or {@code \r\n\r\n}). Events are handed over whole, bytes unchanged.
 */
public final class SseSplitter {

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(512);
    private final Consumer<byte[]> sink;
    private int last = -1;
    private int beforeLast = -1;

    public SseSplitter(Consumer<byte[]> sink) {
        this.sink = sink;
    }

    /** Bytes of an event that has not ended yet. */
    public int pendingBytes() {
        return pending.size();
    }

    public void feed(byte[] bytes, int offset, int length) {
        int start = offset;
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            boolean end = b == '\n' && (last == '\n' || (last == '\r' && beforeLast == '\n'));
            beforeLast = last;
            last = b;
            if (end) {
                pending.write(bytes, start, i + 1 - start);
                start = i + 1;
                byte[] event = pending.toByteArray();
                pending.reset();
                last = -1;
                beforeLast = -1;
                sink.accept(event);
            }
        }
        if (start < offset + length) {
            pending.write(bytes, start, offset + length - start);
        }
    }
}
