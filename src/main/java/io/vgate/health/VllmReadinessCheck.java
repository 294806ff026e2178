package io.vgate.health;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vgate.shaping.GracefulDrain;
import io.vgate.shaping.ModelCatalog;
import io.vgate.upstream.UpstreamTarget;
import io.vgate.upstream.VllmClient;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while vLLM's {@code /health} answers 200 and vgate is not shutting down. vLLM refuses
 * connections while it loads the model, so a new pod stays out of the Service until the model is in GPU
 * memory, however many minutes that takes (liveness stays UP meanwhile: vgate itself is fine). On SIGTERM
 * readiness turns DOWN at once, while the drain runs.
 * <p>
 * When vLLM comes back after being unreachable it may have restarted with another model or context
 * length, so the {@link ModelCatalog} is read again.
 */
@Readiness
@ApplicationScoped
public class VllmReadinessCheck implements AsyncHealthCheck {

    private final VllmClient vllm;
    private final UpstreamTarget target;
    private final GracefulDrain drain;
    private final ModelCatalog catalog;
    private volatile boolean lastUp = true;

    public VllmReadinessCheck(VllmClient vllm, UpstreamTarget target, GracefulDrain drain, ModelCatalog catalog) {
        this.vllm = vllm;
        this.target = target;
        this.drain = drain;
        this.catalog = catalog;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        if (drain.draining()) {
            return Uni.createFrom()
                    .item(HealthCheckResponse.named("vllm")
                            .down()
                            .withData("upstream", target.baseUri().toString())
                            .withData("draining", true)
                            .build());
        }
        return vllm.healthy().map(up -> {
            if (up && !lastUp) {
                catalog.invalidate();
            }
            lastUp = up;
            return HealthCheckResponse.named("vllm")
                    .status(up)
                    .withData("upstream", target.baseUri().toString())
                    .build();
        });
    }
}
