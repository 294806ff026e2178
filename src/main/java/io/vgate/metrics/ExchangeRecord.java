package io.vgate.metrics;

import io.vgate.api.ApiRoute;
import io.vgate.streaming.RelayOutcome;

/**
 * The facts of one finished exchange, as the data path hands them to the {@link ExchangeObserver}s:
 * immutable, so no observer can change what another sees or what the data path decided.
 *
 * @param route the route, or {@code null} for a {@code /v1} path vgate does not serve
 * @param requestId the request id ({@code X-Request-Id})
 * @param traceId the W3C trace id of the request's server span, or {@code null} when tracing is off
 * @param method the HTTP method
 * @param path the request path as the client sent it
 * @param model the {@code model} the client asked for, or {@code null}
 * @param servedModel the model vLLM named in its answer when the client named none, else {@code null}
 * @param stream whether the client asked for a stream
 * @param tenant who was billed and queued: the caller's tenant, or {@code null} when no step named one
 * @param keyId id of the API key or token subject that authenticated the caller, or {@code null}
 * @param priority the request's priority class
 * @param clientIp the caller's address (the client behind a trusted proxy)
 * @param status HTTP status sent to the client (0 if none was sent)
 * @param streaming true when the answer was an SSE stream
 * @param errorCode vgate's reason code when vgate itself answered with an error, else {@code null}
 * @param outcome how the exchange ended
 * @param startNanos {@link System#nanoTime()} when the request reached vgate's handler
 * @param endNanos when the exchange completed
 * @param queueWaitNanos time spent waiting for admission
 * @param firstEventNanos when the first SSE event carrying output was forwarded (a chat or completion stream's
 *        first event; the first output delta of a Responses or Messages stream), or 0
 * @param lastEventNanos when the last SSE event was forwarded, or 0
 * @param events SSE events forwarded
 * @param maxEventGapNanos longest pause between two forwarded events (0 with fewer than two)
 * @param promptTokens prompt tokens vLLM reported, or -1
 * @param completionTokens completion tokens vLLM reported, or -1
 * @param contextAdjustment what context fitting changed ({@code clamped}, {@code trimmed}), or {@code null}
 * @param trimmedMessages how many messages trimming dropped
 * @param finishReason why vLLM's generation ended as its answer said ({@code stop}, {@code length},
 *     {@code tool_calls}, …), or {@code null} when the answer named none
 * @param upstreamFailure what vLLM did wrong after its head arrived ({@code upstream_reset}: the stream or
 *     body was cut; {@code error_event}: an in-band error event), or {@code null}
 */
public record ExchangeRecord(
        ApiRoute route,
        String requestId,
        String traceId,
        String method,
        String path,
        String model,
        String servedModel,
        boolean stream,
        String tenant,
        String keyId,
        String priority,
        String clientIp,
        int status,
        boolean streaming,
        String errorCode,
        RelayOutcome outcome,
        long startNanos,
        long endNanos,
        long queueWaitNanos,
        long firstEventNanos,
        long lastEventNanos,
        int events,
        long maxEventGapNanos,
        long promptTokens,
        long completionTokens,
        String contextAdjustment,
        int trimmedMessages,
        String finishReason,
        String upstreamFailure) {

    /** True when a step named the tenant. */
    public boolean hasTenant() {
        return tenant != null;
    }
}
