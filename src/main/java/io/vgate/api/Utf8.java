package io.vgate.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 validation (RFC 3629), for request bodies before they are parsed or forwarded.
 * <p>
 * JSON parsers are lenient in different ways: Jackson refuses {@code 0xFF} but decodes the overlong
 * {@code C0 AF} as {@code /} and lets encoded surrogates through, and a body vgate forwards unchanged
 * is read again by vLLM's own parser. Checking the bytes once, strictly, means every kind of invalid
 * UTF-8 gets the same 400 and none of it reaches vLLM: overlong forms, UTF-16 surrogates
 * ({@code ED A0..BF}), code points above U+10FFFF, stray continuation bytes, truncated sequences and the
 * bytes that never occur in UTF-8 ({@code C0}, {@code C1}, {@code F5..FF}).
 */
public final class Utf8 {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final long HIGH_BITS = 0x8080808080808080L;

    private Utf8() {}

    /** The offset of the first byte that is not valid UTF-8 in {@code bytes[0..length)}, or -1 if all are. */
    public static int firstInvalid(byte[] bytes, int length) {
        int i = 0;
        while (i < length) {
            // Most of a body is ASCII: eight bytes at a time while no high bit is set.
            if (i + Long.BYTES <= length && ((long) LONGS.get(bytes, i) & HIGH_BITS) == 0) {
                i += Long.BYTES;
                continue;
            }
            int b = bytes[i];
            if (b >= 0) {
                i++;
                continue;
            }
            int lead = b & 0xFF;
            int size;
            int min = 0x80;
            int max = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                size = 2;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                size = 3;
                if (lead == 0xE0) {
                    min = 0xA0; // below: overlong
                } else if (lead == 0xED) {
                    max = 0x9F; // above: UTF-16 surrogates
                }
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                size = 4;
                if (lead == 0xF0) {
                    min = 0x90; // below: overlong
                } else if (lead == 0xF4) {
                    max = 0x8F; // above: beyond U+10FFFF
                }
            } else {
                return i; // a continuation byte without a lead, C0, C1 or F5..FF
            }
            if (i + size > length) {
                return i; // truncated
            }
            int second = bytes[i + 1] & 0xFF;
            if (second < min || second > max) {
                return i;
            }
            for (int k = 2; k < size; k++) {
                if ((bytes[i + k] & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += size;
        }
        return -1;
    }
}
