package io.vgate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A process's resident memory and CPU time, read from Linux's {@code /proc}, summed over the process and its
 * descendants: nginx's work is done by its worker processes, the master's own figures are nearly nothing.
 */
final class ProcStats {

    /** {@code getconf CLK_TCK} on Linux x86-64 and arm64. */
    static final int TICKS_PER_SECOND = 100;

    private ProcStats() {
    }

    /** VmRSS in KiB of the process and its descendants, or -1 when the process is gone. */
    static long rssKiB(int pid) {
        long own = ownRssKiB(pid);
        if (own < 0) {
            return -1;
        }
        for (int child : descendants(pid)) {
            own += Math.max(0, ownRssKiB(child));
        }
        return own;
    }

    /** User plus system CPU time in clock ticks of the process and its descendants, or -1 when it is gone. */
    static long cpuTicks(int pid) {
        long own = ownCpuTicks(pid);
        if (own < 0) {
            return -1;
        }
        for (int child : descendants(pid)) {
            own += Math.max(0, ownCpuTicks(child));
        }
        return own;
    }

    private static List<Integer> descendants(int pid) {
        var all = new ArrayList<Integer>();
        try {
            for (String child : Files.readString(Path.of("/proc/" + pid + "/task/" + pid + "/children")).trim().split("\\s+")) {
                if (!child.isEmpty()) {
                    int c = Integer.parseInt(child);
                    all.add(c);
                    all.addAll(descendants(c));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or no children file
        }
        return all;
    }

    private static long ownRssKiB(int pid) {
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

    private static long ownCpuTicks(int pid) {
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
