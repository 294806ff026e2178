package io.vgate.proxy;

import java.util.Arrays;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vgate.api.ApiConfig;
import io.vgate.api.ApiError;
import io.vgate.api.ApiRoute;

/**
 * Mounts the OpenAI routes on Quarkus's HTTP router. Requests are served straight from Vert.x
 * (no JAX-RS layer) because the relay needs the raw request and response: bytes in, bytes out.
 * Unknown {@code /v1} paths and wrong methods get OpenAI-shaped 404/405 answers.
 */
@ApplicationScoped
public class ProxyRoutes {

    private static final Logger LOG = Logger.getLogger(ProxyRoutes.class);

    private final ProxyHandler proxy;
    private final long maxBodySize;

    public ProxyRoutes(ProxyHandler proxy, ApiConfig config) {
        this.proxy = proxy;
        this.maxBodySize = config.maxBodySize().asLongValue();
    }

    void mount(@Observes Router router) {
        BodyHandler bodies = BodyHandler.create(false).setBodyLimit(maxBodySize);
        for (ApiRoute route : ApiRoute.values()) {
            var mounted = router.route(route.method(), route.path());
            if (route.hasBody()) {
                mounted.handler(bodies);
            }
            mounted.handler(context -> proxy.handle(context, route)).failureHandler(context -> failed(context, route));
        }
        router.route("/v1/*").handler(this::unknown);
    }

    private void unknown(RoutingContext context) {
        String method = context.request().method().name();
        String path = context.request().path();
        boolean known = Arrays.stream(ApiRoute.values()).anyMatch(route -> route.path().equals(path));
        proxy.reject(context, null,
                known ? ApiError.methodNotAllowed(method, path) : ApiError.unknownRoute(method, path));
    }

    private void failed(RoutingContext context, ApiRoute route) {
        ApiError error = switch (context.statusCode()) {
            case 413 -> ApiError.bodyTooLarge(maxBodySize);
            case 400 -> ApiError.invalidJson("The request body could not be read.");
            default -> ApiError.internal();
        };
        if (context.failure() != null && error.status() == 500) {
            LOG.error("Request failed before reaching the data path", context.failure());
        }
        proxy.reject(context, route, error);
    }
}
