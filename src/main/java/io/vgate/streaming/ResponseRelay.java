package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vgate.api.AnthropicErrors;
import io.vgate.api.ApiError;
import io.vgate.api.ApiErrors;
import io.vgate.api.ContentLength;

/**
 * Relays one vLLM response to the client.
 * <p>
 * A JSON body passes through with its status and bytes unchanged. An SSE stream is relayed event by
 * event: each event is written in the event-loop turn its terminating blank line arrives in, bytes unchanged,
 * never held back for a later read; each is counted in the {@link RelayProgress} first. The events that one read
 * from vLLM completes are written together, as one write of that read's own bytes (no copy); an event that
 * arrives alone is written alone, and one split across reads is written once whole. When one socket read brings
 * several of vLLM's HTTP chunks (a backlog), the first is written at once and the rest, held only until the event
 * loop ends that turn, in one more write: a backlog costs two writes and flushes, not one per event
 * ({@link ClientWrites}). The only events ever
 * dropped are those the {@link ChunkFilter} claims (the usage chunk vgate asked for on the client's behalf):
 * the write is split around them. Each read is framed, and each OpenAI event read for what the relay needs
 * ({@code [DONE]}, an error, the finish reason, the usage, the model), in one pass over its bytes
 * ({@link SseScanner}).
 * <p>
 * The client's pace sets the upstream's: when the client's write queue fills, reading from vLLM pauses
 * until it drains. If vLLM breaks a stream that has begun, the client gets one {@code data: {"error":…}}
 * event and {@code data: [DONE]}, so OpenAI clients end cleanly instead of hanging. vLLM's own in-band error
 * event is relayed unchanged and recorded as vLLM's failure ({@link RelayProgress#upstreamFailure()}).
 * <p>
 * A client that cannot take chunked encoding (HTTP/1.0) gets a close-delimited body instead: no
 * {@code Transfer-Encoding}, {@code Connection: close}, the events written as they come, and the connection
 * closed at the end. A client write that fails closes the client's connection, which ends the relay as
 * {@link RelayOutcome#CLIENT_GONE} ({@link #clientGone()}) and resets the upstream request, so vLLM aborts and the
 * exchange frees its slot; writes carry no completion handler of their own.
 * <p>
 * How the response ended is settled once, by whichever side failed first: once the relay has ended (the
 * client left, vgate gave up, vLLM finished or failed), later failures — vgate's own reset of the upstream
 * request among them — are ignored.
 * <p>
 * Routes with named events (the Responses and Anthropic Messages APIs, see {@link StreamDialect}) are relayed
 * the same way, event by event and bytes unchanged, but read by their dialect: they end at their own end
 * event (there is no {@code [DONE]}), the first output delta marks the first token, the usage comes from
 * their own events, and a stream that ends without its end event gets the dialect's error event. vgate's own
 * errors before the stream take Anthropic's shape on the Messages routes ({@link AnthropicErrors}).
 * <p>
 * One instance per response; every callback runs on the client request's event loop.
 */
public final class ResponseRelay {

    /** JSON bodies up to this size are read whole and written in one go; larger ones are piped. */
    static final int AGGREGATE_LIMIT = 256 * 1024;
    /** How much of a piped body is kept to find the usage vLLM writes near its end. */
    static final int TAIL_SIZE = 4096;

    private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");
    private static final CharSequence X_ACCEL_BUFFERING = HttpHeaders.createOptimized("X-Accel-Buffering");
    private static final CharSequence NO = HttpHeaders.createOptimized("no");
    private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");

    private final HttpClientResponse upstream;
    private final HttpServerResponse client;
    private final RelayProgress progress;
    private final RelayListener listener;
    private final ChunkFilter filter;
    private final StreamDialect dialect;
    private final boolean anthropicErrors;
    /** The reader of a named-event stream; {@code null} for OpenAI's data-only events. */
    private NamedEventStream named;
    /** Frames the stream's events and finds what the relay reads in them; {@code null} for a body. */
    private SseScanner scanner;

    /** The writes to the client: chunked or close-delimited, paced by the client, a backlog in two writes. */
    private final ClientWrites writes;
    /** The response is an SSE stream (its head is vLLM's 200 {@code text/event-stream}). */
    private boolean eventStream;

    private boolean sawDone;
    /** vLLM sent its in-band error event. */
    private boolean sawError;

    private boolean finished;

