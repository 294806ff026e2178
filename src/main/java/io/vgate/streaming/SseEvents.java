package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Byte-level facts about OpenAI-style SSE events, read without parsing JSON.
 */
public final class SseEvents {

    /** The terminal event vLLM always sends. */
    public static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE_MARK = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_KEY = "\"usage\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_NULL = "\"usage\":null".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR_OBJECT = "{\"error\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FLAT_ERROR_OBJECT = "{\"object\":\"error\"".getBytes(StandardCharsets.US_ASCII);

    private SseEvents() {}

    /** True for {@code data: [DONE]} (with or without the space). */
    public static boolean isDone(Buffer event) {
        return isDone(event, 0, event.length());
    }

    /** {@link #isDone(Buffer)} for the event at {@code [start, end)} of {@code bytes}. */
    static boolean isDone(Buffer bytes, int start, int end) {
        int at = dataStart(bytes, start, end);
        return at >= 0 && startsWith(bytes, at, end, DONE_MARK);
    }

    /**
     * True for vLLM's in-band error event, {@code data: {"error":…}} (or the flat {@code {"object":"error",…}} of
     * releases before 0.10.1): how vLLM reports a failure after the 200 and the stream's head went out. Looks at
     * the first bytes of the payload only.
     */
    public static boolean isError(Buffer event) {
        return isError(event, 0, event.length());
    }

    /** {@link #isError(Buffer)} for the event at {@code [start, end)} of {@code bytes}. */
    static boolean isError(Buffer bytes, int start, int end) {
        int at = dataStart(bytes, start, end);
        return at >= 0 && (startsWith(bytes, at, end, ERROR_OBJECT) || startsWith(bytes, at, end, FLAT_ERROR_OBJECT));
    }

    /**
     * True when the event may carry a usage object: it names {@code "usage"} with a value other than
     * {@code null}. Cheap enough for every event; a hit is then parsed.
     */
    public static boolean mayCarryUsage(Buffer event) {
        int at = indexOf(event, USAGE_KEY, 0);
        return at >= 0 && !startsWith(event, at, event.length(), USAGE_NULL);
    }

    /**
     * The JSON payload of a single-line {@code data:} event, or {@code null} if the event is not one
     * (comments, multi-line data, other fields).
     */
    public static Buffer jsonPayload(Buffer event) {
        return jsonPayload(event, 0, event.length());
    }

    /** {@link #jsonPayload(Buffer)} of the event at {@code [start, end)} of {@code bytes}; shares its memory. */
    static Buffer jsonPayload(Buffer bytes, int start, int end) {
        int at = dataStart(bytes, start, end);
        if (at < 0) {
            return null;
        }
        int last = end;
        while (last > at && (bytes.getByte(last - 1) == '\n' || bytes.getByte(last - 1) == '\r')) {
            last--;
        }
        for (int i = at; i < last; i++) {
            byte b = bytes.getByte(i);
            if (b == '\n' || b == '\r') {
                return null;
            }
        }
        return bytes.slice(at, last);
    }

    /** Position just after {@code data:} and one optional space, or -1 if the event does not start so. */
    private static int dataStart(Buffer bytes, int start, int end) {
        if (!startsWith(bytes, start, end, DATA)) {
            return -1;
        }
        int at = start + DATA.length;
        if (at < end && bytes.getByte(at) == ' ') {
            at++;
        }
        return at;
    }

    private static boolean startsWith(Buffer buffer, int offset, int end, byte[] prefix) {
        if (offset + prefix.length > end) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buffer.getByte(offset + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(Buffer buffer, byte[] needle, int from) {
        int last = buffer.length() - needle.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buffer.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
