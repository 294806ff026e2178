package io.vgate.upstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.StreamResetException;
import io.vgate.api.ApiError;
import io.vgate.api.InferenceRequest;
import io.vgate.streaming.StreamingConfig;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

/**
 * The conversation with vLLM for the data path: {@link #send} starts an {@link UpstreamCall} that asks
 * vLLM for the usage chunk when vgate needs it, sends the request under the {@link UpstreamGuard} (retry
 * and circuit breaker), classifies what went wrong, and relays the answer, removing the usage chunk again.
 * <p>
 * Only {@code Content-Type}, {@code X-Request-Id} and vgate's own upstream credentials go to vLLM: the
 * client's {@code Authorization} and other headers stay at the gateway.
 * <p>
 * Getting vLLM's response head runs under the guard: a request whose connection is refused, or closed
 * before any answer came back, is sent again with backoff (nothing has reached the client yet, and vLLM
 * aborted the first attempt when its connection closed); connection failures and 5xx answers feed the
 * circuit breaker, which answers {@code 503 circuit_open} while open. Once the head has arrived nothing is
 * retried: the relay owns the response.
 */
@Singleton
public class UpstreamForwarder {

    /** Retry hint while vLLM is unreachable (usually: still loading the model). */
    static final Duration UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(5);

    private final VllmHttpClient client;
    private final UpstreamGuard guard;
    private final ObjectMapper mapper;
    private final boolean includeUsage;

    public UpstreamForwarder(
            VllmHttpClient client, UpstreamGuard guard, ObjectMapper mapper, StreamingConfig streaming) {
        this.client = client;
        this.guard = guard;
        this.mapper = mapper;
        this.includeUsage = streaming.includeUsage();
    }

    /**
     * Sends {@code request} to vLLM. Call on the request's event loop; the call's futures complete there.
     *
     * @param requestId sent along as {@code X-Request-Id}, so vLLM's logs name the same request
     */
    public UpstreamCall send(InferenceRequest request, String requestId) {
        var usage = UsageChunk.askFor(request, includeUsage);
        var call = new UpstreamCall(this, request, requestId, request.bytesToSend(mapper), null, usage);
        call.start();
        return call;
    }

    /**
     * Sends an upload to vLLM, its body piped from the client as it arrives ({@link Upload}). Sent once: a failure
     * after the first byte was read from the client is not retried. Call on the request's event loop.
     */
    public UpstreamCall send(InferenceRequest request, String requestId, Upload upload) {
        var call = new UpstreamCall(this, request, requestId, null, upload, null);
        call.start();
        return call;
    }

    VllmHttpClient client() {
        return client;
    }

    UpstreamGuard guard() {
        return guard;
    }

    /** What a transport failure means for retry and breaker; {@code cancelled} when vgate gave up on it. */
    static Throwable classify(boolean cancelled, Throwable failure) {
        if (cancelled || failure instanceof UpstreamCall.Cancelled || failure instanceof StreamResetException) {
            // vgate reset the request itself (the client left, a timeout fired): that says nothing about vLLM,
            // and is neither retried nor counted.
            return UpstreamCall.CANCELLED;
        }
        if (failure instanceof ConnectException
                || failure instanceof ConnectTimeoutException
                || failure instanceof UnknownHostException) {
            return new UpstreamFailure.Unreachable(failure);
        }
        if (failure instanceof ConnectionPoolTooBusyException) {
            return failure;
        }
        if (isStaleConnection(failure)) {
            return new UpstreamFailure.ConnectionLost(failure);
        }
        return new UpstreamFailure.Broken(failure);
    }

    static boolean isStaleConnection(Throwable failure) {
        return failure instanceof HttpClosedException
                || failure instanceof ClosedChannelException
                || (failure instanceof IOException
                        && !(failure instanceof ConnectException)
                        && !(failure instanceof UnknownHostException));
    }

    /** vgate's answer when vLLM could not be asked. */
    ApiError toApiError(Throwable failure) {
        if (UpstreamGuard.isBreakerOpen(failure)) {
            return guard.breakerOpen();
        }
        if (failure instanceof UpstreamFailure.Unreachable) {
            return ApiError.upstreamUnavailable(UNAVAILABLE_RETRY_AFTER);
        }
        if (failure instanceof ConnectionPoolTooBusyException) {
            return ApiError.upstreamUnavailable(Duration.ofSeconds(1));
        }
        return ApiError.upstreamFailed();
    }
}
