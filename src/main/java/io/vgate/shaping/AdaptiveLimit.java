package io.vgate.shaping;

/**
 * The rule behind the adaptive in-flight limit: from vLLM's own load ({@link VllmLoad}, read every
 * {@code vgate.shaping.adaptive.interval}) and vgate's own demand, the next limit on requests vgate lets through
 * to vLLM at once. A pure function: no clock, no I/O, the same inputs always give the same decision.
 *
 * <h2>The goal</h2>
 *
 * vLLM should run at its own capacity with almost no queue of its own, and all excess should wait in vgate's
 * queue, where it is fair, prioritised, bounded and shed with {@code Retry-After}. vLLM's capacity is not a
 * number an operator can know: it moves with prompt and output lengths, the KV cache, the model and the GPU. But
 * vLLM says when it is reached: its waiting queue stops being empty, or it preempts running sequences because the
 * KV cache is full. Below capacity it admits every request at its next step, so its waiting queue reads zero.
 *
 * <h2>The rule, once per interval</h2>
 *
 * <ol>
 *   <li><b>Metrics unreadable</b>: hold the last limit ({@link Reason#METRICS_UNREADABLE}). Never guess upward
 *       without evidence; never fall to the minimum because a scrape failed.
 *   <li><b>vLLM queues or preempts</b> (waiting &gt; 0, or the preemption counter rose since the last reading):
 *       <ul>
 *         <li>while vgate still has more in flight than its limit, a decrease is still taking effect: hold
 *             ({@link Reason#SETTLING}). One decrease per round trip, never a cascade of decreases on the same
 *             stale backlog;
 *         <li>queueing ({@link Reason#QUEUEING}): vLLM's running count is the capacity it just demonstrated, so
 *             the limit drops to it at once, however far above it was; when running does not explain the queue
 *             (another client shares vLLM, or nothing runs) the limit is multiplied by {@code backoff};
 *         <li>preempting ({@link Reason#PREEMPTING}): the KV cache could not hold what ran, so the limit drops to
 *             {@code backoff} times the running count (or the limit, if lower), leaving the running sequences
 *             room to grow.
 *       </ul>
 *       The limit after a decrease is remembered as the <i>ceiling</i>: the capacity last measured.
 *   <li><b>No reason to grow</b>: hold when the limit is at the maximum ({@link Reason#AT_MAXIMUM}), when KV-cache
 *       usage is at or above {@code kv-cache-threshold} ({@link Reason#KV_CACHE_HIGH}: the next sequences would
 *       soon be preempted), or when vgate has no demand, i.e. nothing queued and fewer requests in flight than the
 *       limit ({@link Reason#NO_DEMAND}: an idle gateway learns nothing about capacity and must not drift up).
 *   <li><b>Grow</b> ({@link Reason#GREW}): below the ceiling (or before any was measured) by
 *       {@code max(increase, ceil(growth-fraction × running))}, but not past the ceiling; at or above it by
 *       {@code increase}. Once additive growth has probed {@code max(increase, ceil(growth-fraction × ceiling))}
 *       above the ceiling without congestion, the capacity has grown since it was measured: the ceiling is
 *       forgotten and fast growth resumes. Never above the maximum.
 * </ol>
 *
 * <h2>Why it is stable</h2>
 *
 * <ul>
 *   <li><b>Fixed point at capacity.</b> With steady demand and capacity C, the limit climbs to C + increase,
 *       vLLM queues at most {@code increase} requests for one interval, and the limit returns to C (the running
 *       count). It oscillates between C and C + {@code increase} (1 by default): vLLM's batch is always full
 *       and its own queue holds at most one request, half of the time.
 *   <li><b>Bounded overshoot.</b> Fast growth (a fraction of what already runs, like TCP's slow start) happens
 *       only below the last measured capacity or once that measurement is out of date, so each overshoot is at most
 *       {@code growth-fraction} of the capacity, for one interval, and is followed by a new measurement; near a
 *       measured capacity growth is additive.
 *   <li><b>No reaction to stale signals.</b> A decrease takes effect only as requests finish. Holding while
 *       vgate's in-flight count is above the limit (SETTLING) makes the controller wait for its own last action
 *       before acting again, so a backlog that is already draining cannot drive the limit to the minimum.
 *   <li><b>Decrease faster than increase</b> (AIMD, Chiu and Jain 1989): decreases are proportional and
 *       immediate, increases bounded per interval; the limit never runs away, and it recovers from a spurious
 *       decrease within a few intervals.
 *   <li><b>The interval</b> (250 ms by default) is many vLLM steps (10–50 ms each), so each reading reflects
 *       scheduling decisions taken after the last change, yet shorter than a request's life, so vLLM's queue is
 *       seen within a fraction of the time a request spends in it.
 *   <li><b>Bounded</b> by {@code min} and {@code max-in-flight} in every case, including when metrics fail.
 * </ul>
 */
