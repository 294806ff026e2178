package io.vgate.sim;

import java.net.URI;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The running simulator's address as configuration: {@value #URL}, such as {@code http://127.0.0.1:43125}, present
 * from the moment the simulator holds its port until it stops, and absent when it is off. Whoever needs the simulator
 * reads this key (vgate's {@code application.properties} makes it the default of {@code vgate.upstream.url}), so
 * nothing has to know the simulator's classes.
 *
 * <p>A configuration source of its own, registered through {@code META-INF/services}; the simulator finds the
 * instance in the application's configuration and fills it in at start-up, after the configuration was built (a free
 * port, {@code vgate.simulator.port=0}, is known only then). Read the key at or after start-up.</p>
 */
public final class SimulatorAddress implements ConfigSource {

    /** The key the simulator's base URL is published under. */
    public static final String URL = "vgate.simulator.url";

    static final String NAME = "vgate-simulator-address";
    /** Above every user-facing source: the address is a fact of the running simulator, not a setting. */
    private static final int ORDINAL = 1000;

    private volatile String url;

    /** Created by the configuration's service loader; empty until the simulator starts. */
    public SimulatorAddress() {}

    @Override
    public Map<String, String> getProperties() {
        String value = url;
        return value == null ? Map.of() : Map.of(URL, value);
    }

    @Override
    public Set<String> getPropertyNames() {
        return url == null ? Set.of() : Set.of(URL);
    }

    @Override
    public String getValue(String propertyName) {
        return URL.equals(propertyName) ? url : null;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public int getOrdinal() {
        return ORDINAL;
    }

    /** Publishes {@code baseUri} in {@code config}'s instance of this source. */
    static void publish(Config config, URI baseUri) {
        of(config).url = baseUri.toString();
    }

    /** Withdraws the address from {@code config} when the simulator stops. */
    static void withdraw(Config config) {
        of(config).url = null;
    }

    private static SimulatorAddress of(Config config) {
        for (ConfigSource source : config.getConfigSources()) {
            if (source instanceof SimulatorAddress address) {
                return address;
            }
        }
        throw new IllegalStateException("configuration source " + NAME + " is not registered");
    }
}
