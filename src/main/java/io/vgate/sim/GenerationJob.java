package io.vgate.sim;

import io.vertx.core.Context;
import io.vertx.core.Timer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One chat or completion request on its way through the simulated engine, from admission to the last byte.
 *
 * <p>Everything but scheduler bookkeeping runs on the connection's event loop: a small pump emits the tokens that are
 * due, then sleeps on an event-loop timer until the next one (with zero latencies it emits everything at once, without
 * timers). Token times follow a virtual timeline (admission + time to first token, then one inter-token latency per
 * step, scaled by the load factor); a late timer catches up rather than stretching the answer. Streams respect
 * backpressure: while the write queue is full the pump waits for the drain.</p>
 *
 * <p>The bytes come from its {@link JobOutput}; the text of each sequence from its {@link Choice}; the faults that cut
 * the answer from its {@link FaultPlan}.</p>
 */
final class GenerationJob {

    /** Where the job is; changed by the engine under its lock, or on the job's event loop once it ends. */
    enum State {
        NEW,
        QUEUED,
        RUNNING,
        DONE,
        ABORTED
    }

    /** Which API answers. */
    enum Kind {
        CHAT,
        COMPLETION
    }

    private static final Logger LOG = Logger.getLogger(GenerationJob.class);
    /** After a stall longer than this (backpressure, preemption), tokens restart from now instead of bursting. */
    private static final long MAX_CATCH_UP_NANOS = 500_000_000L;
    /** A stream this far behind its timeline (plus two inter-token latencies) has its due tokens merged. */
    private static final long MERGE_AFTER_NANOS = 100_000_000L;
    /** Non-streaming answers are not visible until the end, so their timers may be coarser. */
    private static final long NON_STREAM_TIMER_NANOS = 5_000_000L;

    final Choice[] choices;
    /** vLLM's {@code priority}: lower is served first under the priority policy. */
    final long priority;

    volatile State state = State.NEW;
    int liveSeqs;
    boolean preempted;
    /** Arrival order in the engine, set by it under its lock. */
    long arrival;

    private final SimEngine engine;
    private final SimSettings settings;
    private final SimMetrics metrics;
    private final Context ctx;
    private final HttpServerResponse response;
    private final boolean stream;
    private final String id;
    private final JobOutput output;

    private final FaultPlan faults;
    private final int prefillTokens;
    private final int paramN;
    private final int paramMaxTokens;
    private final String[] stops;
    private final boolean includeStopStr;
    private final int maxModelLen;
    private final java.util.List<PromptReader.Prompt> cachePrompts;
    private final String cacheSalt;
    private boolean prefixLookedUp;
    /** When the engine got the request, after validation and tokenization (vLLM's {@code arrival_time}). */
    private long arrivalNanos;

    private volatile boolean started;
    private long scheduledNanos = -1;
    private long admittedNanos;
    private long firstTokenNanos = -1;
    private long prevDue;
    private long nextDue;
    private boolean drainHandlerSet;
    private volatile Timer timer;

    GenerationJob(GenerationRequest b) {
        this.priority = b.priority;
        this.engine = b.engine;
        this.settings = b.settings;
        this.metrics = b.metrics;
        this.ctx = b.ctx;
        this.response = b.response;
        this.stream = b.stream;
        this.id = b.id;
        this.choices = b.choices;
        this.cachePrompts = b.cachePrompts;
        this.cacheSalt = b.cacheSalt;
        this.faults = new FaultPlan(settings.faults());
        this.output = new JobOutput(b, faults);
        this.prefillTokens = b.prefillTokens;
        this.paramN = b.paramN;
        this.paramMaxTokens = b.paramMaxTokens;
        this.stops = b.stops;
        this.includeStopStr = b.includeStopStr;
        this.maxModelLen = settings.maxModelLen();
    }

    /** The context of the request's connection, where everything but scheduler bookkeeping runs. */
    Context context() {
        return ctx;
    }

    /** Takes the request: sends SSE headers at once (as vLLM's StreamingResponse does) and queues it. */
    void accept() {
        arrivalNanos = System.nanoTime();
        engine.begin();
        response.exceptionHandler(t -> {});
        response.closeHandler(v -> abort());
        if (response.closed()) {
            // The client left while its body was being read; the close handler will not fire any more.
            abort();
            return;
        }
        if (stream) {
            response.setChunked(true);
            response.putHeader("content-type", "text/event-stream; charset=utf-8");
            response.writeHead();
            if (faults.resetsAtOnce()) {
                resetConnection();
                return;
            }
            if (faults.failsAtOnce()) {
                failInStream(new StringBuilder(256));
                return;
            }
            if (!writeOpening()) {
                return;
            }
        }
        if (engine.submit(this)) {
            start();
        }
    }