public final class AdaptiveLimit {

    private AdaptiveLimit() {}

    /**
     * The constants of the rule.
     *
     * @param min the limit never goes below this (at least 1; lowered to {@code max} when above it)
     * @param max the limit never goes above this ({@code vgate.shaping.max-in-flight})
     * @param kvCacheThreshold no growth while KV-cache usage is at or above this fraction (0 to 1)
     * @param increase additive growth per interval (at least 1)
     * @param growthFraction fast growth per interval below the ceiling, as a fraction of vLLM's running count
     * @param backoff multiplicative decrease (between 0 and 1, exclusive)
     */
    public record Settings(
            int min, int max, double kvCacheThreshold, int increase, double growthFraction, double backoff) {

        public Settings {
            if (max < 1) {
                throw new IllegalArgumentException("the maximum limit must be at least 1, not " + max);
            }
            if (min < 1) {
                throw new IllegalArgumentException("the minimum limit must be at least 1, not " + min);
            }
            min = Math.min(min, max);
            if (!(kvCacheThreshold > 0 && kvCacheThreshold <= 1)) {
                throw new IllegalArgumentException("the KV-cache threshold must be in (0, 1], not " + kvCacheThreshold);
            }
            if (increase < 1) {
                throw new IllegalArgumentException("the increase must be at least 1, not " + increase);
            }
            if (!(growthFraction >= 0 && growthFraction <= 1)) {
                throw new IllegalArgumentException("the growth fraction must be in [0, 1], not " + growthFraction);
            }
            if (!(backoff > 0 && backoff < 1)) {
                throw new IllegalArgumentException("the backoff must be in (0, 1), not " + backoff);
            }
        }

        /** The settings of {@code vgate.shaping.*}. */
        public static Settings of(ShapingConfig config) {
            ShapingConfig.Adaptive adaptive = config.adaptive();
            return new Settings(
                    adaptive.min(),
                    config.maxInFlight(),
                    adaptive.kvCacheThreshold(),
                    adaptive.increase(),
                    adaptive.growthFraction(),
                    adaptive.backoff());
        }

        /** {@code limit} within [min, max]. */
        public int clamp(int limit) {
            return Math.clamp(limit, min, max);
        }
    }

    /**
     * What the controller carries from one interval to the next.
     *
     * @param limit the current limit
     * @param preemptions vLLM's preemption counter at the last reading, {@code -1} when unknown
     * @param ceiling the capacity last measured (the limit set by the last decrease), {@code 0} when none yet
     */
    public record State(int limit, double preemptions, int ceiling) {

        /** Where the controller starts: at the minimum, nothing measured. */
        public static State initial(Settings settings) {
            return new State(settings.min(), -1, 0);
        }
    }

    /** Why the limit moved or stayed. */
    public enum Reason {
        /** vLLM had room and vgate had demand: the limit grew. */
        GREW("grew"),
        /** vLLM's waiting queue was not empty: the limit fell to what vLLM runs. */
        QUEUEING("queueing"),
        /** vLLM preempted sequences: the limit fell below what vLLM runs. */
        PREEMPTING("preempting"),
        /** A decrease is still taking effect (more in flight than the limit): held. */
        SETTLING("settling"),
        /** Already at {@code max-in-flight}: held. */
        AT_MAXIMUM("at_maximum"),
        /** KV-cache usage at or above the threshold: held. */
        KV_CACHE_HIGH("kv_cache_high"),
        /** Nothing queued and the limit not in use: held. */
        NO_DEMAND("no_demand"),
        /** vLLM's metrics could not be read: the last limit held. */
        METRICS_UNREADABLE("metrics_unreadable");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        /** The reason as a metric label value. */
        public String label() {
            return label;
        }
    }

