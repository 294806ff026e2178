package io.vgate.streaming;

/**
 * How far one response has got, as the relay sees it: when vLLM's head arrived, the SSE events forwarded
 * and when, and the usage vLLM reported. The relay is its only writer; the timeouts read it to find the
 * next deadline, and the data path copies it into the finished exchange's record.
 * <p>
 * Read and written on the request's event loop only, so nothing is synchronised. Updating it costs a
 * few field writes per event and allocates nothing.
 */
public final class RelayProgress {

    private long responseHeadNanos;
    private boolean streaming;
    private int events;
    private long firstEventNanos;
    private long firstTokenNanos;
    private long lastEventNanos;
    private long maxEventGapNanos;
    private long promptTokens = -1;
    private long completionTokens = -1;
    private boolean wantsModel;
    private String servedModel;
    private String finishReason;
    private String upstreamFailure;

    /**
     * Asks the relay to read the model that served the request from vLLM's answer (a JSON body's, or the
     * first stream chunk's, {@code model}); set when the client named none, so the metrics can.
     */
    public void readServedModel() {
        this.wantsModel = true;
    }

    /** The model vLLM named in its answer, when {@link #readServedModel()} asked for it; else {@code null}. */
    public String servedModel() {
        return servedModel;
    }

    boolean wantsModel() {
        return wantsModel && servedModel == null;
    }

    void servedModel(String model) {
        this.servedModel = model;
    }

    /** {@link System#nanoTime()} when vLLM's response head arrived, or 0 before that. */
    public long responseHeadNanos() {
        return responseHeadNanos;
    }

    /** True when vLLM's answer is an SSE stream (known once its head arrived). */
    public boolean streaming() {
        return streaming;
    }

    /** SSE events forwarded so far. */
    public int events() {
        return events;
    }

    /** Nanos when the first SSE event was forwarded, or 0. */
    public long firstEventNanos() {
        return firstEventNanos;
    }

    /**
     * Nanos when the first event carrying output was forwarded: the first event of a chat or completion
     * stream, the first output delta of a Responses or Messages stream; the first event when no event carried
     * output, and 0 before any event.
     */
    public long firstTokenNanos() {
        return firstTokenNanos != 0 ? firstTokenNanos : firstEventNanos;
    }

    /** Nanos when the last SSE event was forwarded, or 0. */
    public long lastEventNanos() {
        return lastEventNanos;
    }

    /** Longest pause between two consecutive forwarded events, in nanoseconds (0 with fewer than two). */
    public long maxEventGapNanos() {
        return maxEventGapNanos;
    }

    /** Prompt tokens vLLM reported, or -1 if it reported none. */
    public long promptTokens() {
        return promptTokens;
    }

    /** Completion tokens vLLM reported, or -1 if it reported none. */
    public long completionTokens() {
        return completionTokens;
    }

    /**
     * Why vLLM's generation ended, as its answer said ({@code stop}, {@code length}, {@code tool_calls}, …; see
     * {@link FinishReasons}): the last one a stream chunk or the body named, or {@code null}.
     */
    public String finishReason() {
        return finishReason;
    }

    /**
     * What vLLM did wrong after its head arrived, or {@code null}: {@link #STREAM_CUT} (the connection broke
     * before {@code [DONE]}, or a body before its end) or {@link #ERROR_EVENT} (an in-band {@code data:
     * {"error":…}} event). Never set for vgate's own abort of the upstream request.
     */
    public String upstreamFailure() {
        return upstreamFailure;
    }

    /** {@link #upstreamFailure()}: vLLM broke the connection in the middle of its answer. */
    public static final String STREAM_CUT = "upstream_reset";
    /** {@link #upstreamFailure()}: vLLM reported an error inside a stream that had begun with 200. */
    public static final String ERROR_EVENT = "error_event";

    void finishReason(String reason) {
        this.finishReason = reason;
    }

    void upstreamFailure(String failure) {
        if (upstreamFailure == null) {
            this.upstreamFailure = failure;
        }
    }

    void head(boolean stream) {
        this.streaming = stream;
        this.responseHeadNanos = System.nanoTime();
    }

    void event() {
        long now = System.nanoTime();
        if (events == 0) {
            firstEventNanos = now;
        } else if (now - lastEventNanos > maxEventGapNanos) {
            maxEventGapNanos = now - lastEventNanos;
        }
        lastEventNanos = now;
        events++;
    }

    /** The event just counted by {@link #event()} carried output. */
    void token() {
        if (firstTokenNanos == 0) {
            firstTokenNanos = lastEventNanos;
        }
    }

    void usage(long prompt, long completion) {
        this.promptTokens = prompt;
        this.completionTokens = completion;
    }
}
