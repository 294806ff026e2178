package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vgate.api.AnthropicErrors;
import io.vgate.api.ApiError;
import io.vgate.api.ApiErrors;

/**
 * Relays one vLLM response to the client.
 * <p>
 * A JSON body passes through with its status and bytes unchanged. An SSE stream is relayed event by
 * event: each event is written the moment its terminating blank line arrives, bytes unchanged, never
 * held back to be merged with the next one; each is counted in the {@link RelayProgress} first. The only
 * events ever dropped are those the {@link ChunkFilter} claims (the usage chunk vgate asked for on the
 * client's behalf).
 * <p>
 * The client's pace sets the upstream's: when the client's write queue fills, reading from vLLM pauses
 * until it drains. If vLLM breaks a stream that has begun, the client gets one {@code data: {"error":…}}
 * event and {@code data: [DONE]}, so OpenAI clients end cleanly instead of hanging.
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

    private boolean sawDone;
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
        relay.start();
        return relay;
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
        } else if (client.isChunked() && isEventStream()) {
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
        long declared = declaredLength();
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
                if (progress.wantsModel()) {
                    progress.servedModel(UsageReader.model(body));
                }
                reportUsage(UsageReader.read(body));
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
            client.setChunked(true);
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
            if (!client.closed()) {
                client.end();
            }
            reportUsage(UsageReader.readTail(tail[0]));
            finish(RelayOutcome.of(false, true));
        });
    }

    private void relayStream() {
        client.setChunked(true);
        client.headers().set(HttpHeaders.CACHE_CONTROL, NO_CACHE);
        client.headers().set(X_ACCEL_BUFFERING, NO);
        // Headers go out now, as vLLM's do: the client knows the stream is open before the first token.
        client.writeHead();
        named = dialect.open();
        var framer = new SseFramer(named == null ? this::forwardEvent : this::forwardNamedEvent);
        upstream.handler(framer::feed);
        upstream.endHandler(ignored -> {
            if (finished) {
                return;
            }
            Buffer rest = framer.pending();
            if (rest != null) {
                write(rest);
            }
            if (streamEnded()) {
                endClient();
                finish(RelayOutcome.of(false, true));
                return;
            }
            if (named != null) {
                reportUsage(named.leftoverUsage());
            }
            if (named != null && named.upstreamError()) {
                // vLLM's own error event already told the client; a second one would only confuse it.
                endClient();
            } else {
                endStreamWithError(named == null ? ApiError.upstreamResetMidStream() : ApiError.upstreamEndedEarly());
            }
            finish(RelayOutcome.of(false, false));
        });
    }

    /** A named event: read by the dialect, then forwarded unchanged. */
    private void forwardNamedEvent(Buffer event) {
        if (finished) {
            return;
        }
        NamedEventStream.Kind kind = named.see(event);
        if (progress.wantsModel()) {
            progress.servedModel(named.model());
        }
        reportUsage(named.takeUsage());
        progress.event();
        if (kind == NamedEventStream.Kind.OUTPUT) {
            progress.token();
        }
        write(event);
    }

    /** True once the stream's end ({@code [DONE]}, or the dialect's end event) went by. */
    private boolean streamEnded() {
        return named != null ? named.ended() : sawDone;
    }

    private void forwardEvent(Buffer event) {
        if (finished) {
            return;
        }
        if (SseEvents.isDone(event)) {
            sawDone = true;
        } else {
            if (progress.wantsModel()) {
                // Only when the client named no model, and only until a chunk named it (the first, from vLLM).
                Buffer json = SseEvents.jsonPayload(event);
                if (json != null) {
                    progress.servedModel(UsageReader.model(json));
                }
            }
            if (SseEvents.mayCarryUsage(event) && !forwardUsage(event)) {
                return;
            }
        }
        progress.event();
        progress.token();
        write(event);
    }

    /** Reads the usage of an event that may carry one; false when the filter drops the event. */
    private boolean forwardUsage(Buffer event) {
        Buffer json = SseEvents.jsonPayload(event);
        UsageReader.Usage usage = json == null ? null : UsageReader.read(json);
        reportUsage(usage);
        return filter == null || usage == null || !filter.drop(usage);
    }

    private void upstreamFailed(Throwable failure) {
        if (finished) {
            return;
        }
        if (client.closed()) {
            finish(RelayOutcome.of(true, false));
            return;
        }
        if (!client.headWritten()) {
            AnthropicErrors.send(client, ApiError.upstreamFailed(), anthropicErrors);
        } else if (client.isChunked() && isEventStream()) {
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
        finish(RelayOutcome.of(false, false));
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
        if (client.closed() || client.ended()) {
            return;
        }
        client.write(bytes);
        if (client.writeQueueFull()) {
            upstream.pause();
            client.drainHandler(ignored -> upstream.resume());
        }
    }

    private void endClient() {
        if (!client.closed() && !client.ended()) {
            client.end();
        }
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

    private boolean isEventStream() {
        String type = client.headers().get(HttpHeaders.CONTENT_TYPE);
        return type != null && type.startsWith("text/event-stream");
    }

    private long declaredLength() {
        String value = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
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
