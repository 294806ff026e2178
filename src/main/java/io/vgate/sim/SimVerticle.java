package io.vgate.sim;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.jboss.logging.Logger;

/**
 * One HTTP server instance of the simulator, on its own event loop. Several instances listen on the same port and
 * Vert.x spreads connections among them.
 */
final class SimVerticle extends AbstractVerticle {

    private static final Logger LOG = Logger.getLogger(SimVerticle.class);

    private final SimHandlers handlers;
    private final String host;
    private final int port;

    SimVerticle(SimHandlers handlers, String host, int port) {
        this.handlers = handlers;
        this.host = host;
        this.port = port;
    }

    @Override
    public void start(Promise<Void> started) {
        Router router = Router.router(vertx);
        router.post("/v1/chat/completions").handler(handlers::chatCompletions);
        router.post("/v1/completions").handler(handlers::completions);
        router.post("/v1/embeddings").handler(handlers::embeddings);
        router.get("/v1/models").handler(handlers::models);
        router.post("/tokenize").handler(handlers::tokenize);
        router.post("/detokenize").handler(handlers::detokenize);
        router.get("/health").handler(handlers::health);
        router.route("/ping").method(HttpMethod.GET).method(HttpMethod.POST).handler(handlers::health);
        router.get("/version").handler(handlers::version);
        router.get("/load").handler(handlers::load);
        router.get("/metrics").handler(handlers::metrics);
        // Simulator-only administration; real vLLM has no such route.
        router.get("/sim/settings").handler(handlers::getSettings);
        router.post("/sim/settings").handler(handlers::postSettings);
        router.post("/sim/settings/reset").handler(handlers::resetSettings);
        router.errorHandler(404, handlers::notFound);
        router.errorHandler(405, handlers::methodNotAllowed);
        router.errorHandler(500, rc -> {
            LOG.warnf(rc.failure(), "Simulator route %s failed", rc.request().path());
            SimHandlers.internalError(rc.response(), rc.failure());
        });

        HttpServerOptions options = new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setReuseAddress(true)
                .setTcpNoDelay(true)
                .setIdleTimeout(0)
                .setAcceptBacklog(8192)
                .setCompressionSupported(false)
                .setHandle100ContinueAutomatically(true);
        vertx.createHttpServer(options)
                .requestHandler(router)
                .listen()
                .<Void>mapEmpty()
                .onComplete(started);
    }
}
