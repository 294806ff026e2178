package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The eight-bytes-at-a-time ASCII path finds the same first invalid byte as checking one byte at a time. */
class Utf8Tests {

    @Property(tries = 5000)
    void findsTheSameFirstInvalidByteAsAByteByByteCheck(@ForAll long seed) {
        var random = new Random(seed);
        byte[] bytes = new byte[random.nextInt(64)];
        int i = 0;
        while (i < bytes.length) {
            byte[] piece = switch (random.nextInt(10)) {
                case 0 -> new byte[] {(byte) random.nextInt(256)};
                case 1 -> "\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                case 2 -> "\u20ac".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                case 3 -> "\uD83D\uDE00".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                default -> new byte[] {(byte) ('a' + random.nextInt(26))};
            };
            for (int k = 0; k < piece.length && i < bytes.length; k++) {
                bytes[i++] = piece[k];
            }
        }
        int length = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);

        assertThat(Utf8.firstInvalid(bytes, length)).isEqualTo(byteByByte(bytes, length));
    }

    /** RFC 3629 one byte at a time: the check as it was before the ASCII path. */
    private static int byteByByte(byte[] bytes, int length) {
        int i = 0;
        while (i < length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                i++;
                continue;
            }
            int size;
            int min = 0x80;
            int max = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                size = 2;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                size = 3;
                min = lead == 0xE0 ? 0xA0 : min;
                max = lead == 0xED ? 0x9F : max;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                size = 4;
                min = lead == 0xF0 ? 0x90 : min;
                max = lead == 0xF4 ? 0x8F : max;
            } else {
                return i;
            }
            if (i + size > length) {
                return i;
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
