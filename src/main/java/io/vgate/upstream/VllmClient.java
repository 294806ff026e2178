package io.vgate.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.util.TypeLiteral;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.client.ClientRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

/**
 * vgate's own calls to vLLM (health, model list, token counts), each attempt bounded by
 * {@code vgate.upstream.control-timeout}.
 * <p>
 * The model list and token counts are guarded by SmallRye Fault Tolerance as {@link UpstreamConfig.Control}
 * says: a timeout per attempt, bounded retries with exponential backoff and jitter, and a circuit breaker
 * each ({@value #MODELS_BREAKER}, {@value #TOKENIZE_BREAKER}) so that a failing vLLM is not asked again and
 * again; callers treat a failure as "unknown" and carry on. The health check is not guarded: readiness must
 * show vLLM's state as it is, at once.
 */
@ApplicationScoped
public class VllmClient {

    /** Circuit breaker of vgate's reads of {@code /v1/models}. */
    public static final String MODELS_BREAKER = "vllm-models";
    /** Circuit breaker of vgate's calls to {@code /tokenize}. */
    public static final String TOKENIZE_BREAKER = "vllm-tokenize";

    private static final TypeLiteral<Uni<JsonNode>> JSON = new TypeLiteral<>() {};

    private final VllmRestClient rest;
    private final Duration timeout;
    private final TypedGuard<Uni<JsonNode>> modelsGuard;
    private final TypedGuard<Uni<JsonNode>> tokenizeGuard;

    public VllmClient(UpstreamTarget target, UpstreamConfig config) {
        this.timeout = config.controlTimeout();
        var builder = QuarkusRestClientBuilder.newBuilder()
                .baseUri(target.baseUri())
                .connectTimeout(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(config.controlTimeout().toMillis(), TimeUnit.MILLISECONDS);
        config.apiKey()
                .ifPresent(key -> builder.register((ClientRequestFilter)
                        request -> request.getHeaders().putSingle(HttpHeaders.AUTHORIZATION, "Bearer " + key)));
        this.rest = builder.build(VllmRestClient.class);
        this.modelsGuard = guard(MODELS_BREAKER, "vLLM model list", config);
        this.tokenizeGuard = guard(TOKENIZE_BREAKER, "vLLM token count", config);
    }

    private static TypedGuard<Uni<JsonNode>> guard(String breaker, String description, UpstreamConfig config) {
        var control = config.control();
        return TypedGuard.create(JSON)
                .withDescription(description)
                .withTimeout()
                .duration(config.controlTimeout().toMillis(), ChronoUnit.MILLIS)
                .done()
                .withRetry()
                .maxRetries(control.maxRetries())
                .delay(control.retryDelay().toMillis(), ChronoUnit.MILLIS)
                .jitter(control.retryJitter().toMillis(), ChronoUnit.MILLIS)
                .abortOn(ClientErrorStatus.class)
                .withExponentialBackoff()
                .factor(2)
                .maxDelay(control.maxRetryDelay().toMillis(), ChronoUnit.MILLIS)
                .done()
                .done()
                .withCircuitBreaker()
                .name(breaker)
                .requestVolumeThreshold(control.breakerRequestVolumeThreshold())
                .failureRatio(control.breakerFailureRatio())
                .delay(control.breakerDelay().toMillis(), ChronoUnit.MILLIS)
                .skipOn(ClientErrorStatus.class)
                .done()
                .build();
    }

    /** True when vLLM's {@code /health} answers 200; false when it answers otherwise or not at all. */
    public Uni<Boolean> healthy() {
        return rest.health()
                .map(response -> {
                    try (response) {
                        return response.getStatus() == Response.Status.OK.getStatusCode();
                    }
                })
                .ifNoItem()
                .after(timeout)
                .fail()
                .onFailure()
                .recoverWithItem(false);
    }

    /** vLLM's {@code /v1/models} document. */
    public Uni<JsonNode> models() {
        return modelsGuard.get(rest::models);
    }

    /**
     * vLLM's {@code /tokenize}: {@code {"count":…,"max_model_len":…,"tokens":[…]}}. A request vLLM rejects
     * (4xx) fails with {@link ClientErrorStatus} and is not retried.
     */
    public Uni<JsonNode> tokenize(JsonNode request) {
        return tokenizeGuard.get(() ->
                rest.tokenize(request).onFailure(VllmClient::isClientError).transform(ClientErrorStatus::new));
    }

    private static boolean isClientError(Throwable failure) {
        return failure instanceof WebApplicationException web
                && web.getResponse() != null
                && web.getResponse().getStatus() >= 400
                && web.getResponse().getStatus() < 500;
    }

    /** vLLM refused a control request as invalid (4xx): retrying would not help, and vLLM is not failing. */
    public static final class ClientErrorStatus extends RuntimeException {
        ClientErrorStatus(Throwable cause) {
            super("vLLM rejected the request: " + cause.getMessage(), cause, false, false);
        }
    }
}
