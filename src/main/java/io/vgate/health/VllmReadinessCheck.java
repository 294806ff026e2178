package io.vgate.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vgate.upstream.UpstreamTarget;
import io.vgate.upstream.VllmClient;

/**
 * Ready only while vLLM's {@code /health} answers 200. vLLM refuses connections while it loads the
 * model, so a new pod stays out of the Service until the model is in GPU memory.
 */
@Readiness
@ApplicationScoped
public class VllmReadinessCheck implements AsyncHealthCheck {

    private final VllmClient vllm;
    private final UpstreamTarget target;

    public VllmReadinessCheck(VllmClient vllm, UpstreamTarget target) {
        this.vllm = vllm;
        this.target = target;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return vllm.healthy().map(up -> HealthCheckResponse.named("vllm")
                .status(up)
                .withData("upstream", target.baseUri().toString())
                .build());
    }
}
