package io.vgate.metrics;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * Keeps one client from flooding the log with its rejections: per interval, the first rejection of each
 * client address and reason is logged in full; the rest are only counted, and one summary line at the
 * end of the interval says how many lines were left out, for whom. Metrics are not affected: they count
 * every rejection.
 * <p>
 * Memory is bounded: at most {@value #MAX_KEYS} (address, reason) pairs are tracked per interval; beyond
 * that, further lines are left out and counted under "other clients".
 */
@Singleton
public class RejectionLogThrottle {

    /** Logger category of the summary line (the access log's, so both are found together). */
    static final String CATEGORY = AccessLog.CATEGORY;

    static final int MAX_KEYS = 10_000;
    private static final int SUMMARY_TOP = 5;

    private static final Logger LOG = Logger.getLogger(CATEGORY);

    private final long intervalMillis;
    private final Vertx vertx;
    private volatile Window window = new Window();
    private long timerId = -1;

    public RejectionLogThrottle(MetricsConfig config, Vertx vertx) {
        this.intervalMillis = Math.max(0, config.rejectionLogInterval().toMillis());
        this.vertx = vertx;
    }

    /**
     * Whether this rejection of {@code client} for {@code reason} should be logged in full: true for the
     * first one of the pair in the current interval, false (and counted) for the others.
     */
    public boolean admit(String client, String reason) {
        if (intervalMillis == 0) {
            return true;
        }
        Window current = window;
        String key = client + ' ' + reason;
        LongAdder suppressed = current.seen.get(key);
        if (suppressed == null) {
            if (current.seen.size() >= MAX_KEYS) {
                current.overflow.incrementAndGet();
                return false;
            }
            if (current.seen.putIfAbsent(key, new LongAdder()) == null) {
                return true;
            }
            suppressed = current.seen.get(key);
        }
        suppressed.increment();
        return false;
    }

    void start(@Observes StartupEvent event) {
        if (intervalMillis == 0) {
            return;
        }
        timerId = vertx.setPeriodic(intervalMillis, id -> flush());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        flush();
    }

    /** Ends the current interval and logs one summary line if anything was left out. */
    synchronized void flush() {
        Window ended = window;
        window = new Window();
        String summary = summary(ended, intervalMillis);
        if (summary != null) {
            LOG.info(summary);
        }
    }

    /** The summary line of an interval, or {@code null} when no line was left out. */
    static String summary(Window ended, long intervalMillis) {
        List<Map.Entry<String, Long>> left = new ArrayList<>();
        long total = ended.overflow.get();
        for (var entry : ended.seen.entrySet()) {
            long count = entry.getValue().sum();
            if (count > 0) {
                left.add(Map.entry(entry.getKey(), count));
                total += count;
            }
        }
        if (total == 0) {
            return null;
        }
        left.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        var line = new StringBuilder(160)
                .append("Left out ")
                .append(total)
                .append(" rejection log lines in the last ")
                .append(intervalMillis / 1000.0)
                .append("s (counted in metrics):");
        for (int i = 0; i < Math.min(SUMMARY_TOP, left.size()); i++) {
            line.append(' ')
                    .append(left.get(i).getKey().replace(' ', '/'))
                    .append('=')
                    .append(left.get(i).getValue());
            line.append(i + 1 < Math.min(SUMMARY_TOP, left.size()) ? "," : "");
        }
        int others = left.size() - Math.min(SUMMARY_TOP, left.size());
        if (others > 0) {
            line.append(" and ").append(others).append(" more client/reason pairs");
        }
        if (ended.overflow.get() > 0) {
            line.append("; ").append(ended.overflow.get()).append(" from other clients");
        }
        return line.toString();
    }

    /** The pairs seen in one interval and how many of their lines were left out. */
    static final class Window {
        final ConcurrentHashMap<String, LongAdder> seen = new ConcurrentHashMap<>();
        final AtomicLong overflow = new AtomicLong();
    }
}
