package io.vgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's resident memory and CPU time, read from Linux's {@code /proc}. */
final class ProcStats {

    /** {@code getconf CLK_TCK} on Linux x86-64 and arm64. */
    static final int TICKS_PER_SECOND = 100;

    private ProcStats() {
    }

    /** VmRSS in KiB, or -1 when the process is gone. */
    static long rssKiB(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone
        }
        return -1;
    }

    /** User plus system CPU time in clock ticks, or -1 when the process is gone. */
    static long cpuTicks(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
