package io.vgate.sim;

import io.vgate.sim.SimulatorConfig.SchedulingPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated scheduler: continuous batching of at most {@code max-num-seqs} sequences, an unbounded waiting queue
 * ordered by the scheduling policy, and a paged KV cache of {@code kv-cache-tokens} in blocks of {@value #BLOCK_SIZE}.
 *
 * <p>Only bookkeeping lives here, under one short lock; the timeline of each request (prefill, tokens, timers, writes)
 * runs on its connection's event loop in {@link GenerationJob}. Admission happens at arrival and whenever sequences
 * finish. A request's {@code n} choices are separate sequences, as vLLM's child requests are. When a growing sequence
 * needs a KV block and none is free, a running request is preempted (recompute): its blocks are freed, it goes back
 * to the queue, and the client only sees a stall.</p>
 *
 * <p>The two scheduling policies are vLLM V1's ({@code --scheduling-policy}):</p>
 * <ul>
 *   <li>{@code fcfs}: the queue is in arrival order; the victim of a preemption is the most recently admitted
 *       request, and it goes back to the front of the queue;</li>
 *   <li>{@code priority}: the queue is ordered by {@code priority} (lower first), then by arrival; the victim is the
 *       running request with the highest {@code priority} value, the latest arrival among equals, and it goes back
 *       to the queue in its place by the same order.</li>
 * </ul>
 * <p>Either way the head of the queue is admitted first: a head that does not fit blocks the requests behind it.</p>
 */
final class SimEngine {

    /** Tokens per KV block (vLLM's default {@code --block-size}). */
    static final int BLOCK_SIZE = 16;

    private final SimSettings settings;
    private final Object lock = new Object();
    /** Waiting requests, the next to admit first. */
    private final ArrayList<GenerationJob> waiting = new ArrayList<>();

    private final ArrayList<GenerationJob> running = new ArrayList<>();
    private final AtomicLong received = new AtomicLong();
    /** Arrival order, as vLLM's {@code arrival_time}; guarded by the lock. */
    private long arrivals;
    /** The policy the queue is ordered by now; guarded by the lock. */
    private SchedulingPolicy policy;

    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();
    private volatile int runningSeqs;
    private volatile int waitingSeqs;
    private volatile int usedBlocks;
    private volatile int inflight;
    private SimMetrics metrics;
    private final PrefixCache prefixCache = new PrefixCache();
    private final SimTokenizer tokenizer = SimTokenizer.instance();

    SimEngine(SimSettings settings) {
        this.settings = settings;
        this.policy = settings.schedulingPolicy();
        settings.serving().onReset(prefixCache::clear);
    }

    void metrics(SimMetrics metrics) {
        this.metrics = metrics;
    }

    int runningSeqs() {
        return runningSeqs;
    }

    int waitingSeqs() {
        return waitingSeqs;
    }

    int inflight() {
        return inflight;
    }

    long received() {
        return received.get();
    }

    long finished() {
        return finished.get();
    }

    long aborted() {
        return aborted.get();
    }

    int totalBlocks() {
        return Math.max(1, (settings.kvCacheTokens() + BLOCK_SIZE - 1) / BLOCK_SIZE);
    }

    double kvCacheUsage() {
        return Math.min(1.0, usedBlocks / (double) totalBlocks());
    }

    static int blocksFor(int tokens) {
        return (tokens + BLOCK_SIZE - 1) / BLOCK_SIZE;
    }

    /**
     * The latency multiplier for the current batch: 1 with one running sequence, rising linearly to
     * {@code time-factor-under-load} when {@code max-num-seqs} run, divided by the GPU's speed.
     */
    double loadFactor() {
        return loadFactor(runningSeqs, settings.maxNumSeqs(), settings.timeFactorUnderLoad()) / settings.gpuSpeed();
    }

    static double loadFactor(int runningSeqs, int maxNumSeqs, double timeFactorUnderLoad) {
        if (maxNumSeqs <= 1 || timeFactorUnderLoad == 1.0) {
            return 1.0;
        }
        int seqs = Math.min(runningSeqs, maxNumSeqs);
        return 1.0 + (timeFactorUnderLoad - 1.0) * Math.max(0, seqs - 1) / (maxNumSeqs - 1);
    }

    /**
     * The prefix-cache lookup vLLM's scheduler makes when it first schedules a request: every prompt token is a query,
     * and the prompt's leading blocks found cached are hits whose prefill is skipped. The {@code n} sequences of one
     * prompt look it up one after the other, so all but the first find the blocks the first one cached. With prefix
     * caching off nothing is looked up or counted.
     *
     * @param prompts the request's distinct prompts (text, or token ids); null when the request has none to cache
     * @param salt the request's {@code cache_salt}, or null
     * @param choices the request's sequences, {@code seqsPerPrompt} per prompt in order
     * @param seqsPerPrompt sequences per prompt ({@code n})
     * @return the prompt tokens whose prefill is skipped (the first sequence's hits of every prompt)
     */
    int prefixLookup(java.util.List<PromptReader.Prompt> prompts, String salt, Choice[] choices, int seqsPerPrompt) {
        if (!settings.serving().enablePrefixCaching()) {
            prefixCache.clear();
            return 0;
        }
        int queries = 0;
        for (Choice c : choices) {
            queries += c.promptLen;
        }
        metrics.prefixCacheQueries.inc(queries);
        if (prompts == null || prompts.isEmpty()) {
            return 0;
        }
        int skipped = 0;
        int hits = 0;
        int perPrompt = Math.max(1, seqsPerPrompt);
        for (PromptReader.Prompt p : prompts) {
            int[] ids = p.ids != null ? p.ids : tokenizer.encode(p.text, false);
            int first = prefixCache.lookup(ids, salt, totalBlocks());
            skipped += first;
            hits += first + (perPrompt - 1) * (Math.max(0, ids.length - 1) / BLOCK_SIZE * BLOCK_SIZE);
        }
        metrics.prefixCacheHits.inc(hits);
        return skipped;
    }

    /** A request entered processing (counted by {@code /load} and {@link #awaitIdle}). */
    void begin() {
        synchronized (lock) {
            inflight++;
        }
    }

    /** A request left processing. */
    void end() {
        synchronized (lock) {
            inflight--;
            if (inflight == 0) {
                lock.notifyAll();
            }
        }
    }

    /**
     * Queues a job, admitting it at once when nothing waits ahead of it and it fits.
     *
     * @return true when admitted; the caller then starts it
     */
    boolean submit(GenerationJob job) {
        received.incrementAndGet();
        List<GenerationJob> admitted;
        boolean self;
        synchronized (lock) {
            job.liveSeqs = job.choices.length;
            job.arrival = arrivals++;
            if (waiting.isEmpty() && fits(job)) {
                admitLocked(job, System.nanoTime());
                return true;
            }
            job.state = GenerationJob.State.QUEUED;
            enqueueLocked(job);
            waitingSeqs += job.liveSeqs;
            // Under the priority policy the newcomer may now head the queue, and it may fit where the old head did not.
            admitted = policy == SchedulingPolicy.PRIORITY ? admitWaitingLocked() : null;
            self = admitted != null && admitted.remove(job);
        }
        dispatch(admitted);
        return self;
    }

    /**
     * Makes sure every live sequence of the job has KV room for its next token, preempting newer requests if needed.
     *
     * @return false when the job is no longer running (preempted, finished or aborted)
     */
    boolean grow(GenerationJob job) {
        List<GenerationJob> preempted = null;
        synchronized (lock) {
            if (job.state != GenerationJob.State.RUNNING) {
                return false;
            }
            int extra = 0;
            for (Choice c : job.choices) {
                if (!c.released) {
                    extra += blocksFor(c.promptLen + c.generated + 1) - c.blocks;
                }
            }
            if (extra > 0) {
                int total = totalBlocks();
                while (usedBlocks + extra > total && running.size() > 1) {
                    GenerationJob victim = victimLocked();
                    preemptLocked(victim);
                    if (preempted == null) {
                        preempted = new ArrayList<>(2);
                    }
                    preempted.add(victim);
                    if (victim == job) {
                        break;
                    }
                }
                if (job.state == GenerationJob.State.RUNNING) {
                    allocateLocked(job);
                }
            }
        }
        if (preempted != null) {
            for (GenerationJob victim : preempted) {
                victim.cancelTimer();
            }
        }
        return job.state == GenerationJob.State.RUNNING;
    }

    /** One sequence of a running job finished: its slot and blocks go back, waiting requests may be admitted. */
    void release(GenerationJob job, Choice choice) {
        List<GenerationJob> admitted;
        synchronized (lock) {
            if (choice.released || job.state != GenerationJob.State.RUNNING) {
                return;
            }
            choice.released = true;
            job.liveSeqs--;
            runningSeqs--;
            usedBlocks -= choice.blocks;
            choice.blocks = 0;
            admitted = admitWaitingLocked();
        }
        dispatch(admitted);
    }

    /** The job ended (finished or aborted): it leaves the queue or the batch, with all it holds. */
    void complete(GenerationJob job, boolean abort) {
        List<GenerationJob> admitted;
        synchronized (lock) {
            switch (job.state) {
                case QUEUED -> {
                    waiting.remove(job);
                    waitingSeqs -= job.liveSeqs;
                }
                case RUNNING -> {
                    running.remove(job);
                    freeLocked(job);
                }
                default -> {}
            }
            job.state = abort ? GenerationJob.State.ABORTED : GenerationJob.State.DONE;
            admitted = admitWaitingLocked();
        }
        (abort ? aborted : finished).incrementAndGet();
        dispatch(admitted);
    }

    /** Limits may have grown, or the policy changed: re-order the queue and admit what now fits. */
    void settingsChanged() {
        List<GenerationJob> admitted;
        synchronized (lock) {
            SchedulingPolicy now = settings.schedulingPolicy();
            if (now != policy) {
                policy = now;
                if (policy == SchedulingPolicy.PRIORITY) {
                    waiting.sort(PRIORITY_ORDER);
                }
            }
            admitted = admitWaitingLocked();
        }
        dispatch(admitted);
    }

    /**
     * Blocks until nothing is queued, running or being answered.
     *
     * @throws IllegalStateException on an event-loop thread, or when the timeout passes first
     */
    void awaitIdle(Duration timeout) {
        if (io.vertx.core.Context.isOnEventLoopThread()) {
            throw new IllegalStateException("awaitIdle must not block an event loop");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (inflight > 0 || runningSeqs > 0 || waitingSeqs > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException(new TimeoutException("simulator not idle after " + timeout
                            + ": inflight=" + inflight + " running=" + runningSeqs + " waiting=" + waitingSeqs));
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private boolean fits(GenerationJob job) {
        if (running.isEmpty()) {
            // An oversized request must still run alone rather than block the queue forever.
            return true;
        }
        if (runningSeqs + job.liveSeqs > settings.maxNumSeqs()) {
            return false;
        }
        int need = 0;
        for (Choice c : job.choices) {
            if (!c.released) {
                need += blocksFor(c.promptLen + c.generated + 1);
            }
        }
        return usedBlocks + need <= totalBlocks();
    }

    private void admitLocked(GenerationJob job, long now) {
        running.add(job);
        runningSeqs += job.liveSeqs;
        allocateLocked(job);
        job.admitted(now);
    }

    private void allocateLocked(GenerationJob job) {
        int used = usedBlocks;
        for (Choice c : job.choices) {
            if (!c.released) {
                int need = blocksFor(c.promptLen + c.generated + 1);
                if (need > c.blocks) {
                    used += need - c.blocks;
                    c.blocks = need;
                }
                c.capacity = c.blocks * BLOCK_SIZE;
            }
        }
        usedBlocks = used;
    }

    private void freeLocked(GenerationJob job) {
        int used = usedBlocks;
        for (Choice c : job.choices) {
            used -= c.blocks;
            c.blocks = 0;
            c.capacity = 0;
        }
        usedBlocks = used;
        runningSeqs -= job.liveSeqs;
    }

    /** The running request to preempt: the newest under FCFS, the least urgent under the priority policy. */
    private GenerationJob victimLocked() {
        if (policy == SchedulingPolicy.PRIORITY) {
            GenerationJob victim = running.get(0);
            for (GenerationJob candidate : running) {
                if (PRIORITY_ORDER.compare(candidate, victim) > 0) {
                    victim = candidate;
                }
            }
            return victim;
        }
        return running.get(running.size() - 1);
    }

    private void preemptLocked(GenerationJob victim) {
        running.remove(victim);
        freeLocked(victim);
        victim.state = GenerationJob.State.QUEUED;
        victim.preempted = true;
        if (policy == SchedulingPolicy.PRIORITY) {
            enqueueLocked(victim);
        } else {
            waiting.addFirst(victim);
        }
        waitingSeqs += victim.liveSeqs;
        metrics.preemptions.inc();
    }

    /** Puts a job in the queue: at the end under FCFS, in its place by priority and arrival otherwise. */
    private void enqueueLocked(GenerationJob job) {
        if (policy != SchedulingPolicy.PRIORITY) {
            waiting.addLast(job);
            return;
        }
        // After every job that goes first or ties: equal keys keep their order (the queue is short; a scan is fine).
        int at = waiting.size();
        while (at > 0 && PRIORITY_ORDER.compare(waiting.get(at - 1), job) > 0) {
            at--;
        }
        waiting.add(at, job);
    }

    private List<GenerationJob> admitWaitingLocked() {
        List<GenerationJob> admitted = null;
        long now = 0;
        while (!waiting.isEmpty()) {
            GenerationJob head = waiting.getFirst();
            if (!fits(head)) {
                break;
            }
            waiting.removeFirst();
            waitingSeqs -= head.liveSeqs;
            if (now == 0) {
                now = System.nanoTime();
            }
            admitLocked(head, now);
            if (admitted == null) {
                admitted = new ArrayList<>(4);
            }
            admitted.add(head);
        }
        return admitted;
    }

    /** vLLM's priority order: lower {@code priority} first, then earlier arrival. */
    private static final Comparator<GenerationJob> PRIORITY_ORDER =
            Comparator.<GenerationJob>comparingLong(job -> job.priority).thenComparingLong(job -> job.arrival);

    private static void dispatch(List<GenerationJob> admitted) {
        if (admitted != null) {
            for (GenerationJob job : admitted) {
                job.context().runOnContext(v -> job.start());
            }
        }
    }
}
