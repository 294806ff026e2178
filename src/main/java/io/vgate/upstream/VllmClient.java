package io.vgate.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.faulttolerance.api.CircuitBreakerName;
import io.smallrye.faulttolerance.api.ExponentialBackoff;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.client.ClientRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;

/**
 * vgate's own calls to vLLM (health, model list, token counts), each bounded by
 * {@code vgate.upstream.control-timeout}.
 * <p>
 * The model list and token counts are guarded by SmallRye Fault Tolerance: a timeout per attempt, up to two
 * retries with exponential backoff and jitter, and a circuit breaker ({@value #MODELS_BREAKER}, {@value #TOKENIZE_BREAKER}) so that a
 * failing vLLM is not asked again and again; callers treat a failure as "unknown" and carry on. Tune them
 * with {@code quarkus.fault-tolerance."io.vgate.upstream.VllmClient/tokenize".retry.max-retries=…} and the
 * like. The health check is not guarded: readiness must show vLLM's state as it is, at once.
 */
@ApplicationScoped
public class VllmClient {

    /** Circuit breaker of vgate's reads of {@code /v1/models}. */
    public static final String MODELS_BREAKER = "vllm-models";
    /** Circuit breaker of vgate's calls to {@code /tokenize}. */
    public static final String TOKENIZE_BREAKER = "vllm-tokenize";

    private final VllmRestClient rest;
    private final java.time.Duration timeout;

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
    @Timeout(value = 5, unit = ChronoUnit.SECONDS)
    @Retry(maxRetries = 2, delay = 100, jitter = 50, delayUnit = ChronoUnit.MILLIS, jitterDelayUnit = ChronoUnit.MILLIS)
    @ExponentialBackoff(maxDelay = 1, maxDelayUnit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 10, failureRatio = 0.5, delay = 5, delayUnit = ChronoUnit.SECONDS)
    @CircuitBreakerName(MODELS_BREAKER)
    public Uni<JsonNode> models() {
        return rest.models();
    }

    /**
     * vLLM's {@code /tokenize}: {@code {"count":…,"max_model_len":…,"tokens":[…]}}. A request vLLM rejects
     * (4xx) is not retried.
     */
    @Timeout(value = 5, unit = ChronoUnit.SECONDS)
    @Retry(
            maxRetries = 2,
            delay = 50,
            jitter = 25,
            delayUnit = ChronoUnit.MILLIS,
            jitterDelayUnit = ChronoUnit.MILLIS,
            abortOn = ClientErrorStatus.class)
    @ExponentialBackoff(maxDelay = 500, maxDelayUnit = ChronoUnit.MILLIS)
    @CircuitBreaker(
            requestVolumeThreshold = 10,
            failureRatio = 0.5,
            delay = 5,
            delayUnit = ChronoUnit.SECONDS,
            skipOn = ClientErrorStatus.class)
    @CircuitBreakerName(TOKENIZE_BREAKER)
    public Uni<JsonNode> tokenize(JsonNode request) {
        return rest.tokenize(request).onFailure(VllmClient::isClientError).transform(ClientErrorStatus::new);
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
