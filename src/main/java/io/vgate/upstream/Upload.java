package io.vgate.upstream;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;

/**
 * A client's {@code multipart/form-data} upload piped to vLLM as it arrives, never held whole: each chunk goes
 * through the {@link MultipartStream} and on to the upstream request, and reading from the client pauses while
 * the upstream connection's write queue is full (back-pressure both ways). Bounded in size ({@code maxBytes},
 * 413) and in time ({@code timeoutMillis} from the first read, 408).
 * <p>
 * The client request must be paused when the upload is created (Quarkus keeps it so until a handler resumes it);
 * {@link #start} resumes it. Runs on the request's event loop.
 */
public final class Upload {

    /** What the data path hears from the upload. */
    public interface Listener {
        /**
         * The client's body has been read and checked, before its last bytes go to vLLM; a failed future refuses
         * the request (its {@link ApiException}'s error).
         */
        Future<Void> beforeEnd();

        /** Every byte is on its way to vLLM: vLLM now has the whole request. */
        void uploaded();

        /** The upload failed with vgate's own error; the upstream request has been reset. */
        void failed(ApiError error);
    }

    private final HttpServerRequest client;
    private final MultipartStream parts;
    private final long maxBytes;
    private final long timeoutMillis;
    private final Listener listener;
    private HttpClientRequest upstream;
    private io.vertx.core.Vertx vertx;
    private long received;
    private long timer = -1;
    private boolean started;
    private boolean done;

    public Upload(
            HttpServerRequest client, MultipartStream parts, long maxBytes, long timeoutMillis, Listener listener) {
        this.client = client;
        this.parts = parts;
        this.maxBytes = maxBytes;
        this.timeoutMillis = timeoutMillis;
        this.listener = listener;
    }

    /** The content type to send to vLLM. */
    String contentType() {
        return parts.contentType();
    }

    /** True once bytes may have left for vLLM: the upload cannot be sent a second time. */
    boolean started() {
        return started;
    }

    /** Starts piping the client's body into {@code upstream}, whose head has not been sent yet. */
    void start(HttpClientRequest upstream) {
        this.upstream = upstream;
        this.started = true;
        upstream.setChunked(true);
        this.vertx = io.vertx.core.Vertx.currentContext().owner();
        timer = vertx.setTimer(timeoutMillis, id -> {
            timer = -1;
            fail(new ApiError(
                    408,
                    ApiError.INVALID_REQUEST,
                    "request_timeout",
                    "The upload did not arrive within " + timeoutMillis + " ms.",
                    null,
                    null));
        });
        client.handler(this::chunk);
        client.endHandler(ignored -> end());
        client.resume();
    }

    private void chunk(Buffer chunk) {
        if (done) {
            return; // refused: the rest is read and dropped until the connection closes
        }
        received += chunk.length();
        if (received > maxBytes) {
            fail(tooLarge(maxBytes));
            return;
        }
        Buffer out;
        try {
            out = parts.feed(chunk);
        } catch (ApiException e) {
            fail(e.error());
            return;
        }
        if (out.length() > 0) {
            upstream.write(out);
        }
        if (upstream.writeQueueFull()) {
            client.pause();
            upstream.drainHandler(ignored -> client.resume());
        }
    }

    private void end() {
        if (done) {
            return;
        }
        Buffer last;
        try {
            last = parts.finish();
        } catch (ApiException e) {
            fail(e.error());
            return;
        }
        listener.beforeEnd().onComplete(checked -> {
            if (done) {
                return;
            }
            if (checked.failed()) {
                fail(checked.cause() instanceof ApiException refused ? refused.error() : ApiError.internal());
                return;
            }
            done = true;
            cancelTimer();
            upstream.end(last);
            listener.uploaded();
        });
    }

    /** Stops the upload: vLLM's request is reset, so it never sees a complete body. */
    private void fail(ApiError error) {
        if (done) {
            return;
        }
        done = true;
        cancelTimer();
        upstream.reset();
        listener.failed(error);
    }

    private void cancelTimer() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /** 413: the upload is larger than {@code vgate.api.max-upload-size}. */
    public static ApiError tooLarge(long maxBytes) {
        return new ApiError(
                413,
                ApiError.INVALID_REQUEST,
                "request_too_large",
                "The upload is larger than the limit of " + maxBytes + " bytes.",
                null,
                null);
    }
}
