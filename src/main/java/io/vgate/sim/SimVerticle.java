package io.vgate.sim;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * One HTTP server instance of the simulator, on its own event loop. Several instances listen on the same port and
 * Vert.x spreads connections among them.
 */
final class SimVerticle extends AbstractVerticle {

    private final SimRoutes routes;
    private final String host;
    private final int port;

    SimVerticle(SimRoutes routes, String host, int port) {
        this.routes = routes;
        this.host = host;
        this.port = port;
    }

    @Override
    public void start(Promise<Void> started) {
        Router router = routes.router(vertx);

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