    private ResponseRelay(
            HttpClientResponse upstream,
            HttpServerResponse client,
            RelayProgress progress,
            RelayListener listener,
            ChunkFilter filter,
            StreamDialect dialect) {
        this.upstream = upstream;
        this.client = client;
        this.progress = progress;
        this.listener = listener;
        this.filter = filter;
        this.dialect = dialect;
        this.anthropicErrors = dialect.anthropicErrors();
        this.writes = new ClientWrites(upstream, client);
    }

    /**
     * Starts relaying {@code upstream} to {@code client}.
     *
     * @param progress where the relay records how far the response got
     * @param listener told once how the response ended
     * @param filter which usage chunks not to forward, or {@code null} to forward every event
     * @return the relay, which {@link #abort} can end early
     */
    public static ResponseRelay relay(
            HttpClientResponse upstream,
            HttpServerResponse client,
            RelayProgress progress,
            RelayListener listener,
            ChunkFilter filter) {
        return relay(upstream, client, progress, listener, filter, StreamDialect.OPENAI);
    }

    /**
     * Starts relaying {@code upstream} to {@code client}, read as {@code dialect}.
     *
     * @param filter which usage chunks not to forward ({@link StreamDialect#OPENAI} only), or {@code null}
     * @param dialect what kind of stream the route answers with
     * @return the relay, which {@link #abort} can end early
     */
    public static ResponseRelay relay(
            HttpClientResponse upstream,
            HttpServerResponse client,
            RelayProgress progress,
            RelayListener listener,
            ChunkFilter filter,
            StreamDialect dialect) {
        var relay = new ResponseRelay(upstream, client, progress, listener, filter, dialect);
        try {
            relay.start();
        } catch (RuntimeException e) {
            // A relay that cannot start must not hold vLLM's slot: abort the generation, let the caller answer.
            relay.finished = true;
            upstream.request().reset();
            throw e;
        }
        return relay;
    }

    /**
     * The client went away (its connection closed or reset, a write failed): resets the upstream request so
     * vLLM aborts, and ends the relay as {@link RelayOutcome#CLIENT_GONE}. A no-op once the relay has ended.
     */
    public void clientGone() {
        if (finished) {
            return;
        }
        // Set first: the reset below makes the upstream report a failure, which is vgate's doing, not vLLM's.
        finished = true;
        upstream.request().reset();
        listener.onEnd(RelayOutcome.of(true, false));
    }

    /**
     * Gives up on the response (a timeout, shutdown): closes the upstream request so vLLM aborts, and ends
     * the client's response with {@code error}: as JSON if nothing was sent yet, as one SSE error event
     * and {@code [DONE]} if a stream is under way. A no-op once the relay has finished.
     */
    public void abort(ApiError error) {
        if (finished) {
            return;
        }
        // Set first: the reset below makes the upstream report a failure, which must be ignored now.
        finished = true;
        upstream.request().reset();
        if (client.closed()) {
            listener.onEnd(RelayOutcome.of(true, false));
            return;
        }
        if (!client.headWritten()) {
            AnthropicErrors.send(client, error, anthropicErrors);
        } else if (eventStream) {
            if (named != null) {
                reportUsage(named.leftoverUsage());
            }
            if (streamEnded()) {
                endClient();
            } else {
                endStreamWithError(error);
            }
        } else {
            client.reset();
        }
        listener.onEnd(RelayOutcome.of(false, false));
    }

    private void start() {
        int status = upstream.statusCode();
        client.setStatusCode(status);
        String contentType = upstream.getHeader(HttpHeaders.CONTENT_TYPE);
        if (contentType != null) {
            client.headers().set(HttpHeaders.CONTENT_TYPE, contentType);
        }
        String retryAfter = upstream.getHeader(RETRY_AFTER);
        if (retryAfter != null) {
            client.headers().set(RETRY_AFTER, retryAfter);
        }
        upstream.exceptionHandler(this::upstreamFailed);
        boolean stream = status == 200 && contentType != null && contentType.startsWith("text/event-stream");
        progress.head(stream);
        if (stream) {
            relayStream();
        } else {
            relayBody();
        }
    }

