package io.vgate.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** WAV files for the audio routes' tests. */
public final class Wav {

    private Wav() {}

    /** A 16 kHz mono 16-bit PCM WAV file of the given length: a quiet tone, so that files differ by length. */
    public static byte[] tone(double seconds) {
        int samples = (int) Math.round(seconds * 16_000);
        int data = samples * 2;
        var out = new ByteArrayOutputStream(44 + data);
        out.writeBytes("RIFF".getBytes(StandardCharsets.US_ASCII));
        le32(out, 36 + data);
        out.writeBytes("WAVEfmt ".getBytes(StandardCharsets.US_ASCII));
        le32(out, 16);
        le16(out, 1); // PCM
        le16(out, 1); // mono
        le32(out, 16_000);
        le32(out, 32_000);
        le16(out, 2);
        le16(out, 16);
        out.writeBytes("data".getBytes(StandardCharsets.US_ASCII));
        le32(out, data);
        for (int i = 0; i < samples; i++) {
            le16(out, (int) (1000 * Math.sin(i / 10.0)));
        }
        return out.toByteArray();
    }

    private static void le16(ByteArrayOutputStream out, int value) {
        out.write(value & 0xFF);
        out.write((value >>> 8) & 0xFF);
    }

    private static void le32(ByteArrayOutputStream out, int value) {
        le16(out, value & 0xFFFF);
        le16(out, (value >>> 16) & 0xFFFF);
    }
}
