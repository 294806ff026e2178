package io.vgate.upstream;

import io.vertx.core.http.HttpClientResponse;

/**
 * Why an attempt to get an answer from vLLM failed, as the {@link UpstreamGuard} sees it: only
 * {@link #retryable()} ones are sent again, and all but {@link ConnectionLost} count as failures for the
 * circuit breaker. Carries no stack trace: these are expected outcomes, not bugs.
 */
public abstract sealed class UpstreamFailure extends RuntimeException {

    UpstreamFailure(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** True when nothing reached vLLM's engine or the client, so the request may be sent again. */
    public abstract boolean retryable();

    /** The connection could not be opened: vLLM not listening (loading the model, restarting) or unreachable. */
    public static final class Unreachable extends UpstreamFailure {
        public Unreachable(Throwable cause) {
            super("vLLM unreachable", cause);
        }

        @Override
        public boolean retryable() {
            return true;
        }
    }

    /** The connection closed or was reset before vLLM sent any byte of an answer. */
    public static final class ConnectionLost extends UpstreamFailure {
        public ConnectionLost(Throwable cause) {
            super("vLLM closed the connection before answering", cause);
        }

        @Override
        public boolean retryable() {
            return true;
        }
    }

    /** Any other transport failure before an answer; not retried. */
    public static final class Broken extends UpstreamFailure {
        public Broken(Throwable cause) {
            super("vLLM request failed", cause);
        }

        @Override
        public boolean retryable() {
            return false;
        }
    }

    /**
     * vLLM failed after its answer had begun: the connection broke in the middle of the body, or a stream
     * carried vLLM's in-band error event. Only ever fed to the breaker ({@link UpstreamGuard#recordFailure});
     * vgate's own reset of a request (the client left, a timeout) is never one.
     */
    public static final class FailedAfterHead extends UpstreamFailure {
        public FailedAfterHead(String type) {
            super("vLLM failed after its answer began: " + type, null);
        }

        @Override
        public boolean retryable() {
            return false;
        }
    }

    /**
     * vLLM answered with a server error (500, 502, 503, 504). The response is paused, not lost: the client
     * still gets vLLM's own error, unchanged; the breaker only counts it.
     */
    public static final class ServerError extends UpstreamFailure {
        private final transient HttpClientResponse response;

        public ServerError(HttpClientResponse response) {
            super("vLLM answered " + response.statusCode(), null);
            this.response = response;
        }

        public HttpClientResponse response() {
            return response;
        }

        @Override
        public boolean retryable() {
            return false;
        }
    }
}
