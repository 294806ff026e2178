package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the {@code finish_reason} of vLLM's answer from its bytes, without parsing or copying them: why the
 * generation ended ({@code stop}, {@code length}, {@code tool_calls}, …), for the access log and the metrics.
 * <p>
 * vLLM writes {@code "finish_reason"} after the choice's {@code delta} or {@code message} and {@code logprobs},
 * so it is found by scanning backwards from the end of a stream chunk or body, and only the last
 * {@value #WINDOW} bytes are looked at. Inside a JSON string a quote is escaped, so the key's bytes cannot be
 * matched by text the model wrote. The known reasons come back as shared constants; anything else as its own
 * text, cut to {@value #MAX_LENGTH} characters.
 */
public final class FinishReasons {

    /** The model ended its answer itself (an end-of-sequence token or a stop sequence). */
    public static final String STOP = "stop";
    /** {@code max_tokens} (or the context window) cut the answer. */
    public static final String LENGTH = "length";
    /** The answer is one or more tool calls. */
    public static final String TOOL_CALLS = "tool_calls";
    /** Content filtering withheld or ended the answer. */
    public static final String CONTENT_FILTER = "content_filter";
    /** The legacy single function call. */
    public static final String FUNCTION_CALL = "function_call";
    /** vLLM aborted the generation. */
    public static final String ABORT = "abort";
    /** vLLM failed during the generation. */
    public static final String ERROR = "error";

    /** How far from the end of an event or body the key is looked for. */
    static final int WINDOW = 4096;
    /** Longest unknown reason kept. */
    static final int MAX_LENGTH = 32;

    private static final byte[] KEY = "\"finish_reason\":".getBytes(StandardCharsets.US_ASCII);
    private static final String[] KNOWN = {STOP, LENGTH, TOOL_CALLS, CONTENT_FILTER, FUNCTION_CALL, ABORT, ERROR};
    private static final byte[][] KNOWN_BYTES = new byte[KNOWN.length][];

    static {
        for (int i = 0; i < KNOWN.length; i++) {
            KNOWN_BYTES[i] = KNOWN[i].getBytes(StandardCharsets.US_ASCII);
        }
    }

    private FinishReasons() {}

    /**
     * The last {@code finish_reason} with a string value in the last {@value #WINDOW} bytes of {@code json}, or
     * {@code null} when there is none (a chunk in the middle of a stream says {@code null}; a usage chunk has no
     * choices).
     */
    public static String lastIn(Buffer json) {
        int floor = Math.max(0, json.length() - WINDOW);
        for (int at = json.length() - KEY.length; at >= floor; at--) {
            if (json.getByte(at) == '"' && matches(json, at, KEY)) {
                int value = at + KEY.length;
                while (value < json.length() && json.getByte(value) == ' ') {
                    value++;
                }
                // vLLM writes one choice per chunk: a null here means this chunk ends nothing.
                return value < json.length() && json.getByte(value) == '"'
                        ? text(json, value + 1, json.length())
                        : null;
            }
        }
        return null;
    }

    /**
     * The string value of the {@code "finish_reason":} key whose opening quote is at {@code keyAt} of {@code bytes},
     * read no further than {@code limit}; {@code null} when the value is not a string (a chunk that ends nothing).
     * For a key already found, as the relay's scan of a stream event finds it.
     */
    static String valueAt(Buffer bytes, int keyAt, int limit) {
        int value = keyAt + KEY.length;
        while (value < limit && bytes.getByte(value) == ' ') {
            value++;
        }
        return value < limit && bytes.getByte(value) == '"' ? text(bytes, value + 1, limit) : null;
    }

    private static String text(Buffer json, int start, int limit) {
        int end = start;
        while (end < limit && json.getByte(end) != '"' && json.getByte(end) != '\\') {
            end++;
        }
        for (int i = 0; i < KNOWN.length; i++) {
            byte[] known = KNOWN_BYTES[i];
            if (end - start == known.length && matches(json, start, known)) {
                return KNOWN[i];
            }
        }
        int length = Math.min(end - start, MAX_LENGTH);
        return length == 0 ? null : json.getString(start, start + length, "US-ASCII");
    }

    private static boolean matches(Buffer buffer, int offset, byte[] bytes) {
        if (offset + bytes.length > buffer.length()) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            if (buffer.getByte(offset + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }
}
