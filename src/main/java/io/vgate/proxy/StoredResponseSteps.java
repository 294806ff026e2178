package io.vgate.proxy;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.responses.FollowUp;
import io.vgate.responses.ReplicaForwarder;
import io.vgate.responses.ReplicaSignature;
import io.vgate.responses.ResponseLedger;
import io.vgate.shaping.ExchangeTimeouts;
import io.vgate.shaping.Fitting;
import io.vgate.streaming.ResponseRelay;
import io.vgate.streaming.StreamDialect;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * The data path's steps for stored responses (the Responses API's {@code store}), kept apart from
 * {@link ProxyHandler} so that its hot path stays readable: who owns a response, where a follow-up goes, the
 * id a new response is claimed under, forwarding to the replica whose vLLM holds it, and admitting what
 * another replica forwarded. Each step returns what it decided; the exchange holds the request's state.
 */
@Singleton
class StoredResponseSteps {

    private static final Future<FollowUp> HERE = Future.succeededFuture(FollowUp.HERE);
    private static final Future<Fitting> NO_EDITS = Future.succeededFuture(Fitting.NONE);

    /** Retry hint when the replica that holds a stored response does not answer. */
    private static final Duration REPLICA_RETRY_AFTER = Duration.ofSeconds(1);

    private final ResponseLedger ledger;
    private final ReplicaForwarder replicas;
    private final ExchangeTimeouts timeouts;

    StoredResponseSteps(ResponseLedger ledger, ReplicaForwarder replicas, ExchangeTimeouts timeouts) {
        this.ledger = ledger;
        this.replicas = replicas;
        this.timeouts = timeouts;
    }

    /**
     * The tenant another replica forwarded {@code request} for, when its {@code signature} holds; else
     * {@code null}.
     */
    String forwardedFor(HttpServerRequest request, String signature) {
        return ledger.forwardedFor(
                signature,
                request.getHeader(ReplicaSignature.TENANT_HEADER),
                request.method().name(),
                request.uri());
    }

    /**
     * Stored responses belong to their creator and live in one replica's vLLM: a lookup, a cancel or a follow-up
     * ({@code previous_response_id}) on another tenant's response gets vLLM's own 404 here and never reaches vLLM;
     * one on a response another replica's vLLM holds goes to that replica. A request another replica forwarded
     * is never sent on again.
     */
    Future<FollowUp> followUp(
            ProxyExchange exchange, RoutingContext context, ApiRoute route, InferenceRequest request) {
        String id = switch (route) {
            case RESPONSES -> request.text("previous_response_id");
            case RESPONSES_GET, RESPONSES_CANCEL -> context.pathParam("response_id");
            default -> null;
        };
        if (id == null) {
            return HERE;
        }
        Future<FollowUp> decided = ledger.followUp(id, owner(exchange));
        return exchange.forwardedFor == null ? decided : decided.map(FollowUp.HERE);
    }

    /** Records the caller as the owner of the response a Responses request creates, under the id vLLM will give it. */
    Future<Fitting> claim(ProxyExchange exchange, InferenceRequest request) {
        if (request.route() != ApiRoute.RESPONSES) {
            return NO_EDITS;
        }
        String requested = request.text("request_id");
        return ledger.claim(requested, owner(exchange)).map(id -> {
            if (!id.equals(requested)) {
                request.set("request_id", id);
            }
            return Fitting.NONE;
        });
    }

    /** Sends the request to the replica whose vLLM holds the response, and relays its answer as it comes. */
    void toReplica(ProxyExchange exchange, RoutingContext context, InferenceRequest request, FollowUp followUp) {
        exchange.watch(timeouts.watch(exchange.progress(), request.stream(), exchange.startNanos(), exchange::abort));
        var client = context.request();
        replicas.send(
                        followUp,
                        client.method(),
                        client.uri(),
                        client.headers(),
                        request.route().hasBody() ? context.body().buffer() : null,
                        owner(exchange))
                .onComplete(head -> {
                    if (head.failed()) {
                        ProxyHandler.fail(
                                exchange, new ApiException(ApiError.upstreamUnavailable(REPLICA_RETRY_AFTER)));
                        return;
                    }
                    HttpClientResponse response = head.result();
                    if (exchange.completed()) {
                        response.request().reset();
                        return;
                    }
                    try {
                        exchange.relay(ResponseRelay.relay(
                                response,
                                exchange.response(),
                                exchange.progress(),
                                exchange,
                                null,
                                StreamDialect.forPath(request.route().path())));
                        response.resume();
                    } catch (RuntimeException e) {
                        ProxyHandler.fail(exchange, e);
                    }
                });
    }

    /** Whose stored responses the caller may see: its tenant ({@code null} without authentication). */
    private static String owner(ProxyExchange exchange) {
        if (exchange.forwardedFor != null) {
            return exchange.forwardedFor.isEmpty() ? null : exchange.forwardedFor;
        }
        return exchange.caller == null ? null : exchange.caller.tenant();
    }
}
