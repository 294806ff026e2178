package io.vgate.sim;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.metrics.MetricsOptions;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * An in-process stand-in for {@code vllm serve}: an OpenAI-compatible server on its own port that behaves like vLLM on
 * the wire (endpoints, SSE bytes, error bodies, {@code /metrics}, scheduling and latencies).
 *
 * <p>It starts on {@link StartupEvent} when {@code vgate.simulator.enabled} is true, before the application serves
 * traffic, and stops on shutdown. The port is reserved at once, so {@link #baseUri()} is known even while the
 * {@code startup-delay} or {@code refuse-connections} faults keep it from listening. Behaviour is tuned at runtime
 * through {@link #settings()} or, over HTTP, {@code GET/POST /sim/settings} on the simulator port (a simulator-only
 * admin route; real vLLM has no such route).</p>
 *
 * <p>The server runs on a Vert.x instance of its own ({@code event-loops} event loops, no metrics SPI) rather than
 * Quarkus's: Quarkus instruments every HTTP server of its Vert.x instance with Micrometer, which would count the
 * simulator's {@code /v1/...} traffic as the gateway's own in {@code /q/metrics}, clash on tag keys, and cost time on
 * the hot path. Like a separate {@code vllm serve} process, the simulator shares nothing with the gateway.</p>
 */
@ApplicationScoped
public class VllmSimulator {

    private static final Logger LOG = Logger.getLogger(VllmSimulator.class);
    private static final long SERVER_CHANGE_TIMEOUT_SECONDS = 30;
    private static final int RESERVE_ATTEMPTS = 200;
    private static final long RESERVE_RETRY_MILLIS = 10;

    private final SimulatorConfig config;
    private Vertx vertx;
    private final SimSettings settings;
    private final SimEngine engine;
    private final SimMetrics metrics;
    private final SimRoutes routes;
    private final List<String> servedNames;

    private volatile URI baseUri;
    private String host;
    private int port;
    private SocketChannel reservation;
    private String deploymentId;
    private volatile boolean ready;
    private volatile boolean stopped;
    private volatile boolean refusing;
    private Future<Void> serverChanges = Future.succeededFuture();

    /**
     * @param config simulator configuration
     */
    @Inject
    public VllmSimulator(SimulatorConfig config) {
        this.config = config;
        this.settings = new SimSettings(config);
        this.servedNames =
                config.servedModelNames().filter(names -> !names.isEmpty()).orElse(List.of(config.model()));
        this.engine = new SimEngine(settings);
        this.metrics = new SimMetrics(
                servedNames.get(0),
                config.maxModelLen(),
                engine.totalBlocks(),
                engine::runningSeqs,
                engine::waitingSeqs,
                engine::kvCacheUsage);
        engine.metrics(metrics);
        this.routes = new SimRoutes(engine, settings, metrics, servedNames, config.model());
    }

    void onStart(@Observes @Priority(1) StartupEvent event) {
        if (config.enabled()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Reserves the port and starts listening, now or after {@code startup-delay}. */
    void start() {
        Future<Void> change = null;
        Duration delay;
        synchronized (this) {
            if (baseUri != null) {
                return;
            }
            host = config.host();
            try {
                reservation = reserve(host, config.port());
                port = ((InetSocketAddress) reservation.getLocalAddress()).getPort();
            } catch (IOException e) {
                throw new IllegalStateException("vLLM simulator cannot use " + host + ":" + config.port(), e);
            }
            baseUri = URI.create("http://" + uriHost(host) + ":" + port);
            vertx = Vertx.vertx(new VertxOptions()
                    .setEventLoopPoolSize(eventLoops())
                    .setWorkerPoolSize(1)
                    .setInternalBlockingPoolSize(1)
                    .setMetricsOptions(new MetricsOptions().setEnabled(false))
                    .setFileSystemOptions(
                            new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
            refusing = settings.faults().refuseConnections();
            settings.changeListener(this::settingsChanged);
            delay = settings.faults().startupDelay();
            if (delay.isZero()) {
                ready = true;
                change = changeServer();
            } else {
                vertx.setTimer(Math.max(1, delay.toMillis()), id -> {
                    synchronized (this) {
                        ready = true;
                        changeServer();
                    }
                });
            }
        }
        if (change != null) {
            await(change);
        }
        LOG.infof("vLLM simulator serving %s on %s%s", servedNames, baseUri, delay.isZero() ? "" : " after " + delay);
    }

    /** Stops listening and releases the port. */
    void stop() {
        Future<Void> change;
        synchronized (this) {
            if (baseUri == null || stopped) {
                return;
            }
            stopped = true;
            change = changeServer();
        }
        await(change);
        try {
            vertx.close()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(SERVER_CHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.debugf(e, "closing the simulator's Vert.x instance failed");
        }
    }

    private int eventLoops() {
        return Math.max(1, config.eventLoops().orElse(Runtime.getRuntime().availableProcessors()));
    }

    /** @return whether the simulator is configured to run ({@code vgate.simulator.enabled}) */
    public boolean enabled() {
        return config.enabled();
    }

    /**
     * The simulator's base URI, such as {@code http://127.0.0.1:43125}; known as soon as startup returns, even while
     * the port refuses connections.
     *
     * @return the base URI
     * @throws IllegalStateException when the simulator is not enabled
     */
    public URI baseUri() {
        URI uri = baseUri;
        if (uri == null) {
            throw new IllegalStateException("vLLM simulator is not running (vgate.simulator.enabled=false)");
        }
        return uri;
    }

    /** @return the live settings; changes apply at once, {@link SimSettings#reset()} restores the configuration */
    public SimSettings settings() {
        return settings;
    }

    /** @return the tokenizer behind every token count the simulator reports */
    public SimTokenizer tokenizer() {
        return SimTokenizer.instance();
    }

    /** @return the model name responses carry (the first served name) */
    public String modelName() {
        return servedNames.get(0);
    }

    /** @return sequences running now, as {@code vllm:num_requests_running} reports them (one per choice) */
    public int running() {
        return engine.runningSeqs();
    }

    /** @return sequences waiting for admission, as {@code vllm:num_requests_waiting} reports them */
    public int waiting() {
        return engine.waitingSeqs();
    }

    /** @return requests being answered now (queued, generating or writing), as {@code /load} reports them */
    public int inflight() {
        return engine.inflight();
    }

    /** @return generate requests accepted by the engine since startup */
    public long received() {
        return engine.received();
    }

    /** @return generate requests answered to the end (any finish reason but abort) since startup */
    public long finished() {
        return engine.finished();
    }

    /** @return generate requests aborted (client disconnect or connection-reset fault) since startup */
    public long aborted() {
        return engine.aborted();
    }

    /**
     * Waits until nothing is queued, running or being answered. Must not be called on an event loop.
     *
     * @param timeout how long to wait
     * @throws IllegalStateException when the simulator is still busy after {@code timeout}
     */
    public void awaitIdle(Duration timeout) {
        engine.awaitIdle(timeout);
    }

    private void settingsChanged() {
        engine.settingsChanged();
        Future<Void> change;
        synchronized (this) {
            boolean refuse = settings.faults().refuseConnections();
            if (baseUri == null || refuse == refusing) {
                return;
            }
            refusing = refuse;
            change = changeServer();
        }
        if (!Context.isOnEventLoopThread()) {
            await(change);
        }
    }

    /**
     * Queues a change of the server towards its desired state; changes run one after the other. Callers hold the
     * monitor; nothing waits for the change while holding it.
     */
    private Future<Void> changeServer() {
        serverChanges = serverChanges.transform(previous -> reconcile());
        return serverChanges;
    }

    private Future<Void> reconcile() {
        boolean listen = ready && !stopped && !refusing;
        if (listen && deploymentId == null) {
            closeReservation();
            return vertx.deployVerticle(
                            () -> new SimVerticle(routes, host, port),
                            new DeploymentOptions().setInstances(eventLoops()))
                    .onSuccess(id -> deploymentId = id)
                    .onFailure(t -> LOG.errorf(t, "vLLM simulator could not listen on %s:%d", host, port))
                    .mapEmpty();
        }
        if (!listen && deploymentId != null) {
            String id = deploymentId;
            deploymentId = null;
            return vertx.undeploy(id)
                    .transform(ignored -> stopped ? Future.succeededFuture() : reserveWhenFree(RESERVE_ATTEMPTS));
        }
        if (stopped) {
            closeReservation();
        }
        return Future.succeededFuture();
    }

    private void await(Future<Void> change) {
        try {
            change.toCompletionStage().toCompletableFuture().get(SERVER_CHANGE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("vLLM simulator server did not change state", e);
        }
    }

    /**
     * Binds (without listening) so the port stays ours: connections are refused, like vLLM's socket before uvicorn
     * serves, and nobody else can take it.
     */
    private static SocketChannel reserve(String host, int port) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            // Needed to re-bind while connections of the previous server linger in TIME_WAIT.
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(new InetSocketAddress(host, port));
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Reserves the port once the stopped server has let go of it. Vert.x reports the undeployment before
     * the shared listening socket is closed; until then the bind fails and connections still succeed, so
     * the change is complete only once the bind succeeded (or, should someone else hold the port, after
     * {@value #RESERVE_ATTEMPTS} tries).
     */
    private Future<Void> reserveWhenFree(int attemptsLeft) {
        try {
            reservation = reserve(host, port);
            return Future.succeededFuture();
        } catch (IOException e) {
            if (attemptsLeft <= 1) {
                LOG.debugf(e, "vLLM simulator could not reserve port %d while refusing connections", port);
                return Future.succeededFuture();
            }
            Promise<Void> retried = Promise.promise();
            vertx.setTimer(
                    RESERVE_RETRY_MILLIS,
                    timer -> reserveWhenFree(attemptsLeft - 1).onComplete(retried));
            return retried.future();
        }
    }

    private void closeReservation() {
        SocketChannel channel = reservation;
        reservation = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debugf(e, "closing the port reservation failed");
            }
        }
    }

    private static String uriHost(String host) {
        try {
            return InetAddress.getByName(host) instanceof Inet6Address ? "[" + host + "]" : host;
        } catch (IOException e) {
            return host;
        }
    }
}
