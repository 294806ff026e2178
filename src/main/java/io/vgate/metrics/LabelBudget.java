package io.vgate.metrics;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the values one label may take: a fixed allow-list, or the first {@code max} distinct values
 * admitted since start-up. Everything else becomes {@link #OTHER}. Lookups of known values are one hash
 * lookup and return the same interned string, so meters keyed by it are found without allocation.
 */
final class LabelBudget {

    /** The label value for everything outside the budget. */
    static final String OTHER = "other";

    private final ConcurrentHashMap<String, String> known = new ConcurrentHashMap<>();
    private final boolean fixed;
    private final int max;
    private final AtomicInteger size = new AtomicInteger();

    private LabelBudget(boolean fixed, int max) {
        this.fixed = fixed;
        this.max = max;
    }

    /** The allow-list when it is configured, otherwise the first {@code max} values admitted. */
    static LabelBudget of(Optional<Set<String>> allowList, int max) {
        if (allowList.isPresent()) {
            var budget = new LabelBudget(true, 0);
            allowList.get().forEach(value -> budget.known.put(value, value));
            return budget;
        }
        return new LabelBudget(false, Math.max(0, max));
    }

    /** The label for {@code value} if it is already known, else {@link #OTHER}; never admits. */
    String label(String value) {
        if (value == null) {
            return OTHER;
        }
        String label = known.get(value);
        return label != null ? label : OTHER;
    }

    /** The label for {@code value}, admitting it when the budget has room. */
    String admit(String value) {
        if (value == null) {
            return OTHER;
        }
        String label = known.get(value);
        if (label != null || fixed) {
            return label != null ? label : OTHER;
        }
        if (size.incrementAndGet() > max) {
            size.decrementAndGet();
            return OTHER;
        }
        String previous = known.putIfAbsent(value, value);
        if (previous != null) {
            size.decrementAndGet();
            return previous;
        }
        return value;
    }
}
