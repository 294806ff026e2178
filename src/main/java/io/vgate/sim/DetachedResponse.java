package io.vgate.sim;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.lang.reflect.Proxy;

/**
 * The response of a generation that no connection waits for: a background Responses request, which vLLM runs as a
 * task of its own after answering {@code queued}. What the {@link GenerationJob} writes goes nowhere (its
 * {@link Dialect} keeps what matters in the {@link ResponseStore}); it never closes, so only a cancel aborts the job.
 */
final class DetachedResponse {

    private DetachedResponse() {}

    /** A response that accepts every write and never closes. */
    static HttpServerResponse create() {
        Object[] self = new Object[1];
        HttpServerResponse response = (HttpServerResponse) Proxy.newProxyInstance(
                HttpServerResponse.class.getClassLoader(),
                new Class<?>[] {HttpServerResponse.class},
                (proxy, method, args) -> {
                    Class<?> type = method.getReturnType();
                    if (type == HttpServerResponse.class) {
                        return self[0];
                    }
                    if (type == Future.class) {
                        return Future.succeededFuture();
                    }
                    if (type == boolean.class) {
                        // Written already, never closed or ended, never backed up; reset() is "done".
                        return switch (method.getName()) {
                            case "headWritten", "reset", "isChunked" -> true;
                            default -> false;
                        };
                    }
                    if (type == int.class) {
                        return method.getName().equals("getStatusCode") ? 200 : 0;
                    }
                    if (type == long.class) {
                        return 0L;
                    }
                    if (method.getName().equals("toString")) {
                        return "DetachedResponse";
                    }
                    if (method.getName().equals("hashCode")) {
                        return System.identityHashCode(proxy);
                    }
                    if (method.getName().equals("equals")) {
                        return proxy == args[0];
                    }
                    return null;
                });
        self[0] = response;
        return response;
    }
}
