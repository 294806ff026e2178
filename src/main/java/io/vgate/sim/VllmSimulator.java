package io.vgate.sim;

import java.net.URI;

import jakarta.enterprise.context.ApplicationScoped;

/** TEMPORARY compile shim, replaced by the sim branch. Not committed. */
@ApplicationScoped
public class VllmSimulator {
    public boolean enabled() {
        return true;
    }

    public URI baseUri() {
        return URI.create(System.getProperty("shim.upstream", "http://127.0.0.1:8000"));
    }
}
