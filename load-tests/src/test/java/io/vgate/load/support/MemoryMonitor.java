package io.vgate.load.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Memory samples of vgate over a run, and the verdict on them: did memory settle after the warm-up, or keep growing?
 *
 * <p>Two sources: the resident set size of a local process ({@code VmRSS} in {@code /proc/<pid>/status}), or, for a
 * deployment, the JVM memory in use that vgate exports on {@code /q/metrics} (the sum of every
 * {@code jvm_memory_used_bytes} series: heap and non-heap). Each window's value is its lowest sample, which takes the
 * garbage collector's saw-tooth out of the heap figure (and is the value at the window's start for an RSS that only
 * grows).
 */
public final class MemoryMonitor {

    private record Sample(double atSeconds, long bytes) {
    }

    private final String what;
    private long startNanos = -1;
    private final List<Sample> samples = new ArrayList<>();

    public MemoryMonitor(String what) {
        this.what = what;
    }

    public String what() {
        return what;
    }

    /** Records one sample; the first one is time zero. */
    public synchronized void record(long bytes) {
        if (startNanos < 0) {
            startNanos = System.nanoTime();
        }
        Sample s = new Sample((System.nanoTime() - startNanos) / 1e9, bytes);
        samples.add(s);
        System.out.printf(Locale.ROOT, "memory: %6.1f s  %s %d MiB%n", s.atSeconds, what, bytes >> 20);
    }

    /** {@code VmRSS} of a local process, in bytes. */
    public static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the memory of process " + pid + " (has it exited?)", e);
        }
        throw new IllegalStateException("no VmRSS for process " + pid);
    }

    /** The sum of every {@code jvm_memory_used_bytes} series of a Prometheus text page, in bytes. */
    public static long jvmMemoryUsed(String metrics) {
        double sum = 0;
        boolean found = false;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") || line.startsWith("jvm_memory_used_bytes ")) {
                // name{labels} value [timestamp]; label values may hold spaces (id="CodeHeap 'profiled nmethods'")
                String[] rest = line.substring(Math.max(line.lastIndexOf('}'), line.indexOf(' ')) + 1).trim()
                        .split("\\s+");
                sum += Double.parseDouble(rest[0]);
                found = true;
            }
        }
        if (!found) {
            throw new IllegalStateException("no jvm_memory_used_bytes in the metrics page");
        }
        return (long) sum;
    }

    /** Lowest sample taken in [from, to) seconds after the start. */
    private synchronized OptionalLong floor(double from, double to) {
        return samples.stream().filter(s -> s.atSeconds >= from && s.atSeconds < to).mapToLong(Sample::bytes).min();
    }

    /**
     * "ok", or why not: memory in the window just after {@code warmUp} compared with the last {@code window} of
     * samples; growth may not exceed {@code maxGrowthPercent} of the first nor {@code maxGrowthMiB}, whichever
     * allows more.
     */
    public synchronized String verdict(double warmUp, double window, double maxGrowthPercent, long maxGrowthMiB) {
        if (samples.isEmpty()) {
            return "no memory samples";
        }
        double end = samples.getLast().atSeconds;
        if (end - warmUp < 2 * window) {
            return String.format(Locale.ROOT, "run too short to judge memory: samples end at %.0f s, the warm-up "
                    + "(%.0f s) plus two windows of %.0f s are needed", end, warmUp, window);
        }
        OptionalLong after = floor(warmUp, warmUp + window);
        OptionalLong last = floor(end - window, end + 1);
        if (after.isEmpty() || last.isEmpty()) {
            return "no memory samples in a window: sample more often than every " + window + " s";
        }
        long growth = last.getAsLong() - after.getAsLong();
        long allowed = Math.max((long) (after.getAsLong() * maxGrowthPercent / 100), maxGrowthMiB << 20);
        String summary = String.format(Locale.ROOT, "%s %d MiB after the warm-up, %d MiB at the end: %+d MiB (%+.1f %%),"
                        + " allowed %d MiB", what, after.getAsLong() >> 20, last.getAsLong() >> 20, growth >> 20,
                100.0 * growth / after.getAsLong(), allowed >> 20);
        System.out.println("memory verdict: " + summary);
        return growth <= allowed ? "ok" : "memory kept growing: " + summary;
    }
}
