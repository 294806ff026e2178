package io.vgate.sim;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * What vLLM decides before any route runs: the {@code --api-key} middleware, then whether the path exists at all for
 * the model's task (and for runtime LoRA loading). Registered first on the router, so routes added later by other
 * route classes are covered without knowing about it.
 */
final class ServingGate implements Handler<RoutingContext> {

    /** vLLM's answer to a missing or wrong key, on every guarded route. */
    static final String UNAUTHORIZED = "{\"error\":\"Unauthorized\"}";

    private static final List<String> GUARDED_PREFIXES = List.of("/v1", "/v2", "/inference", "/cohere");

    private final ServingSettings serving;
    private final Handler<RoutingContext> notFound;

    ServingGate(ServingSettings serving, Handler<RoutingContext> notFound) {
        this.serving = serving;
        this.notFound = notFound;
    }

    @Override
    public void handle(RoutingContext rc) {
        String path = rc.request().path();
        if (!authorized(rc, path)) {
            rc.response()
                    .setStatusCode(401)
                    .putHeader("content-type", SimRoutes.JSON)
                    .end(UNAUTHORIZED);
            return;
        }
        if (SimTask.LORA_ROUTES.contains(path) && !serving.allowRuntimeLoraUpdating()) {
            notFound.handle(rc);
            return;
        }
        if (SimTask.taskRoute(path) && !SimTask.served(serving.tasks(), path)) {
            notFound.handle(rc);
            return;
        }
        rc.next();
    }

    /**
     * vLLM's {@code AuthenticationMiddleware}: {@code OPTIONS} and paths outside {@code /v1}, {@code /v2},
     * {@code /inference} and {@code /cohere} pass; the rest need {@code Authorization: Bearer <key>} exactly, for one
     * of the keys (compared in constant time, as vLLM compares digests).
     */
    private boolean authorized(RoutingContext rc, String path) {
        List<String> keys = serving.apiKeys();
        if (keys.isEmpty() || rc.request().method() == HttpMethod.OPTIONS || !guarded(path)) {
            return true;
        }
        String header = rc.request().getHeader("authorization");
        if (header == null) {
            return false;
        }
        byte[] presented = header.getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (String key : keys) {
            match |= MessageDigest.isEqual(presented, ("Bearer " + key).getBytes(StandardCharsets.UTF_8));
        }
        return match;
    }

    static boolean guarded(String path) {
        for (String prefix : GUARDED_PREFIXES) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
