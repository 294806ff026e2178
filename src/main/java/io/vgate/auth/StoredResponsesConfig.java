package io.vgate.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Which tenant created each stored response ({@code vgate.auth.stored-responses.*}): vLLM keeps responses for
 * anyone who knows their id, so vgate remembers the creator and answers everyone else 404. Only when
 * authentication is on (without it there are no tenants to keep apart).
 */
@ConfigMapping(prefix = "vgate.auth.stored-responses")
public interface StoredResponsesConfig {

    /**
     * Response ids remembered at most; beyond it the oldest are forgotten, and their responses answer 404 to
     * everyone (vLLM keeps a response in memory until it restarts). Defaults to {@code 200000} (a few tens of MB).
     */
    @WithDefault("200000")
    long maxEntries();

    /**
     * How long a response id is remembered after it was created or last used. Defaults to {@code 7d}.
     */
    @WithDefault("7d")
    Duration retention();
}
