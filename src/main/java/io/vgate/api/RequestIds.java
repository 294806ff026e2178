package io.vgate.api;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: the client's {@code X-Request-Id} when it is safe to reuse, otherwise a fresh one.
 * <p>
 * vLLM builds its completion id from this header ({@code chatcmpl-<id>}) and logs it, so one id follows
 * a request through the client, vgate's access log and vLLM. A client value is reused only when it is
 * short and made of token characters, so it can never split a header or a log line.
 */
public final class RequestIds {

    /** Header carrying the id, in both directions. */
    public static final String HEADER = "X-Request-Id";

    static final int MAX_LENGTH = 128;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {}

    /** Returns {@code fromClient} when it is a safe id, else a new random id of 32 hex digits. */
    public static String resolve(String fromClient) {
        return isSafe(fromClient) ? fromClient : generate();
    }

    /** A random id of 32 lowercase hex digits, like vLLM's {@code random_uuid()}. */
    public static String generate() {
        var random = ThreadLocalRandom.current();
        char[] out = new char[32];
        long high = random.nextLong();
        long low = random.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (high >>> (60 - 4 * i)) & 0xF];
            out[16 + i] = HEX[(int) (low >>> (60 - 4 * i)) & 0xF];
        }
        return new String(out);
    }

    static boolean isSafe(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || c == '.'
                    || c == ':';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
