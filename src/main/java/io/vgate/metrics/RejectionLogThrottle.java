package io.vgate.metrics;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Keeps one client from flooding the log with its rejections: the first rejection of a client address and
 * reason is logged in full and opens that pair's own interval; the pair's further rejections within it are
 * only counted, and one summary line per interval says how many lines were left out, for whom. Because each
 * pair's interval starts at its own first line (not at a global tick), a flood logs exactly one line per
 * interval however it falls against the summary timer. Metrics are not affected: they count every rejection.
 * <p>
 * Memory is bounded: at most {@value #MAX_KEYS} (address, reason) pairs are tracked at once; beyond that,
 * further lines are left out and counted under "other clients". A pair is forgotten at the first summary
 * after its interval ended.
 */
@Singleton
public class RejectionLogThrottle {

    /** Logger category of the summary line (the access log's, so both are found together). */
    static final String CATEGORY = AccessLog.CATEGORY;

    static final int MAX_KEYS = 10_000;
    private static final int SUMMARY_TOP = 5;

    private static final Logger LOG = Logger.getLogger(CATEGORY);

    private final long intervalMillis;
    private final long intervalNanos;
    private final Vertx vertx;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Pair> pairs = new ConcurrentHashMap<>();
    private final AtomicLong overflow = new AtomicLong();
    private long timerId = -1;

    @Inject
    public RejectionLogThrottle(MetricsConfig config, Vertx vertx) {
        this(config, vertx, System::nanoTime);
    }

    RejectionLogThrottle(MetricsConfig config, Vertx vertx, LongSupplier clock) {
        this.intervalMillis = Math.max(0, config.rejectionLogInterval().toMillis());
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.vertx = vertx;
        this.clock = clock;
    }

    /**
     * Whether this rejection of {@code client} for {@code reason} should be logged in full: true for the
     * first one of the pair in the current interval, false (and counted) for the others.
     */
    public boolean admit(String client, String reason) {
        if (intervalMillis == 0) {
            return true;
        }
        long now = clock.getAsLong();
        String key = client + ' ' + reason;
        Pair pair = pairs.get(key);
        if (pair == null) {
            if (pairs.size() >= MAX_KEYS) {
                overflow.incrementAndGet();
                return false;
            }
            pair = pairs.putIfAbsent(key, new Pair(now));
            if (pair == null) {
                return true;
            }
        }
        return pair.admit(now, intervalNanos);
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

    /**
     * Logs one summary line of what was left out since the last one, if anything, and forgets the pairs whose
     * interval has ended.
     */
    synchronized void flush() {
        long now = clock.getAsLong();
        Map<String, Long> left = new HashMap<>();
        pairs.forEach((key, pair) -> {
            long count = pair.suppressed.sumThenReset();
            if (count > 0) {
                left.put(key, count);
            }
            if (pair.ended(now, intervalNanos)) {
                pairs.remove(key, pair);
            }
        });
        String summary = summary(left, overflow.getAndSet(0), intervalMillis);
        if (summary != null) {
            LOG.info(summary);
        }
    }

    /** The summary line of an interval, or {@code null} when no line was left out. */
    static String summary(Map<String, Long> suppressed, long overflow, long intervalMillis) {
        List<Map.Entry<String, Long>> left = new ArrayList<>(suppressed.entrySet());
        long total = overflow;
        for (var entry : left) {
            total += entry.getValue();
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
        if (overflow > 0) {
            line.append("; ").append(overflow).append(" from other clients");
        }
        return line.toString();
    }

    /** One (address, reason) pair: when its interval began and how many of its lines were left out. */
    private static final class Pair {
        private final AtomicLong start;
        final LongAdder suppressed = new LongAdder();

        Pair(long start) {
            this.start = new AtomicLong(start);
        }

        /** True when a new interval of this pair begins now (and this rejection is logged); else counts it. */
        boolean admit(long now, long intervalNanos) {
            long began = start.get();
            if (now - began >= intervalNanos && start.compareAndSet(began, now)) {
                return true;
            }
            suppressed.increment();
            return false;
        }

        boolean ended(long now, long intervalNanos) {
            return now - start.get() >= intervalNanos;
        }
    }
}
