package io.vgate.upstream;

import io.vgate.sim.VllmSimulator;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;

/**
 * Where vLLM is: {@code vgate.upstream.url}, or else the embedded simulator when it runs in-process
 * (dev mode, tests, and {@code VGATE_SIMULATOR_ENABLED=true}). Resolved once, on first use, which is
 * after start-up, when the simulator already knows its port.
 */
@ApplicationScoped
public class UpstreamTarget {

    private final URI baseUri;

    public UpstreamTarget(UpstreamConfig config, VllmSimulator simulator) {
        if (config.url().isPresent()) {
            this.baseUri = config.url().get();
        } else if (simulator.enabled()) {
            this.baseUri = simulator.baseUri();
        } else {
            throw new IllegalStateException(
                    "No upstream: set vgate.upstream.url (env VGATE_UPSTREAM_URL) to vLLM's"
                            + " base URL, e.g. http://localhost:8000, or enable the simulator with VGATE_SIMULATOR_ENABLED=true");
        }
        String scheme = baseUri.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalStateException("vgate.upstream.url must be an http or https URL, got " + baseUri);
        }
    }

    /** vLLM's base URL, e.g. {@code http://localhost:8000}. */
    public URI baseUri() {
        return baseUri;
    }

    public String host() {
        return baseUri.getHost();
    }

    public int port() {
        int port = baseUri.getPort();
        if (port > 0) {
            return port;
        }
        return ssl() ? 443 : 80;
    }

    public boolean ssl() {
        return "https".equals(baseUri.getScheme());
    }

    /** Path prefix of the base URL without a trailing slash, usually empty. */
    public String basePath() {
        String path = baseUri.getRawPath();
        if (path == null || path.isEmpty() || "/".equals(path)) {
            return "";
        }
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
