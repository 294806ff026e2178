package io.vgate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.ContextInternal;
import java.util.concurrent.ScheduledFuture;
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

    private static final String DONE_EVENT = "data: [DONE]\n\n";

    /** One sequence: a choice of the answer, a child request of vLLM's parent request. */
    static final class Choice {
        final int index;
        final int promptLen;
        final int maxTokens;
        final TokenSource source;
        final StringBuilder text = new StringBuilder(64);
        int emitted;
        int generated;
        String finishReason;
        String stopReason;
        long finishNanos;
        // Engine bookkeeping, changed under the engine lock.
        boolean reported;
        int blocks;
        int capacity;
        boolean released;

        Choice(int index, int promptLen, int maxTokens, TokenSource source) {
            this.index = index;
            this.promptLen = promptLen;
            this.maxTokens = maxTokens;
            this.source = source;
        }

        boolean finished() {
            return finishReason != null;
        }
    }

    final Choice[] choices;
    volatile State state = State.NEW;
    int liveSeqs;
    boolean preempted;

    private final SimEngine engine;
    private final SimSettings settings;
    private final SimMetrics metrics;
    private final ContextInternal ctx;
    private final HttpServerResponse response;
    private final Kind kind;
    private final boolean stream;
    private final boolean includeUsage;
    private final boolean continuousUsage;
    private final String id;
    private final long created;
    private final String model;
    private final int usagePromptTokens;
    private final int prefillTokens;
    private final int paramN;
    private final int paramMaxTokens;
    private final String[] stops;
    private final boolean includeStopStr;
    private final int holdBack;
    private final int maxModelLen;
    private final int resetAfterEvents;
    private final int errorAfterEvents;
    /** When the engine got the request, after validation and tokenization (vLLM's {@code arrival_time}). */
    private long arrivalNanos;

    private final String chunkHead;

    private volatile boolean started;
    private long scheduledNanos = -1;
    private long admittedNanos;
    private long firstTokenNanos = -1;
    private long prevDue;
    private long nextDue;
    private int events;
    private boolean drainHandlerSet;
    private volatile ScheduledFuture<?> timer;

    GenerationJob(Builder b) {
        this.engine = b.engine;
        this.settings = b.settings;
        this.metrics = b.metrics;
        this.ctx = b.ctx;
        this.response = b.response;
        this.kind = b.kind;
        this.stream = b.stream;
        this.includeUsage = b.includeUsage;
        this.continuousUsage = b.continuousUsage;
        this.id = b.id;
        this.created = b.created;
        this.model = b.model;
        this.choices = b.choices;
        this.usagePromptTokens = b.usagePromptTokens;
        this.prefillTokens = b.prefillTokens;
        this.paramN = b.paramN;
        this.paramMaxTokens = b.paramMaxTokens;
        this.stops = b.stops;
        this.includeStopStr = b.includeStopStr;
        int longest = 0;
        for (String s : stops) {
            longest = Math.max(longest, s.length());
        }
        this.holdBack = (stops.length > 0 && !includeStopStr) ? longest - 1 : 0;
        this.maxModelLen = settings.maxModelLen();
        this.resetAfterEvents = settings.faults().resetAfterEvents();
        this.errorAfterEvents = settings.faults().errorAfterEvents();
        StringBuilder head = new StringBuilder(128).append("data: {\"id\":");
        Json.str(head, id)
                .append(kind == Kind.CHAT ? ",\"object\":\"chat.completion.chunk\"" : ",\"object\":\"text_completion\"")
                .append(",\"created\":")
                .append(created)
                .append(",\"model\":");
        Json.str(head, model).append(",\"choices\":[");
        this.chunkHead = head.toString();
    }

    ContextInternal context() {
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
            if (resetAfterEvents == 0) {
                resetConnection();
                return;
            }
            if (errorAfterEvents == 0) {
                failInStream();
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
                * (settings.timeToFirstTokenNanos()
                        + (double) prefill * settings.prefillTimePerTokenNanos()
                        + (prefillSteps - 1) * (double) settings.interTokenLatencyNanos()));
        if (!preempted) {
            ttft += settings.faults().slowFirstTokenNanos();
        }
        nextDue = admittedNanos + ttft;
        pump();
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
                    SimHandlers.sendError(
                            response, new SimError(500, "InternalServerError", String.valueOf(e.getMessage()), null));
                }
            }
            abort();
        }
    }

    private void pumpDue() {
        ScheduledFuture<?> pending = timer;
        if (pending != null) {
            pending.cancel(false);
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
                // Runs on the connection's event loop thread, where writes need no Vert.x context dispatch.
                timer = ctx.nettyEventLoop().schedule(this::pump, delay, TimeUnit.NANOSECONDS);
                return;
            }
            if (!step(nextDue, now)) {
                return;
            }
        }
    }

    void cancelTimer() {
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
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
        Cut cut = Cut.NONE;
        if (first) {
            firstTokenNanos = due;
            double ttft = (due - arrivalNanos) / 1e9;
            for (Choice c : choices) {
                metrics.timeToFirstToken.observe(ttft);
                metrics.promptTokens.inc(c.promptLen);
                // Prefix caching is on by default: every prompt token is looked up; the simulator never hits.
                metrics.prefixCacheQueries.inc(c.promptLen);
            }
            metrics.requestParamsN.observe(paramN);
            metrics.requestParamsMaxTokens.observe(paramMaxTokens);
            if (stream && kind == Kind.CHAT) {
                for (Choice c : choices) {
                    cut = event(out, roleChunk(c));
                    if (cut != Cut.NONE) {
                        break;
                    }
                }
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
                produce(c);
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
            nextDue = due + (long) (engine.loadFactor() * itlNanos);
            // A merged step that needs a new KV block ends the merge; the next step asks the scheduler for it.
            if (allFinished || !merge || nextDue > now || needsBlock()) {
                break;
            }
            due = nextDue;
        }
        if (stream) {
            for (Choice c : choices) {
                if (cut != Cut.NONE) {
                    break;
                }
                if (c.reported) {
                    continue;
                }
                String delta = takeDelta(c);
                if (c.finished()) {
                    c.reported = true;
                    cut = event(out, contentChunk(c, delta));
                } else if (!delta.isEmpty()) {
                    cut = event(out, contentChunk(c, delta));
                }
            }
            if (allFinished && cut == Cut.NONE && includeUsage) {
                cut = event(out, usageChunk());
            }
        }
        if (cut == Cut.RESET) {
            response.write(Buffer.buffer(out.toString()));
            resetConnection();
            return false;
        }
        // The engine lets go of a finished request before its last bytes leave, as vLLM's engine does, so that a
        // client reading the simulator's state right after the answer sees the slot free.
        if (cut == Cut.ERROR) {
            for (Choice c : choices) {
                if (!c.finished()) {
                    c.finishReason = "error";
                    c.finishNanos = due;
                }
            }
            completeNormally();
            out.append(errorEvent()).append(DONE_EVENT);
            response.end(Buffer.buffer(out.toString()));
            return false;
        }
        if (allFinished) {
            if (!stream && resetAfterEvents >= 0) {
                resetConnection();
                return false;
            }
            completeNormally();
            if (stream) {
                out.append(DONE_EVENT);
                response.end(Buffer.buffer(out.toString()));
            } else {
                response.putHeader("content-type", "application/json");
                response.end(kind == Kind.CHAT ? chatBody() : completionBody());
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
            if (!c.finished() && c.promptLen + c.generated + 1 > c.capacity) {
                return true;
            }
        }
        return false;
    }

    /** Generates the next token of one sequence and decides whether it finishes. */
    private void produce(Choice c) {
        String piece = c.source.next();
        c.generated++;
        if (piece == null) {
            // The end-of-sequence token counts as a generated token but adds no text.
            c.finishReason = "stop";
            return;
        }
        int before = c.text.length();
        c.text.append(piece);
        if (stops.length > 0 && matchStop(c, before)) {
            return;
        }
        if (c.generated >= c.maxTokens || c.promptLen + c.generated >= maxModelLen) {
            c.finishReason = "length";
        }
    }

    /** vLLM's stop-string check: the first stop string (in request order) found in the new text ends the sequence. */
    private boolean matchStop(Choice c, int before) {
        for (String stop : stops) {
            int from = Math.max(0, before - stop.length() + 1);
            int at = c.text.indexOf(stop, from);
            if (at >= 0) {
                c.text.setLength(includeStopStr ? at + stop.length() : at);
                c.emitted = Math.min(c.emitted, c.text.length());
                c.finishReason = "stop";
                c.stopReason = stop;
                return true;
            }
        }
        return false;
    }

    /** New visible text of a sequence; while it runs, the last characters that could start a stop string wait. */
    private String takeDelta(Choice c) {
        int end = c.text.length();
        if (!c.finished() && holdBack > 0) {
            end = Math.max(c.emitted, end - holdBack);
            if (end > c.emitted && end < c.text.length() && Character.isHighSurrogate(c.text.charAt(end - 1))) {
                end--;
            }
        }
        String delta = c.text.substring(c.emitted, end);
        c.emitted = end;
        return delta;
    }

    private enum Cut {
        NONE,
        RESET,
        ERROR
    }

    private Cut event(StringBuilder out, CharSequence data) {
        out.append(data);
        events++;
        if (resetAfterEvents > 0 && events >= resetAfterEvents) {
            return Cut.RESET;
        }
        if (errorAfterEvents > 0 && events >= errorAfterEvents) {
            return Cut.ERROR;
        }
        return Cut.NONE;
    }

    private void completeNormally() {
        for (Choice c : choices) {
            if (!c.released) {
                recordFinished(c);
            }
        }
        cancelTimer();
        engine.complete(this, false);
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
        engine.end();
    }

    private void resetConnection() {
        // For HTTP/1.1 a reset closes the connection without ending the chunked body.
        response.reset();
        abort();
    }

    /** The error-after-events fault at 0 events: the stream fails right after its headers. */
    private void failInStream() {
        response.end(Buffer.buffer(errorEvent() + DONE_EVENT));
        long now = System.nanoTime();
        for (Choice c : choices) {
            c.finishReason = "error";
            c.finishNanos = now;
            recordFinished(c);
        }
        engine.complete(this, false);
        engine.end();
    }

    private void recordFinished(Choice c) {
        metrics.success(c.finishReason);
        long end = c.finishNanos;
        metrics.e2eRequestLatency.observe(seconds(end - arrivalNanos));
        metrics.requestQueueTime.observe(seconds((scheduledNanos >= 0 ? scheduledNanos : end) - arrivalNanos));
        metrics.requestPromptTokens.observe(c.promptLen);
        metrics.requestGenerationTokens.observe(c.generated);
        metrics.requestMaxNumGenerationTokens.observe(c.maxTokens);
        if (firstTokenNanos >= 0) {
            metrics.requestPrefillTime.observe(seconds(firstTokenNanos - scheduledNanos));
            metrics.requestDecodeTime.observe(seconds(end - firstTokenNanos));
            metrics.requestInferenceTime.observe(seconds(end - scheduledNanos));
            if (c.generated > 1) {
                metrics.requestTimePerOutputToken.observe(seconds(end - firstTokenNanos) / (c.generated - 1));
            }
        }
    }

    private static double seconds(long nanos) {
        return Math.max(0, nanos) / 1e9;
    }

    // ---- wire format -------------------------------------------------------------------------------------------

    private CharSequence roleChunk(Choice c) {
        StringBuilder sb = new StringBuilder(chunkHead.length() + 128)
                .append(chunkHead)
                .append("{\"index\":")
                .append(c.index)
                .append(
                        ",\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]");
        if (continuousUsage) {
            usage(sb.append(",\"usage\":"), usagePromptTokens, 0, false);
        }
        return sb.append(",\"prompt_token_ids\":null}\n\n");
    }

    private CharSequence contentChunk(Choice c, String delta) {
        StringBuilder sb = new StringBuilder(chunkHead.length() + 128 + delta.length())
                .append(chunkHead)
                .append("{\"index\":")
                .append(c.index);
        if (kind == Kind.CHAT) {
            Json.str(sb.append(",\"delta\":{\"content\":"), delta).append("},\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason);
            if (c.finished()) {
                Json.strOrNull(sb.append(",\"stop_reason\":"), c.stopReason);
            }
            sb.append("}]");
            if (continuousUsage) {
                usage(sb.append(",\"usage\":"), usagePromptTokens, c.generated, false);
            }
        } else {
            Json.str(sb.append(",\"text\":"), delta).append(",\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason);
            Json.strOrNull(sb.append(",\"stop_reason\":"), c.stopReason)
                    .append(",\"prompt_token_ids\":null,\"token_ids\":null}],\"usage\":");
            if (continuousUsage) {
                usage(sb, usagePromptTokens, c.generated, false);
            } else {
                sb.append("null");
            }
        }
        return sb.append("}\n\n");
    }

    private CharSequence usageChunk() {
        StringBuilder sb =
                new StringBuilder(chunkHead.length() + 96).append(chunkHead).append("],\"usage\":");
        return usage(sb, usagePromptTokens, completionTokens(), false).append("}\n\n");
    }

    private String errorEvent() {
        return "data: "
                + new SimError(
                                500,
                                "InternalServerError",
                                "Injected failure (vLLM simulator fault: error-after-events).",
                                null)
                        .body()
                + "\n\n";
    }

    private int completionTokens() {
        int total = 0;
        for (Choice c : choices) {
            total += c.generated;
        }
        return total;
    }

    /** {@code usage} in pydantic field order: prompt, total, completion (details only in full responses). */
    private static StringBuilder usage(StringBuilder sb, int prompt, int completion, boolean details) {
        sb.append("{\"prompt_tokens\":")
                .append(prompt)
                .append(",\"total_tokens\":")
                .append(prompt + completion)
                .append(",\"completion_tokens\":")
                .append(completion);
        if (details) {
            sb.append(",\"prompt_tokens_details\":null");
        }
        return sb.append('}');
    }

    private String chatBody() {
        StringBuilder sb = new StringBuilder(256 + 64 * choices.length);
        sb.append("{\"id\":");
        Json.str(sb, id)
                .append(",\"object\":\"chat.completion\",\"created\":")
                .append(created)
                .append(",\"model\":");
        Json.str(sb, model).append(",\"choices\":[");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"index\":").append(c.index).append(",\"message\":{\"role\":\"assistant\",\"content\":");
            Json.str(sb, c.text)
                    .append(",\"refusal\":null,\"annotations\":null,\"audio\":null,\"function_call\":null,"
                            + "\"reasoning\":null},\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason).append(",\"stop_reason\":");
            Json.strOrNull(sb, c.stopReason).append(",\"token_ids\":null}");
        }
        sb.append("],\"service_tier\":null,\"system_fingerprint\":null,\"usage\":");
        usage(sb, usagePromptTokens, completionTokens(), true);
        return sb.append(",\"prompt_logprobs\":null,\"prompt_token_ids\":null,\"kv_transfer_params\":null}")
                .toString();
    }

    private String completionBody() {
        StringBuilder sb = new StringBuilder(256 + 64 * choices.length);
        sb.append("{\"id\":");
        Json.str(sb, id)
                .append(",\"object\":\"text_completion\",\"created\":")
                .append(created)
                .append(",\"model\":");
        Json.str(sb, model).append(",\"choices\":[");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"index\":").append(c.index).append(",\"text\":");
            Json.str(sb, c.text).append(",\"logprobs\":null,\"finish_reason\":");
            Json.strOrNull(sb, c.finishReason).append(",\"stop_reason\":");
            Json.strOrNull(sb, c.stopReason)
                    .append(",\"token_ids\":null,\"prompt_logprobs\":null,\"prompt_token_ids\":null}");
        }
        sb.append("],\"service_tier\":null,\"system_fingerprint\":null,\"usage\":");
        usage(sb, usagePromptTokens, completionTokens(), true);
        return sb.append(",\"kv_transfer_params\":null}").toString();
    }

    /** Everything a job needs, gathered by the request handler. */
    static final class Builder {
        SimEngine engine;
        SimSettings settings;
        SimMetrics metrics;
        ContextInternal ctx;
        HttpServerResponse response;
        Kind kind;
        boolean stream;
        boolean includeUsage;
        boolean continuousUsage;
        String id;
        long created;
        String model;
        Choice[] choices;
        int usagePromptTokens;
        int prefillTokens;
        int paramN;
        int paramMaxTokens;
        String[] stops = new String[0];
        boolean includeStopStr;

        GenerationJob build() {
            return new GenerationJob(this);
        }
    }
}
