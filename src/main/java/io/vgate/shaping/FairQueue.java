package io.vgate.shaping;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The order in which waiting requests are admitted: strict priority across classes (rank 0 first),
 * weighted round robin across the tenants of a class, first come first served within a tenant.
 * <p>
 * A tenant with weight {@code w} is admitted up to {@code w} times in a row when its turn comes, then
 * moves to the back of the round; a tenant that starts waiting joins at the back. So with {@code t}
 * tenants waiting in a class, a light tenant's request is admitted after at most the sum of the others'
 * weights, however many requests a flooding tenant has queued.
 * <p>
 * When the queue is full, {@link #victimFor} names the request to shed for a newcomer: the newest request
 * of the lowest class below the newcomer's, else the newest of the tenant holding the most of the
 * newcomer's class (relative to weight), if that tenant holds more than the newcomer's would.
 * <p>
 * Every operation is O(1) except {@link #victimFor} (linear in the tenants waiting, and only called when
 * the queue is full). Entries are linked intrusively, so queuing allocates nothing but a tenant's lane.
 * Not thread-safe: the owner serialises access.
 *
 * @param <E> the entries queued
 */
final class FairQueue<E extends FairQueue.Entry> {

    /** Something that waits in the queue: a request of one tenant in one priority class. */
    abstract static class Entry {
        final String tenant;
        final int rank;
        Lane queueLane;
        Entry queuePrev;
        Entry queueNext;

        Entry(String tenant, int rank) {
            this.tenant = tenant;
            this.rank = rank;
        }

        /** True while the entry is in a queue. */
        final boolean queued() {
            return queueLane != null;
        }
    }

    /** One tenant's FIFO within a class, and its place in the class's round. */
    static final class Lane {
        final String tenant;
        final int weight;
        Entry head;
        Entry tail;
        int size;
        int credit;
        Lane ringPrev;
        Lane ringNext;

        Lane(String tenant, int weight) {
            this.tenant = tenant;
            this.weight = weight;
            this.credit = weight;
        }
    }

    /** The waiting requests of one priority class. */
    private static final class Level {
        final Map<String, Lane> lanes = new HashMap<>();
        /** The lane whose turn it is; the ring runs through {@link Lane#ringNext}. */
        Lane current;

        int size;
    }

    private final Level[] levels;
    private final ToIntFunction<String> weights;
    private int size;

    /**
     * @param classes number of priority classes (ranks 0 to {@code classes - 1}, 0 the highest)
     * @param weights a tenant's weight, at least 1
     */
    FairQueue(int classes, ToIntFunction<String> weights) {
        this.levels = new Level[classes];
        for (int i = 0; i < classes; i++) {
            levels[i] = new Level();
        }
        this.weights = weights;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Requests waiting in class {@code rank}. */
    int size(int rank) {
        return levels[rank].size;
    }

    /** Requests waiting in class {@code rank} or higher: those admitted before a new request of that class. */
    int sizeAtOrAbove(int rank) {
        int total = 0;
        for (int i = 0; i <= rank; i++) {
            total += levels[i].size;
        }
        return total;
    }

    /** Requests of {@code tenant} waiting in class {@code rank}. */
    int size(int rank, String tenant) {
        Lane lane = levels[rank].lanes.get(tenant);
        return lane == null ? 0 : lane.size;
    }

    /** Queues {@code entry} at the back of its tenant's lane. */
    void add(E entry) {
        if (entry.queued()) {
            throw new IllegalStateException("already queued");
        }
        Level level = levels[entry.rank];
        Lane lane = level.lanes.get(entry.tenant);
        if (lane == null) {
            lane = new Lane(entry.tenant, Math.max(1, weights.applyAsInt(entry.tenant)));
            level.lanes.put(entry.tenant, lane);
            joinRing(level, lane);
        }
        entry.queueLane = lane;
        entry.queuePrev = lane.tail;
        if (lane.tail == null) {
            lane.head = entry;
        } else {
            lane.tail.queueNext = entry;
        }
        lane.tail = entry;
        lane.size++;
        level.size++;
        size++;
    }

    /** Removes and returns the request to admit next, or {@code null} when none waits. */
    @SuppressWarnings("unchecked")
    E poll() {
        for (Level level : levels) {
            if (level.size == 0) {
                continue;
            }
            Lane lane = level.current;
            Entry entry = lane.head;
            lane.credit--;
            if (lane.credit <= 0 && lane.size > 1) {
                lane.credit = lane.weight;
                level.current = lane.ringNext;
            }
            unlink(entry);
            return (E) entry;
        }
        return null;
    }

    /** Removes {@code entry} if it is queued; returns whether it was. */
    boolean remove(E entry) {
        if (!entry.queued()) {
            return false;
        }
        unlink(entry);
        return true;
    }

    /**
     * The request to shed so that a newcomer of class {@code rank} from {@code tenant} can wait in a full
     * queue, or {@code null} when the newcomer itself should be turned away.
     */
    @SuppressWarnings("unchecked")
    E victimFor(int rank, String tenant) {
        for (int lower = levels.length - 1; lower > rank; lower--) {
            Lane heaviest = heaviest(levels[lower]);
            if (heaviest != null) {
                return (E) heaviest.tail;
            }
        }
        Level level = levels[rank];
        Lane heaviest = heaviest(level);
        if (heaviest == null || heaviest.tenant.equals(tenant)) {
            return null;
        }
        Lane own = level.lanes.get(tenant);
        int ownSize = own == null ? 0 : own.size;
        int ownWeight = own == null ? Math.max(1, weights.applyAsInt(tenant)) : own.weight;
        // Shed only if the heaviest tenant would still hold more than the newcomer's, weight for weight.
        boolean heavier = (long) heaviest.size * ownWeight > (long) (ownSize + 1) * heaviest.weight;
        return heavier ? (E) heaviest.tail : null;
    }

    /** Removes and returns every queued request, highest class first. */
    @SuppressWarnings("unchecked")
    List<E> removeAll() {
        List<E> all = new ArrayList<>(size);
        for (Level level : levels) {
            for (Lane lane : List.copyOf(level.lanes.values())) {
                for (Entry entry = lane.head; entry != null; ) {
                    Entry next = entry.queueNext;
                    all.add((E) entry);
                    entry = next;
                }
            }
        }
        for (E entry : all) {
            unlink(entry);
        }
        return all;
    }

    private static Lane heaviest(Level level) {
        Lane best = null;
        for (Lane lane : level.lanes.values()) {
            if (best == null
                    || (long) lane.size * best.weight > (long) best.size * lane.weight
                    || ((long) lane.size * best.weight == (long) best.size * lane.weight && lane.size > best.size)) {
                best = lane;
            }
        }
        return best;
    }

    private void unlink(Entry entry) {
        Lane lane = entry.queueLane;
        Level level = levels[entry.rank];
        if (entry.queuePrev == null) {
            lane.head = entry.queueNext;
        } else {
            entry.queuePrev.queueNext = entry.queueNext;
        }
        if (entry.queueNext == null) {
            lane.tail = entry.queuePrev;
        } else {
            entry.queueNext.queuePrev = entry.queuePrev;
        }
        entry.queuePrev = null;
        entry.queueNext = null;
        entry.queueLane = null;
        lane.size--;
        level.size--;
        size--;
        if (lane.size == 0) {
            leaveRing(level, lane);
            level.lanes.remove(lane.tenant);
        }
    }

    /** A new lane takes its turn after every lane already waiting. */
    private static void joinRing(Level level, Lane lane) {
        Lane current = level.current;
        if (current == null) {
            lane.ringPrev = lane;
            lane.ringNext = lane;
            level.current = lane;
            return;
        }
        Lane last = current.ringPrev;
        last.ringNext = lane;
        lane.ringPrev = last;
        lane.ringNext = current;
        current.ringPrev = lane;
    }

    private static void leaveRing(Level level, Lane lane) {
        if (lane.ringNext == lane) {
            level.current = null;
        } else {
            lane.ringPrev.ringNext = lane.ringNext;
            lane.ringNext.ringPrev = lane.ringPrev;
            if (level.current == lane) {
                level.current = lane.ringNext;
            }
        }
        lane.ringPrev = null;
        lane.ringNext = null;
    }
}