    /** Called by the engine, under its lock, when the job gets its slots. */
    void admitted(long now) {
        started = false;
        admittedNanos = now;
        if (scheduledNanos < 0) {
            scheduledNanos = now;
        }
        // Written last: a stale timer that sees RUNNING also sees started == false and stays out until start().
        state = State.RUNNING;
    }

    /** Runs on the job's event loop after admission: prefill, then tokens. */
    void start() {
        if (state != State.RUNNING || started) {
            return;
        }
        started = true;
        int prefill = prefillTokens;
        if (!prefixLookedUp) {
            prefixLookedUp = true;
            // Blocks found in the prefix cache are not prefilled again; at least one token always is.
            int cached = engine.prefixLookup(cachePrompts, cacheSalt, choices, paramN);
            if (cached > 0) {
                prefill = Math.max(1, prefill - cached);
            }
        }
        if (preempted) {
            // Recompute: the prompt and everything generated so far are prefilled again.
            prefill = 0;
            for (Choice c : choices) {
                prefill = Math.max(prefill, c.promptLen + c.generated);
            }
        }
        double factor = engine.loadFactor();
        int budget = Math.max(1, settings.maxNumBatchedTokens() - Math.max(0, engine.runningSeqs() - liveSeqs));
        long prefillSteps = Math.max(1, (prefill + budget - 1) / budget);
        long ttft = (long) (factor
                * (jitter(settings.timeToFirstTokenNanos(), settings.timeToFirstTokenStdDevNanos())
                        + (double) prefill * settings.prefillTimePerTokenNanos()
                        + (prefillSteps - 1) * (double) settings.interTokenLatencyNanos()));
        if (!preempted) {
            ttft += faults.slowFirstTokenNanos();
        }
        nextDue = admittedNanos + ttft;
        pump();
    }

    /** A latency drawn from a normal distribution around {@code mean}, never negative; exactly the mean without spread. */
    private static double jitter(long mean, long stdDev) {
        if (stdDev <= 0) {
            return mean;
        }
        return Math.max(
                0, mean + java.util.concurrent.ThreadLocalRandom.current().nextGaussian() * stdDev);
    }

    /** Emits every token that is due, then waits for a timer or the write queue to drain. */
    private void pump() {
        try {
            pumpDue();
        } catch (RuntimeException e) {
            // A bug must not leave the request holding its slot forever.
            LOG.warnf(e, "Simulated request %s failed", id);
            if (!response.closed() && !response.ended()) {
                if (response.headWritten()) {
                    response.reset();
                } else {
                    SimRoutes.sendError(
                            response, new SimError(500, "InternalServerError", String.valueOf(e.getMessage()), null));
                }
            }
            abort();
        }
    }

    private void pumpDue() {
        Timer pending = timer;
        if (pending != null) {
            pending.cancel();
            timer = null;
        }
        while (state == State.RUNNING && started) {
            if (response.closed()) {
                abort();
                return;
            }
            if (stream && response.writeQueueFull()) {
                if (!drainHandlerSet) {
                    drainHandlerSet = true;
                    response.drainHandler(v -> pump());
                }
                return;
            }
            long now = System.nanoTime();
            long delay = nextDue - now;
            if (delay > 0) {
                if (!stream && delay < NON_STREAM_TIMER_NANOS) {
                    delay = NON_STREAM_TIMER_NANOS;
                }
                // A timer of the current context: it fires on the connection's event loop, precise to the nanosecond
                // (setTimer rounds to milliseconds, which would stretch sub-millisecond latencies).
                Timer next = ctx.owner().timer(delay, TimeUnit.NANOSECONDS);
                next.onSuccess(v -> pump());
                timer = next;
                return;
            }
            if (!step(nextDue, now)) {
                return;
            }
        }
    }

    void cancelTimer() {
        Timer t = timer;
        if (t != null) {
            t.cancel();
        }
    }

