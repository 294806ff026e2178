package io.vgate.shaping;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import io.vgate.shaping.ShapingMetrics.Outcome;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Admission control: at most {@link InFlightLimit#limit()} requests run on vLLM at once (a limit that follows
 * vLLM's own load, up to {@code vgate.shaping.max-in-flight}, or that number when the limit is static); the
 * rest wait in a bounded {@link FairQueue} (priority classes, weighted round robin across tenants) for at most
 * {@code max-queue-wait}. When the limit rises, waiting requests are admitted at once.
 * <p>
 * {@link #enter} returns a {@link Ticket} whose {@link Ticket#granted()} future completes when the request
 * holds a slot, or fails with an {@link ApiException} when it cannot get one: {@code 429
 * concurrency_limit_exceeded} when its tenant already has its cap of requests in flight or queued
 * ({@link TenantSlots}), or {@code 503} when the queue is full, the wait ran out, it was shed for a
 * higher-priority request, or vgate is shutting down; always with {@code Retry-After}. No thread ever blocks:
 * a waiting request is just an entry in the queue, woken on its own event loop when a slot frees.
 * <p>
 * The data path releases the ticket exactly once, however the request ends ({@link Ticket#release()}); a
 * client that leaves while waiting is taken out of the queue at once the same way. The release gives back the
 * tenant's slot too, on every exit.
 * <p>
 * State is shared by all event loops and guarded by this object's monitor; the critical sections are a
 * few field updates. Callbacks into exchanges always run outside the monitor, on the exchange's context.
 */
@Singleton
public class Admission {

    /** Retry hint while draining: another replica can take the request straight away. */
    static final Duration SHUTDOWN_RETRY_AFTER = Duration.ofSeconds(2);

    private final InFlightLimit limit;
    private final int maxQueue;
    private final int defaultTenantCap;
    private final PriorityClasses classes;
    final ShapingMetrics metrics;
    private final FairQueue<Claim> queue;
    private final TenantSlots tenants = new TenantSlots();
    private final RetryHints hints;
    final VllmPriorities vllmPriorities;
    final Vertx vertx;

    // Guarded by this.
    private long issued;
    private long released;
    private long releasedAgain;
    private int inFlight;
    private Claim admitted;
    private boolean draining;

    public Admission(
            ShapingConfig config, PriorityClasses classes, ShapingMetrics metrics, InFlightLimit limit, Vertx vertx) {
        if (config.maxInFlight() < 1 || config.maxQueue() < 0) {
            throw new IllegalArgumentException(
                    "vgate.shaping.max-in-flight must be at least 1 and max-queue at least 0");
        }
        OptionalInt tenantCap = config.tenantMaxConcurrency();
        if (tenantCap.isPresent() && tenantCap.getAsInt() < 1) {
            throw new IllegalArgumentException("vgate.shaping.tenant-max-concurrency must be at least 1");
        }
        this.limit = limit;
        this.maxQueue = config.maxQueue();
        this.defaultTenantCap = tenantCap.orElse(0);
        this.classes = classes;
        this.hints = new RetryHints(config, classes, System.nanoTime());
        this.vllmPriorities = new VllmPriorities(config.priority(), classes);
        Map<String, Integer> weights = config.fairness().weights();
        int defaultWeight = Math.max(1, config.fairness().defaultWeight());
        this.queue = new FairQueue<>(classes.count(), tenant -> weights.getOrDefault(tenant, defaultWeight));
        this.metrics = metrics;
        this.vertx = vertx;
        metrics.registerAdmission(classes, this::inFlight, this::queued);
        limit.attach(this::inFlight, this::queued, this::admitWaiting);
    }

    /**
     * Queues a request of {@code tenant} in priority class {@code priority} for a slot. Call on the request's
     * event loop; the ticket's future completes there (at once, without any allocation beyond the ticket,
     * when a slot is free).
     *
     * @param maxConcurrency the tenant's cap on requests in flight and queued (its key's or token's), or
     *     {@code null} for {@code vgate.shaping.tenant-max-concurrency}
     * @param abort how to end the request should vgate have to give up on it while it runs (shutdown)
     */
    public Ticket enter(String tenant, String priority, Integer maxConcurrency, Handler<ApiError> abort) {
        Context context = Vertx.currentContext();
        var ticket = new Claim(
                this, tenant, classes.rank(priority), abort, context != null ? context : vertx.getOrCreateContext());
        enter(ticket, maxConcurrency != null ? maxConcurrency : defaultTenantCap);
        return ticket;
    }

    private void enter(Claim ticket, int tenantCap) {
        Promise<Void> emitter = ticket.emitter;
        ticket.enqueuedNanos = System.nanoTime();
        Claim shed = null;
        ApiError rejection = null;
        boolean admittedNow = false;
        synchronized (this) {
            issued++;
            if (draining) {
                rejection = ShapingErrors.shuttingDown(SHUTDOWN_RETRY_AFTER);
            } else if (!tenants.tryAcquire(ticket.tenant, tenantCap)) {
                rejection = ShapingErrors.concurrencyLimitExceeded(
                        tenantCap, hints.tenant(tenants.held(ticket.tenant), inFlight, ticket.enqueuedNanos));
            } else {
                // Held until the ticket's release, whichever way the request ends.
                ticket.tenantSlot = tenantCap > 0;
                if (inFlight < limit.limit() && queue.isEmpty()) {
                    take(ticket);
                    admittedNow = true;
                } else if (queue.size() < maxQueue) {
                    queue.add(ticket);
                    ticket.state = Claim.State.QUEUED;
                } else {
                    shed = queue.victimFor(ticket.rank, ticket.tenant);
                    if (shed == null) {
                        rejection = ShapingErrors.queueFull(retryAfter(ticket.rank, ticket.enqueuedNanos));
                    } else {
                        queue.remove(shed);
                        shed.state = Claim.State.DONE;
                        queue.add(ticket);
                        ticket.state = Claim.State.QUEUED;
                    }
                }
            }
        }
        if (rejection != null) {
            ticket.state = Claim.State.DONE;
            emitter.fail(new ApiException(rejection));
            return;
        }
        if (admittedNow) {
            metrics.queueWait(ticket.rank, Outcome.ADMITTED, 0);
            emitter.complete();
            return;
        }
        ticket.timerId = vertx.setTimer(Math.max(1, hints.maxQueueWaitNanos(ticket.rank) / 1_000_000), ticket::expire);
        if (shed != null) {
            Claim victim = shed;
            Duration retryAfter;
            synchronized (this) {
                retryAfter = retryAfter(victim.rank, System.nanoTime());
            }
            victim.reject(ShapingErrors.queueShed(retryAfter), Outcome.SHED);
        }
    }

    /** Takes a slot for {@code ticket}. Caller holds the monitor. */
    private void take(Claim ticket) {
        inFlight++;
        ticket.state = Claim.State.ADMITTED;
        ticket.next = admitted;
        if (admitted != null) {
            admitted.prev = ticket;
        }
        admitted = ticket;
    }

    /** The exchange of {@code ticket} is over: leave the queue, or give the slot back and admit the next. */
    void finished(Claim ticket) {
        List<Claim> granted = null;
        boolean cancelTimer = false;
        synchronized (this) {
            if (ticket.releaseCalled) {
                releasedAgain++;
                return;
            }
            ticket.releaseCalled = true;
            released++;
            if (ticket.tenantSlot) {
                ticket.tenantSlot = false;
                tenants.release(ticket.tenant);
            }
            switch (ticket.state) {
                case QUEUED -> {
                    queue.remove(ticket);
                    ticket.state = Claim.State.DONE;
                    cancelTimer = true;
                    metrics.queueWait(ticket.rank, Outcome.ABANDONED, System.nanoTime() - ticket.enqueuedNanos);
                }
                case ADMITTED -> {
                    ticket.state = Claim.State.DONE;
                    release(ticket);
                    granted = grant();
                }
                default -> {
                    return;
                }
            }
        }
        if (cancelTimer) {
            vertx.cancelTimer(ticket.timerId);
        }
        deliver(granted);
    }

    /** The limit rose: admits as many waiting requests as it now allows. */
    private void admitWaiting() {
        List<Claim> granted;
        synchronized (this) {
            granted = grant();
        }
        deliver(granted);
    }

    /** Hands the slots just granted to their requests, each on its own event loop. */
    private static void deliver(List<Claim> granted) {
        if (granted != null) {
            for (Claim next : granted) {
                next.context.runOnContext(ignored -> next.deliver());
            }
        }
    }

    /** Gives a slot back. Caller holds the monitor. */
    private void release(Claim ticket) {
        inFlight--;
        if (ticket.prev == null) {
            admitted = ticket.next;
        } else {
            ticket.prev.next = ticket.next;
        }
        if (ticket.next != null) {
            ticket.next.prev = ticket.prev;
        }
        ticket.prev = null;
        ticket.next = null;
        hints.finished(System.nanoTime());
        if (draining && inFlight == 0) {
            notifyAll();
        }
    }

    /** Hands free slots to waiting requests. Caller holds the monitor. */
    private List<Claim> grant() {
        List<Claim> granted = null;
        int now = limit.limit();
        while (inFlight < now && !queue.isEmpty() && !draining) {
            Claim next = queue.poll();
            take(next);
            if (granted == null) {
                granted = new ArrayList<>(1);
            }
            granted.add(next);
        }
        return granted;
    }

    void expire(Claim ticket) {
        Duration retryAfter;
        synchronized (this) {
            if (ticket.state != Claim.State.QUEUED) {
                return;
            }
            queue.remove(ticket);
            ticket.state = Claim.State.DONE;
            retryAfter = retryAfter(ticket.rank, System.nanoTime());
        }
        ticket.reject(
                ShapingErrors.queueTimeout(Duration.ofNanos(hints.maxQueueWaitNanos(ticket.rank)), retryAfter),
                Outcome.TIMED_OUT);
    }

    /**
     * When a request of class {@code rank} arriving now is likely to get a slot: the requests ahead of it
     * divided by the rate at which vLLM has been finishing requests ({@link RetryHints#queued}). Caller holds
     * the monitor.
     */
    private Duration retryAfter(int rank, long now) {
        return hints.queued(rank, queue.sizeAtOrAbove(rank), now);
    }

    // -- shutdown ------------------------------------------------------------------------------------

    /**
     * Starts draining: no more admissions, and every waiting request is answered {@code 503 shutting_down}.
     * Requests in flight carry on.
     */
    void beginDrain() {
        List<Claim> waiting;
        synchronized (this) {
            if (draining) {
                return;
            }
            draining = true;
            waiting = queue.removeAll();
            for (Claim ticket : waiting) {
                ticket.state = Claim.State.DONE;
            }
            if (inFlight == 0) {
                notifyAll();
            }
        }
        for (Claim ticket : waiting) {
            ticket.reject(ShapingErrors.shuttingDown(SHUTDOWN_RETRY_AFTER), Outcome.SHUTTING_DOWN);
        }
    }

    /** Waits (blocking; never on an event loop) until nothing is in flight; false if {@code timeout} passed first. */
    synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }

    /**
     * Ends every request in flight with {@code error} (on its own event loop), closing its vLLM request.
     * Returns how many there were.
     */
    int abortInFlight(ApiError error) {
        List<Claim> running = new ArrayList<>();
        synchronized (this) {
            for (Claim ticket = admitted; ticket != null; ticket = ticket.next) {
                running.add(ticket);
            }
        }
        for (Claim ticket : running) {
            ticket.context.runOnContext(ignored -> ticket.abort.handle(error));
        }
        return running.size();
    }

    /** Takes admissions again after {@link #beginDrain()}; only tests resume a drained instance. */
    synchronized void endDrain() {
        draining = false;
    }

    /** The priority class of requests whose caller names none. */
    public String defaultPriority() {
        return classes.defaultClass();
    }

    /**
     * Tickets handed out, tickets released, and releases of a ticket already released; every ticket is
     * released exactly once when the first two match and the last is 0. For tests.
     */
    synchronized long[] ticketCounts() {
        return new long[] {issued, released, releasedAgain};
    }

    /** The Retry-After, in whole seconds, a request of class {@code priority} would be told now. For tests. */
    synchronized long retryAfterSeconds(String priority) {
        return ShapingErrors.queueFull(retryAfter(classes.rank(priority), System.nanoTime()))
                .retryAfterSeconds();
    }

    /** True once shutdown has begun. */
    public synchronized boolean draining() {
        return draining;
    }

    /** Requests in flight now. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /** Requests waiting now, all classes. */
    public synchronized int queued() {
        return queue.size();
    }

    synchronized int queued(int rank) {
        return queue.size(rank);
    }

    /** Slots {@code tenant} holds now (requests in flight or queued, counted only under a cap). */
    synchronized int tenantHeld(String tenant) {
        return tenants.held(tenant);
    }

    /** The limit admission enforces now. */
    public int limit() {
        return limit.limit();
    }
}
