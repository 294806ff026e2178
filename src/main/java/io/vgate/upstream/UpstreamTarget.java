package io.vgate.upstream;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.URI;
import org.eclipse.microprofile.config.Config;

/**
 * Where vLLM is: {@code vgate.upstream.url}. Unless it is set (env {@code VGATE_UPSTREAM_URL}), it is the
 * embedded simulator's address, {@code vgate.simulator.url}, which the simulator publishes as configuration once
 * it holds its port (dev mode, tests, and {@code VGATE_SIMULATOR_ENABLED=true}); vgate reaches the simulator only
 * over HTTP, like any vLLM. Resolved once, on first use, which is after start-up.
 */
@ApplicationScoped
public class UpstreamTarget {

    /** The key of vLLM's base URL, {@link UpstreamConfig#url()}. */
    static final String URL_KEY = "vgate.upstream.url";

    private final URI baseUri;

    /**
     * @param config the application's configuration, read live: {@link UpstreamConfig}'s values are fixed before
     *     start-up, before the simulator on a free port knows its address
     */
    @Inject
    public UpstreamTarget(Config config) {
        this(config.getOptionalValue(URL_KEY, URI.class)
                .orElseThrow(
                        () -> new IllegalStateException("No upstream: set vgate.upstream.url (env VGATE_UPSTREAM_URL)"
                                + " to vLLM's base URL, e.g. http://localhost:8000, or enable the simulator with"
                                + " VGATE_SIMULATOR_ENABLED=true")));
    }

    /**
     * @param baseUri vLLM's base URL
     * @throws IllegalStateException when it is not an http or https URL
     */
    public UpstreamTarget(URI baseUri) {
        String scheme = baseUri.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalStateException("vgate.upstream.url must be an http or https URL, got " + baseUri);
        }
        this.baseUri = baseUri;
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