    /**
     * One step of the controller.
     *
     * @param state the state after this step
     * @param reason why the limit moved or stayed
     * @param previousLimit the limit before this step
     */
    public record Decision(State state, Reason reason, int previousLimit) {

        /** The limit after this step. */
        public int limit() {
            return state.limit();
        }

        /** True when the limit changed. */
        public boolean changed() {
            return state.limit() != previousLimit;
        }
    }

    /**
     * The next limit.
     *
     * @param state what the last step left (its limit is clamped into the settings' bounds first, so a change of
     *     bounds takes effect at once)
     * @param load vLLM's load now, or {@code null} when its metrics could not be read
     * @param inFlight requests vgate has in flight to vLLM now
     * @param queued requests waiting in vgate's queue now
     * @param settings the rule's constants
     */
    public static Decision next(State state, VllmLoad load, int inFlight, int queued, Settings settings) {
        int limit = settings.clamp(state.limit());
        if (load == null) {
            return new Decision(
                    new State(limit, state.preemptions(), state.ceiling()), Reason.METRICS_UNREADABLE, limit);
        }
        double preemptions = load.preemptions();
        // A counter below its last reading means vLLM restarted: nothing was preempted, the baseline moves.
        boolean preempted = state.preemptions() >= 0 && preemptions > state.preemptions();
        int running = (int) Math.min(Integer.MAX_VALUE, Math.floor(load.running()));

        if (preempted || load.waiting() > 0) {
            if (inFlight > limit) {
                return hold(limit, preemptions, state.ceiling(), Reason.SETTLING);
            }
            int measured = running > 0 && running < limit ? running : limit;
            int target;
            if (preempted) {
                target = (int) Math.floor(settings.backoff() * measured);
            } else {
                target = measured < limit ? measured : (int) Math.floor(settings.backoff() * limit);
            }
            int next = settings.clamp(Math.min(limit, target));
            return new Decision(
                    new State(next, preemptions, next), preempted ? Reason.PREEMPTING : Reason.QUEUEING, limit);
        }
        if (limit >= settings.max()) {
            return hold(limit, preemptions, state.ceiling(), Reason.AT_MAXIMUM);
        }
        if (load.kvCacheUsage() >= settings.kvCacheThreshold()) {
            return hold(limit, preemptions, state.ceiling(), Reason.KV_CACHE_HIGH);
        }
        if (queued <= 0 && inFlight < limit) {
            return hold(limit, preemptions, state.ceiling(), Reason.NO_DEMAND);
        }
        int ceiling = state.ceiling();
        if (ceiling > 0 && limit >= ceiling + probe(ceiling, settings)) {
            // Probed well past the last measured capacity without a sign of congestion: it has grown since.
            ceiling = 0;
        }
        long next;
        if (ceiling == 0 || limit < ceiling) {
            long fast = (long) Math.ceil(settings.growthFraction() * running);
            next = limit + Math.max(settings.increase(), fast);
            if (ceiling > 0) {
                next = Math.min(next, ceiling);
            }
        } else {
            next = (long) limit + settings.increase();
        }
        int grown = (int) Math.min(settings.max(), next);
        return new Decision(new State(grown, preemptions, ceiling), Reason.GREW, limit);
    }

    /** How far above the ceiling additive growth probes before the ceiling is taken as out of date. */
    private static int probe(int ceiling, Settings settings) {
        return Math.max(settings.increase(), (int) Math.ceil(settings.growthFraction() * ceiling));
    }

    private static Decision hold(int limit, double preemptions, int ceiling, Reason reason) {
        return new Decision(new State(limit, preemptions, ceiling), reason, limit);
    }
}
