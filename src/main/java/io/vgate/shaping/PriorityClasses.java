package io.vgate.shaping;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The configured priority classes ({@code vgate.shaping.priority.classes}), highest first, and their ranks
 * (0 = highest): the one source every step asks (the keys file, the JWT claim, the trusted callers'
 * header, admission). A class name not configured ranks lowest, so a typo in a key's attributes can never
 * raise a caller above others.
 */
@Singleton
public final class PriorityClasses {

    private static final Logger LOG = Logger.getLogger(PriorityClasses.class);

    /** The usual class of callers that name none. */
    static final String DEFAULT = "interactive";

    private final List<String> names;
    private final Map<String, Integer> ranks = new HashMap<>();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    @Inject
    public PriorityClasses(ShapingConfig config) {
        this(config.priority().classes());
    }

    /** The classes {@code names}, highest first; for tests and tools that build them by hand. */
    public PriorityClasses(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("vgate.shaping.priority.classes must name at least one class");
        }
        this.names = List.copyOf(names);
        for (int i = 0; i < names.size(); i++) {
            if (ranks.putIfAbsent(names.get(i), i) != null) {
                throw new IllegalArgumentException("vgate.shaping.priority.classes lists '" + names.get(i) + "' twice");
            }
        }
    }

    /**
     * The class of callers that name none: {@code interactive} when configured (the default classes), else
     * the lowest configured class.
     */
    public String defaultClass() {
        return known(DEFAULT) ? DEFAULT : names.get(names.size() - 1);
    }

    /** The configured classes, highest first. */
    public List<String> names() {
        return names;
    }

    int count() {
        return names.size();
    }

    String name(int rank) {
        return names.get(rank);
    }

    /** True when {@code name} is a configured class. */
    public boolean known(String name) {
        return ranks.containsKey(name);
    }

    /** The rank of {@code name}; unknown names rank lowest (logged once per name). */
    int rank(String name) {
        Integer rank = name == null ? null : ranks.get(name);
        if (rank != null) {
            return rank;
        }
        if (warned.size() < 100 && warned.add(String.valueOf(name))) {
            LOG.warnf(
                    "Priority class '%s' is not in vgate.shaping.priority.classes %s; treating it as the lowest",
                    name, names);
        }
        return names.size() - 1;
    }
}
