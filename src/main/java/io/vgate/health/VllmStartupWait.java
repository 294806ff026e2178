package io.vgate.health;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vgate.shaping.ModelCatalog;
import io.vgate.upstream.UpstreamTarget;
import io.vgate.upstream.VllmClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * The start-up wait for vLLM. A model can take minutes to load, during which vLLM refuses connections; vgate
 * starts anyway (liveness UP, readiness DOWN, see {@link VllmReadinessCheck}) and polls vLLM's
 * {@code /health} in the background, with a growing interval, logging progress every
 * {@value #LOG_EVERY_SECONDS} s. Once vLLM answers, the model list (context lengths) is read so the first
 * requests do not wait for it. Nothing blocks: polls are Vert.x timers.
 */
@ApplicationScoped
public class VllmStartupWait {

    static final int LOG_EVERY_SECONDS = 30;
    private static final Logger LOG = Logger.getLogger(VllmStartupWait.class);
    private static final long FIRST_POLL_MILLIS = 250;
    private static final long MAX_POLL_MILLIS = 5_000;

    private final VllmClient vllm;
    private final ModelCatalog catalog;
    private final UpstreamTarget target;
    private final Vertx vertx;
    private long startedAt;
    private long lastLog;

    public VllmStartupWait(VllmClient vllm, ModelCatalog catalog, UpstreamTarget target, Vertx vertx) {
        this.vllm = vllm;
        this.catalog = catalog;
        this.target = target;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        startedAt = System.nanoTime();
        lastLog = startedAt;
        poll(FIRST_POLL_MILLIS);
    }

    private void poll(long intervalMillis) {
        vllm.healthy().subscribe().with(up -> {
            long waited = Duration.ofNanos(System.nanoTime() - startedAt).toSeconds();
            if (up) {
                if (waited > 0) {
                    LOG.infof("vLLM at %s is up after %d s", target.baseUri(), waited);
                }
                catalog.reload().subscribe().with(ignored -> {});
                return;
            }
            if (System.nanoTime() - lastLog
                    >= Duration.ofSeconds(LOG_EVERY_SECONDS).toNanos()) {
                lastLog = System.nanoTime();
                LOG.infof(
                        "Waiting for vLLM at %s to load its model (%d s so far); readiness stays DOWN until it answers",
                        target.baseUri(), waited);
            }
            vertx.setTimer(intervalMillis, id -> poll(Math.min(MAX_POLL_MILLIS, intervalMillis * 2)));
        });
    }
}