    private void relayBody() {
        long declared = ContentLength.of(upstream.getHeader(HttpHeaders.CONTENT_LENGTH));
        if (declared >= 0 && declared <= AGGREGATE_LIMIT) {
            upstream.body().onComplete(result -> {
                if (finished) {
                    return;
                }
                if (result.failed()) {
                    upstreamFailed(result.cause());
                    return;
                }
                Buffer body = result.result();
                UsageReader.Answer answer = UsageReader.readAnswer(body);
                if (progress.wantsModel()) {
                    progress.servedModel(answer.model());
                }
                if (upstream.statusCode() == 200) {
                    progress.finishReason(FinishReasons.lastIn(body));
                }
                reportUsage(answer.usage());
                if (!client.closed()) {
                    client.end(body);
                }
                finish(RelayOutcome.of(client.closed() && !client.ended(), true));
            });
            return;
        }
        if (declared >= 0) {
            client.headers().set(HttpHeaders.CONTENT_LENGTH, Long.toString(declared));
        } else {
            writes.chunkOrDelimitByClose();
        }
        Buffer[] tail = {Buffer.buffer(TAIL_SIZE)};
        upstream.handler(chunk -> {
            tail[0] = keepTail(tail[0], chunk);
            write(chunk);
        });
        upstream.endHandler(ignored -> {
            if (finished) {
                return;
            }
            endClient();
            if (upstream.statusCode() == 200) {
                progress.finishReason(FinishReasons.lastIn(tail[0]));
            }
            reportUsage(UsageReader.readTail(tail[0]));
            finish(RelayOutcome.of(false, true));
        });
    }

    private void relayStream() {
        eventStream = true;
        writes.chunkOrDelimitByClose();
        client.headers().set(HttpHeaders.CACHE_CONTROL, NO_CACHE);
        client.headers().set(X_ACCEL_BUFFERING, NO);
        // Headers go out now, as vLLM's do.
        writes.sendHead();
        named = dialect.open();
        scanner = new SseScanner(named == null ? new OpenAiEvents() : new NamedEvents(), named == null);
        upstream.handler(scanner::feed);
        upstream.endHandler(ignored -> {
            if (finished) {
                return;
            }
            // Settled before the last writes, so that a write failing now cannot turn vLLM's ending into another.
            finished = true;
            if (client.closed() && !client.ended()) {
                listener.onEnd(RelayOutcome.of(true, false));
                return;
            }
            Buffer rest = scanner.pending();
            if (rest != null) {
                write(rest);
            }
            if (named != null) {
                endNamedStream();
                return;
            }
            if (sawError) {
                // vLLM's error event reached the client unchanged; only a missing [DONE] is added.
                progress.upstreamFailure(RelayProgress.ERROR_EVENT);
                if (!sawDone) {
                    write(SseEvents.DONE);
                }
                endClient();
            } else if (sawDone) {
                endClient();
            } else {
                progress.upstreamFailure(RelayProgress.STREAM_CUT);
                endStreamWithError(ApiError.upstreamResetMidStream());
            }
            listener.onEnd(RelayOutcome.of(false, sawDone && !sawError));
        });
    }

    /**
     * vLLM ended a named-event stream (the relay is already settled): whole when its end event came, else vLLM's
     * failure, told to the client with the dialect's error event unless vLLM's own error event already did.
     */
    private void endNamedStream() {
        if (named.ended() && !named.upstreamError()) {
            endClient();
            listener.onEnd(RelayOutcome.of(false, true));
            return;
        }
        reportUsage(named.leftoverUsage());
        if (named.upstreamError()) {
            progress.upstreamFailure(RelayProgress.ERROR_EVENT);
            endClient();
        } else {
            progress.upstreamFailure(RelayProgress.STREAM_CUT);
            endStreamWithError(ApiError.upstreamEndedEarly());
        }
        listener.onEnd(RelayOutcome.of(false, false));
    }

    /** True once vLLM sent its own error event in the stream. */
    private boolean upstreamErrorSeen() {
        return named != null ? named.upstreamError() : sawError;
    }

    /** True once the stream's end ({@code [DONE]}, or the dialect's end event) went by. */
    private boolean streamEnded() {
        return named != null ? named.ended() : sawDone;
    }

    /**
     * The events of one upstream read, shown one by one as the scanner finds them, then forwarded in runs: the
     * relay's writes are the scanner's ranges, so the events one read completes go out in one write.
     */
    private abstract class Events implements SseScanner.Sink {

        @Override
        public final void forward(Buffer bytes, int start, int end) {
            writes.forward(bytes, start, end);
        }

