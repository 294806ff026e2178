package io.vgate.upstream;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.client.ClientRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.smallrye.mutiny.Uni;

/**
 * vgate's own calls to vLLM (health, model list), each bounded by {@code vgate.upstream.control-timeout}.
 */
@ApplicationScoped
public class VllmClient {

    private final VllmRestClient rest;
    private final java.time.Duration timeout;

    public VllmClient(UpstreamTarget target, UpstreamConfig config) {
        this.timeout = config.controlTimeout();
        var builder = QuarkusRestClientBuilder.newBuilder()
                .baseUri(target.baseUri())
                .connectTimeout(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(config.controlTimeout().toMillis(), TimeUnit.MILLISECONDS);
        config.apiKey().ifPresent(key -> builder.register(
                (ClientRequestFilter) request -> request.getHeaders().putSingle(HttpHeaders.AUTHORIZATION, "Bearer " + key)));
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
                .ifNoItem().after(timeout).fail()
                .onFailure().recoverWithItem(false);
    }

    /** vLLM's {@code /v1/models} document. */
    public Uni<JsonNode> models() {
        return rest.models().ifNoItem().after(timeout).fail();
    }
}
