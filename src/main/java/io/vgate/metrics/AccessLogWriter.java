package io.vgate.metrics;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jboss.logging.Logger;

/**
 * The access log's buffer and its writer thread: event loops {@link #offer} finished exchanges to a bounded
 * lock-free queue and return at once; one daemon thread ({@value #THREAD_NAME}) takes them in batches and
 * hands each to {@link Lines}, which builds and writes the line.
 * <p>
 * Nothing wakes the writer per line (a wake-up is a system call on the event loop): it drains the queue, then
 * sleeps {@link #IDLE_PARK} before looking again, so at any load it runs at most about a hundred times a
 * second, each time with every line waiting. A full queue drops the line and counts it ({@link #dropped()});
 * the writer reports drops as a warning at most every {@link #DROP_WARNING_INTERVAL}.
 * <p>
 * {@link #close()} writes everything still queued and stops the thread; a line offered after that is written
 * by its caller, so a clean stop loses nothing.
 */
final class AccessLogWriter implements AutoCloseable {

    /** Name of the writer thread. */
    static final String THREAD_NAME = "vgate-access-log";

    /** How long the writer sleeps when it finds the queue empty. */
    static final Duration IDLE_PARK = Duration.ofMillis(10);

    static final Duration DROP_WARNING_INTERVAL = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(AccessLogWriter.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /** Builds and writes lines; called by one thread at a time. */
    interface Lines {

        /** Builds the line of {@code exchange}, which ended at {@code epochMillis}, and writes or buffers it. */
        void add(ExchangeRecord exchange, long epochMillis) throws IOException;

        /** Writes what {@link #add} buffered: the queue is empty for now. */
        void flush() throws IOException;

        /**
         * After {@link #add} or {@link #flush} failed: forgets every line added and not yet written (the
         * failing one included) and returns how many they were.
         */
        int discard();
    }

    private final Queue<ExchangeRecord> queue;
    private final int capacity;
    private final Lines lines;
    private final Thread thread;
    private final LongAdder dropped = new LongAdder();
    private volatile boolean closed;
    private long droppedReported;
    private long lastDropWarning = System.nanoTime() - DROP_WARNING_INTERVAL.toNanos();
    private long lastFailureWarning = System.nanoTime() - DROP_WARNING_INTERVAL.toNanos();

    AccessLogWriter(int capacity, Lines lines) {
        if (capacity < 1) {
            throw new IllegalArgumentException("vgate.metrics.access-log-buffer must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        // Netty's bounded MPSC array queue (JCTools), as Netty's event loops use for their tasks: a lock-free
        // offer that allocates nothing, where ArrayBlockingQueue would share a lock with the writer.
        this.queue = PlatformDependent.newFixedMpscQueue(Math.max(2, capacity));
        this.lines = lines;
        this.thread = Thread.ofPlatform().name(THREAD_NAME).daemon().unstarted(this::run);
        thread.start();
    }

    /**
     * Queues the line of {@code exchange}; false (and counted) when the queue is full. Never blocks while the
     * writer runs.
     */
    boolean offer(ExchangeRecord exchange) {
        if (closed) {
            // Only in the moments of a stop: the writer is gone, so the caller writes (this and any straggler).
            boolean queued = queue.offer(exchange);
            drain();
            if (!queued) {
                synchronized (this) {
                    write(exchange);
                }
            }
            return true;
        }
        if (queue.offer(exchange)) {
            return true;
        }
        dropped.increment();
        return false;
    }

    /** Lines dropped so far because the queue was full. */
    long dropped() {
        return dropped.sum();
    }

    /** Writes every queued line, then stops the writer thread. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(CLOSE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }

    private void run() {
        while (true) {
            boolean stopping = closed;
            if (drain() == 0) {
                if (stopping) {
                    return;
                }
                LockSupport.parkNanos(this, IDLE_PARK.toNanos());
            }
            reportDrops();
        }
    }

    /** Builds and writes every queued line; returns how many. */
    synchronized int drain() {
        long wall = System.currentTimeMillis();
        long now = System.nanoTime();
        int count = 0;
        ExchangeRecord exchange;
        while ((exchange = queue.poll()) != null) {
            add(exchange, wall - TimeUnit.NANOSECONDS.toMillis(now - exchange.endNanos()));
            count++;
        }
        if (count > 0) {
            try {
                lines.flush();
            } catch (IOException | RuntimeException e) {
                failed(e);
            }
        }
        return count;
    }

    private void write(ExchangeRecord exchange) {
        add(exchange, System.currentTimeMillis());
        try {
            lines.flush();
        } catch (IOException | RuntimeException e) {
            failed(e);
        }
    }

    private void add(ExchangeRecord exchange, long epochMillis) {
        try {
            lines.add(exchange, epochMillis);
        } catch (IOException | RuntimeException e) {
            failed(e);
        }
    }

    /** The output failed: the lines it held are lost; counted as dropped, reported now and then. */
    private void failed(Exception e) {
        dropped.add(lines.discard());
        long now = System.nanoTime();
        if (now - lastFailureWarning >= DROP_WARNING_INTERVAL.toNanos()) {
            lastFailureWarning = now;
            LOG.warnf("Could not write access lines (counted as dropped): %s", e.toString());
        }
    }

    private void reportDrops() {
        long now = System.nanoTime();
        if (now - lastDropWarning < DROP_WARNING_INTERVAL.toNanos()) {
            return;
        }
        long total = dropped.sum();
        if (total > droppedReported) {
            LOG.warnf(
                    "Dropped %d access lines: the access log's buffer (%d lines, vgate.metrics.access-log-buffer) "
                            + "was full, the log output is slower than the requests",
                    total - droppedReported, capacity);
            droppedReported = total;
            lastDropWarning = now;
        }
    }
}