        @Override
        public final boolean stopped() {
            return finished;
        }
    }

    /** OpenAI's {@code data:} events: {@code [DONE]}, vLLM's error event, the finish reason, the usage chunk. */
    private final class OpenAiEvents extends Events {

        @Override
        public boolean event(Buffer bytes, int start, int end) {
            if (SseEvents.isDone(bytes, start, end)) {
                sawDone = true;
            } else if (SseEvents.isError(bytes, start, end)) {
                // vLLM failed after its 200: relayed unchanged, recorded as vLLM's failure when the stream ends.
                sawError = true;
            } else {
                int finishReasonAt = scanner.finishReasonAt();
                if (finishReasonAt >= 0) {
                    String reason = FinishReasons.valueAt(bytes, finishReasonAt, end);
                    if (reason != null) {
                        progress.finishReason(reason);
                    }
                }
                if (progress.wantsModel()) {
                    // Only when the client named no model, and only until a chunk named it (the first, from vLLM).
                    Buffer json = SseEvents.jsonPayload(bytes, start, end);
                    if (json != null) {
                        progress.servedModel(UsageReader.model(json));
                    }
                }
                if (scanner.usageAt() >= 0 && !forwardUsage(SseEvents.jsonPayload(bytes, start, end))) {
                    return false;
                }
            }
            progress.event();
            progress.token();
            return true;
        }
    }

    /** A named event: read by the dialect, then forwarded unchanged. */
    private final class NamedEvents extends Events {

        @Override
        public boolean event(Buffer bytes, int start, int end) {
            NamedEventStream.Kind kind = named.see(bytes, start, end);
            if (progress.wantsModel()) {
                progress.servedModel(named.model());
            }
            reportUsage(named.takeUsage());
            progress.event();
            if (kind == NamedEventStream.Kind.OUTPUT) {
                progress.token();
            }
            return true;
        }
    }

    /** Reads the usage of an event that may carry one; false when the filter drops the event. */
    private boolean forwardUsage(Buffer json) {
        UsageReader.Usage usage = json == null ? null : UsageReader.read(json);
        reportUsage(usage);
        return filter == null || usage == null || !filter.drop(usage);
    }

    private void upstreamFailed(Throwable failure) {
        if (finished) {
            // Ended already: this is the echo of vgate's own reset (the client left, a timeout), not vLLM's doing.
            return;
        }
        finished = true;
        if (client.closed()) {
            listener.onEnd(RelayOutcome.of(true, false));
            return;
        }
        progress.upstreamFailure(upstreamErrorSeen() ? RelayProgress.ERROR_EVENT : RelayProgress.STREAM_CUT);
        if (!client.headWritten()) {
            AnthropicErrors.send(client, ApiError.upstreamFailed(), anthropicErrors);
        } else if (eventStream) {
            if (!streamEnded()) {
                if (named != null) {
                    reportUsage(named.leftoverUsage());
                }
                endStreamWithError(ApiError.upstreamResetMidStream());
            } else {
                endClient();
            }
        } else {
            // Half a JSON body cannot be mended; closing tells the client it is incomplete.
            client.reset();
        }
        listener.onEnd(RelayOutcome.of(false, false));
    }

    private void endStreamWithError(ApiError error) {
        if (named != null) {
            if (!named.upstreamError()) {
                write(named.errorEvent(error));
            }
        } else {
            write(ApiErrors.toSseEvent(error));
            write(SseEvents.DONE);
        }
        endClient();
    }

    private void write(Buffer bytes) {
        writes.write(bytes);
    }

    private void endClient() {
        writes.end();
    }

    private void reportUsage(UsageReader.Usage usage) {
        if (usage != null) {
            progress.usage(usage.promptTokens(), usage.completionTokens());
            listener.onUsage(usage.promptTokens(), usage.completionTokens());
        }
    }

    private void finish(RelayOutcome outcome) {
        if (!finished) {
            finished = true;
            listener.onEnd(outcome);
        }
    }

    private static Buffer keepTail(Buffer tail, Buffer chunk) {
        if (chunk.length() >= TAIL_SIZE) {
            return chunk.getBuffer(chunk.length() - TAIL_SIZE, chunk.length());
        }
        int keep = Math.min(tail.length(), TAIL_SIZE - chunk.length());
        return tail.getBuffer(tail.length() - keep, tail.length()).appendBuffer(chunk);
    }
}
