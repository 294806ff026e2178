package io.vgate.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A running HotSpot JVM's performance counters, read from the file it shares them in
 * ({@code $TMPDIR/hsperfdata_<user>/<pid>}, on unless {@code -XX:-UsePerfData}), without attaching to it: reading
 * costs the measured process nothing. The format is HotSpot's {@code PerfDataPrologue} followed by
 * {@code PerfDataEntry} records (perfMemory.hpp).
 */
final class JvmCounters {

    private static final int MAGIC = 0xcafec0c0;
    private static final byte TYPE_LONG = 'J';

    private JvmCounters() {}

    /**
     * Classes the JVM has loaded so far, from its own archive (CDS, AOT cache) or not, as {@code jstat -class} counts
     * them; empty when the process is not a HotSpot JVM.
     */
    static OptionalLong loadedClasses(long pid) {
        OptionalLong loaded = counter(pid, "java.cls.loadedClasses");
        OptionalLong shared = counter(pid, "java.cls.sharedLoadedClasses");
        return loaded.isPresent() ? OptionalLong.of(loaded.getAsLong() + shared.orElse(0)) : loaded;
    }

    static OptionalLong counter(long pid, String name) {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "hsperfdata_" + System.getProperty("user.name"),
                Long.toString(pid));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        if (bytes.length < 32 || buf.getInt(0) != MAGIC) {
            return OptionalLong.empty();
        }
        buf.order(bytes[4] == 0 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int entry = buf.getInt(24);
        int entries = buf.getInt(28);
        for (int i = 0; i < entries && entry + 20 <= bytes.length; i++) {
            int length = buf.getInt(entry);
            int nameOffset = buf.getInt(entry + 4);
            int vectorLength = buf.getInt(entry + 8);
            byte type = buf.get(entry + 12);
            int dataOffset = buf.getInt(entry + 16);
            int end = entry + nameOffset;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            String entryName = new String(bytes, entry + nameOffset, end - entry - nameOffset, StandardCharsets.US_ASCII);
            if (entryName.equals(name) && type == TYPE_LONG && vectorLength == 0) {
                return OptionalLong.of(buf.getLong(entry + dataOffset));
            }
            if (length <= 0) {
                break;
            }
            entry += length;
        }
        return OptionalLong.empty();
    }
}
