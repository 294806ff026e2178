package io.vgate.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes of request bodies vgate holds at once ({@code vgate.api.max-held-bodies}). A request takes its
 * declared length before its body is read and gives it back when its answer ends; one that does not fit is
 * refused while others are held, so a burst of large bodies gets 503s instead of running the heap out. One body
 * is always let through when none is held, so a body the size limit admits is never refused for ever.
 */
final class BodyBudget {

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    BodyBudget(long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} of the budget; false, taking nothing, when they do not fit beside what is held. */
    boolean take(long bytes) {
        while (true) {
            long now = held.get();
            if (now > 0 && now + bytes > limit) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back what {@link #take} took. */
    void give(long bytes) {
        held.addAndGet(-bytes);
    }

    /** Bytes held now. */
    long held() {
        return held.get();
    }
}