    /**
     * One engine step: a token for every live sequence, written as one chunk per sequence. When a stream has fallen
     * well behind its timeline (the machine is overloaded), every step that is due is taken at once and its tokens
     * share one chunk, as vLLM's API server merges outputs when it cannot keep up. Returns false once the job no
     * longer runs.
     */
    private boolean step(long due, long now) {
        if (needsBlock() && !engine.grow(this)) {
            return false;
        }
        boolean first = firstTokenNanos < 0;
        StringBuilder out = stream ? new StringBuilder(160 * choices.length) : null;
        FaultPlan.Cut cut = FaultPlan.Cut.NONE;
        if (first) {
            firstTokenNanos = due;
            metrics.firstToken(choices, (due - arrivalNanos) / 1e9, paramN, paramMaxTokens);
            if (stream) {
                cut = output.roles(out, choices);
            }
        }
        long itlNanos = settings.interTokenLatencyNanos();
        boolean merge = stream && !first && itlNanos > 0 && now - due > MERGE_AFTER_NANOS + 2 * itlNanos;
        boolean allFinished;
        while (true) {
            int tokens = 0;
            double itl = first ? 0 : (due - prevDue) / 1e9;
            allFinished = true;
            for (Choice c : choices) {
                if (c.finished()) {
                    continue;
                }
                c.produce(stops, includeStopStr, maxModelLen);
                tokens++;
                if (!first) {
                    metrics.interTokenLatency.observe(itl);
                }
                if (c.finished()) {
                    c.finishNanos = due;
                } else {
                    allFinished = false;
                }
            }
            metrics.generationTokens.inc(tokens);
            metrics.iterationTokens.observe(tokens + (first ? prefillTokens : 0));
            prevDue = due;
            first = false;
            nextDue = due + (long) (engine.loadFactor() * jitter(itlNanos, settings.interTokenLatencyStdDevNanos()));
            // A merged step that needs a new KV block ends the merge; the next step asks the scheduler for it.
            if (allFinished || !merge || nextDue > now || needsBlock()) {
                break;
            }
            due = nextDue;
        }
        if (stream) {
            cut = output.step(out, choices, allFinished, cut);
        }
        if (cut == FaultPlan.Cut.RESET) {
            response.write(Buffer.buffer(out.toString()));
            resetConnection();
            return false;
        }
        // The engine lets go of a finished request before its last bytes leave, as vLLM's engine does, so that a
        // client reading the simulator's state right after the answer sees the slot free.
        if (cut == FaultPlan.Cut.ERROR) {
            for (Choice c : choices) {
                if (!c.finished()) {
                    c.finishReason = "error";
                    c.finishNanos = due;
                }
            }
            completeNormally();
            output.failure(out);
            response.end(Buffer.buffer(out.toString()));
            return false;
        }
        if (allFinished) {
            if (!stream && faults.resetsAnswer()) {
                resetConnection();
                return false;
            }
            completeNormally();
            if (stream) {
                output.end(out);
                response.end(Buffer.buffer(out.toString()));
            } else {
                response.putHeader("content-type", "application/json");
                response.end(output.body(choices));
            }
            return false;
        }
        if (out != null && !out.isEmpty()) {
            response.write(Buffer.buffer(out.toString()));
        }
        for (Choice c : choices) {
            if (c.finished() && !c.released) {
                recordFinished(c);
                engine.release(this, c);
            }
        }
        if (nextDue < now - MAX_CATCH_UP_NANOS) {
            nextDue = now;
        }
        return true;
    }

    private boolean needsBlock() {
        for (Choice c : choices) {
            if (c.needsBlock()) {
                return true;
            }
        }
        return false;
    }

    /** A dialect's opening events, written with the headers; false when a fault ended the answer there. */
    private boolean writeOpening() {
        StringBuilder out = new StringBuilder(512);
        FaultPlan.Cut cut = output.opening(out);
        if (cut == FaultPlan.Cut.RESET) {
            response.write(Buffer.buffer(out.toString()));
            resetConnection();
            return false;
        }
        if (cut == FaultPlan.Cut.ERROR) {
            failInStream(out);
            return false;
        }
        if (!out.isEmpty()) {
            response.write(Buffer.buffer(out.toString()));
        }
        return true;
    }

    private void completeNormally() {
        for (Choice c : choices) {
            if (!c.released) {
                recordFinished(c);
            }
        }
        cancelTimer();
        engine.complete(this, false);
        output.ended(choices, false);
        engine.end();
    }

    /** The client went away (or a fault cut the connection): free everything at once and count an abort. */
    void abort() {
        if (state == State.DONE || state == State.ABORTED) {
            return;
        }
        cancelTimer();
        long now = System.nanoTime();
        for (Choice c : choices) {
            if (!c.released) {
                if (!c.finished()) {
                    c.finishReason = "abort";
                    c.finishNanos = now;
                }
                recordFinished(c);
            }
        }
        engine.complete(this, true);
        output.ended(choices, true);
        engine.end();
    }

    private void resetConnection() {
        // For HTTP/1.1 a reset closes the connection without ending the chunked body.
        response.reset();
        abort();
    }

    /**
     * The stream fails after {@code out}, the events of this batch not yet written (none for the error-after-events
     * fault at 0 events: the stream fails right after its headers); every choice finishes with {@code error}.
     */
    private void failInStream(StringBuilder out) {
        output.failure(out);
        response.end(Buffer.buffer(out.toString()));
        long now = System.nanoTime();
        for (Choice c : choices) {
            c.finishReason = "error";
            c.finishNanos = now;
            recordFinished(c);
        }
        engine.complete(this, false);
        output.ended(choices, false);
        engine.end();
    }

    private void recordFinished(Choice c) {
        metrics.finished(c, arrivalNanos, scheduledNanos, firstTokenNanos);
    }
}
