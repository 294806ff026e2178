package io.vgate.edge;

import io.quarkus.arc.Unremovable;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Gives every connection to vgate's HTTP port a deadline for its request head.
 * <p>
 * Vert.x closes a connection whose idle timer runs out, and for HTTP/1.x it places that timer behind the
 * HTTP decoder: the timer restarts when a whole request head (or a body chunk) has been decoded or a
 * response byte written, not on every byte received. So the server's idle timeout, set to
 * {@code vgate.connections.request-head-timeout}, is a deadline for the head, whether nothing arrives at all
 * or the head trickles in byte by byte. While a request is being answered the client rightly sends nothing
 * and vLLM may think for a long time, so {@link ConnectionGuard} swaps in the idle timeout Quarkus was
 * configured with ({@code quarkus.http.idle-timeout}) for the exchange, and the keep-alive timeout once the
 * response has ended.
 */
// Looked up by Quarkus when it creates the server, never injected: Arc must not remove it as unused.
@Unremovable
@Singleton
public class EdgeServerOptions implements HttpServerOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(EdgeServerOptions.class);

    private final long headTimeoutMillis;
    private volatile long exchangeIdleMillis;

    public EdgeServerOptions(EdgeConfig config) {
        this.headTimeoutMillis = Math.max(1, config.requestHeadTimeout().toMillis());
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        apply(options);
    }

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        apply(options);
    }

    /** The idle timeout of a connection while a request on it is being answered, in ms; 0 means none. */
    long exchangeIdleMillis() {
        return exchangeIdleMillis;
    }

    private void apply(HttpServerOptions options) {
        exchangeIdleMillis = TimeUnit.MILLISECONDS.convert(options.getIdleTimeout(), options.getIdleTimeoutUnit());
        options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, headTimeoutMillis));
        LOG.debugf(
                "HTTP connections: request head within %d ms, idle timeout %d ms while answering",
                headTimeoutMillis, exchangeIdleMillis);
    }
}
