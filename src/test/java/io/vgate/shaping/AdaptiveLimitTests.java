package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vgate.shaping.AdaptiveLimit.Decision;
import io.vgate.shaping.AdaptiveLimit.Reason;
import io.vgate.shaping.AdaptiveLimit.Settings;
import io.vgate.shaping.AdaptiveLimit.State;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limit's rule: single steps for each case, properties over many random inputs, and closed loops
 * against a model of vLLM (capacity C sequences, the rest in its waiting queue) to show where the limit settles.
 */
class AdaptiveLimitTests {

    /** The documented defaults: min 8, max 1024, KV threshold 0.9, +1, 25 %, back off to 90 %. */
    private static final Settings DEFAULTS = new Settings(8, 1024, 0.9, 1, 0.25, 0.9);

    private static VllmLoad load(double running, double waiting, double kv, double preemptions) {
        return new VllmLoad(running, waiting, kv, preemptions);
    }

    // -- single steps --------------------------------------------------------------------------------

    @Test
    void startsAtTheMinimumWithNothingMeasured() {
        assertThat(State.initial(DEFAULTS)).isEqualTo(new State(8, -1, 0));
    }

    @Test
    void growsByAFractionOfWhatRunsBeforeTheCapacityIsKnown() {
        Decision d = AdaptiveLimit.next(new State(40, 0, 0), load(40, 0, 0.3, 0), 40, 5, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.GREW);
        assertThat(d.limit()).isEqualTo(50);
        assertThat(d.changed()).isTrue();
    }

    @Test
    void growsAtLeastByTheIncreaseWhenLittleRuns() {
        Decision d = AdaptiveLimit.next(new State(8, 0, 0), load(2, 0, 0.0, 0), 8, 0, DEFAULTS);

        assertThat(d.limit()).isEqualTo(9);
    }

    @Test
    void growsAdditivelyAtTheMeasuredCapacity() {
        Decision d = AdaptiveLimit.next(new State(64, 0, 64), load(64, 0, 0.5, 0), 64, 30, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.GREW);
        assertThat(d.limit()).isEqualTo(65);
    }

    @Test
    void fastGrowthStopsAtTheCeiling() {
        Decision d = AdaptiveLimit.next(new State(60, 0, 64), load(60, 0, 0.5, 0), 60, 30, DEFAULTS);

        assertThat(d.limit()).isEqualTo(64);
    }

    @Test
    void forgetsAnOutOfDateCeilingOnceGrowthHasProbedWellPastIt() {
        // 64 + ceil(0.25 * 64) = 80: probed 16 above the capacity measured at 64 without vLLM queueing.
        Decision d = AdaptiveLimit.next(new State(80, 0, 64), load(80, 0, 0.5, 0), 80, 30, DEFAULTS);

        assertThat(d.limit()).isEqualTo(100);
        assertThat(d.state().ceiling()).isZero();
    }

    @Test
    void dropsToWhatVllmRunsAtOnceWhenItQueues() {
        Decision d = AdaptiveLimit.next(new State(256, 0, 0), load(64, 192, 0.5, 0), 256, 40, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.QUEUEING);
        assertThat(d.limit()).isEqualTo(64);
        assertThat(d.state().ceiling()).isEqualTo(64);
    }

    @Test
    void backsOffMultiplicativelyWhenWhatRunsDoesNotExplainTheQueue() {
        // vLLM runs more than vgate's limit (another client shares it), or runs nothing at all.
        assertThat(AdaptiveLimit.next(new State(100, 0, 0), load(120, 3, 0.5, 0), 100, 0, DEFAULTS)
                        .limit())
                .isEqualTo(90);
        assertThat(AdaptiveLimit.next(new State(100, 0, 0), load(0, 3, 0.5, 0), 100, 0, DEFAULTS)
                        .limit())
                .isEqualTo(90);
    }

    @Test
    void backsOffBelowWhatRanWhenVllmPreempts() {
        Decision d = AdaptiveLimit.next(new State(64, 3, 0), load(60, 0, 0.99, 4), 64, 10, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.PREEMPTING);
        assertThat(d.limit()).isEqualTo(54);
        assertThat(d.state().preemptions()).isEqualTo(4);
    }

    @Test
    void holdsWhileAnEarlierDecreaseIsStillTakingEffect() {
        Decision d = AdaptiveLimit.next(new State(64, 0, 64), load(64, 30, 0.5, 2), 94, 10, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.SETTLING);
        assertThat(d.limit()).isEqualTo(64);
        assertThat(d.state().preemptions())
                .as("the counter still moves on, so the same preemptions are not counted again later")
                .isEqualTo(2);
    }

    @Test
    void aCounterThatWentBackwardsIsARestartNotAPreemption() {
        Decision d = AdaptiveLimit.next(new State(64, 10, 0), load(64, 0, 0.5, 2), 64, 10, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.GREW);
        assertThat(d.state().preemptions()).isEqualTo(2);
    }

    @Test
    void theFirstReadingOnlySetsThePreemptionBaseline() {
        Decision d = AdaptiveLimit.next(new State(16, -1, 0), load(16, 0, 0.5, 1234), 16, 10, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.GREW);
        assertThat(d.state().preemptions()).isEqualTo(1234);
    }

    @Test
    void holdsWithoutDemand() {
        Decision d = AdaptiveLimit.next(new State(64, 0, 0), load(10, 0, 0.1, 0), 10, 0, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.NO_DEMAND);
        assertThat(d.changed()).isFalse();
    }

    @Test
    void aQueueInVgateIsDemandEvenWhenSlotsLookFree() {
        Decision d = AdaptiveLimit.next(new State(64, 0, 0), load(60, 0, 0.1, 0), 60, 1, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.GREW);
    }

    @Test
    void holdsWhenTheKvCacheIsNearlyFull() {
        Decision d = AdaptiveLimit.next(new State(64, 0, 0), load(64, 0, 0.9, 0), 64, 10, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.KV_CACHE_HIGH);
        assertThat(d.limit()).isEqualTo(64);
    }

    @Test
    void holdsAtTheMaximum() {
        Decision d = AdaptiveLimit.next(new State(1024, 0, 0), load(1024, 0, 0.5, 0), 1024, 10, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.AT_MAXIMUM);
        assertThat(d.limit()).isEqualTo(1024);
    }

    @Test
    void neverGrowsPastTheMaximum() {
        Settings settings = new Settings(8, 100, 0.9, 1, 0.25, 0.9);

        assertThat(AdaptiveLimit.next(new State(95, 0, 0), load(95, 0, 0.5, 0), 95, 9, settings)
                        .limit())
                .isEqualTo(100);
    }

    @Test
    void neverShrinksPastTheMinimum() {
        assertThat(AdaptiveLimit.next(new State(9, 0, 0), load(2, 40, 0.5, 0), 9, 9, DEFAULTS)
                        .limit())
                .isEqualTo(8);
    }

    @Test
    void holdsTheLastLimitWhenMetricsCannotBeRead() {
        Decision d = AdaptiveLimit.next(new State(300, 7, 280), null, 300, 100, DEFAULTS);

        assertThat(d.reason()).isEqualTo(Reason.METRICS_UNREADABLE);
        assertThat(d.state()).isEqualTo(new State(300, 7, 280));
    }

    @Test
    void aLoweredMaximumTakesEffectEvenWhenMetricsCannotBeRead() {
        Settings lowered = new Settings(8, 200, 0.9, 1, 0.25, 0.9);

        assertThat(AdaptiveLimit.next(new State(300, 7, 280), null, 300, 100, lowered)
                        .limit())
                .isEqualTo(200);
    }

    @Test
    void aMinimumAboveTheMaximumIsLoweredToIt() {
        assertThat(new Settings(8, 2, 0.9, 1, 0.25, 0.9).min()).isEqualTo(2);
    }

    @Test
    void rejectsConstantsThatBreakTheRule() {
        assertThatThrownBy(() -> new Settings(0, 10, 0.9, 1, 0.25, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 0, 0.9, 1, 0.25, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 0, 1, 0.25, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 1.1, 1, 0.25, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 0.9, 0, 0.25, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 0.9, 1, -0.1, 0.9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 0.9, 1, 0.25, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 0.9, 1, 0.25, 0.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Settings(1, 10, 0.9, 1, 0.25, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // -- properties over random inputs ---------------------------------------------------------------

    @Test
    void propertiesHoldForAnyInput() {
        Random random = new Random(13);
        for (int i = 0; i < 200_000; i++) {
            int max = 1 + random.nextInt(2000);
            Settings s = new Settings(
                    1 + random.nextInt(64),
                    max,
                    0.05 + random.nextDouble() * 0.95,
                    1 + random.nextInt(8),
                    random.nextDouble() * 0.5,
                    0.05 + random.nextDouble() * 0.9);
            State state = new State(
                    random.nextInt(2500), random.nextInt(4) - 1, random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(2000));
            VllmLoad load = random.nextInt(10) == 0
                    ? null
                    : load(
                            random.nextInt(3000),
                            random.nextInt(3) == 0 ? random.nextInt(500) : 0,
                            random.nextDouble(),
                            random.nextInt(4) - 1);
            int inFlight = random.nextInt(2500);
            int queued = random.nextInt(3) == 0 ? 0 : random.nextInt(1000);
            String input = s + " " + state + " " + load + " inFlight=" + inFlight + " queued=" + queued;

            Decision d = AdaptiveLimit.next(state, load, inFlight, queued, s);
            int before = s.clamp(state.limit());

            assertThat(d.limit()).as("bounded: " + input).isBetween(s.min(), s.max());
            assertThat(d.previousLimit()).as(input).isEqualTo(before);
            if (load == null) {
                assertThat(d.limit()).as("holds when unreadable: " + input).isEqualTo(before);
                continue;
            }
            boolean preempted = state.preemptions() >= 0 && load.preemptions() > state.preemptions();
            boolean congested = preempted || load.waiting() > 0;
            if (congested) {
                assertThat(d.limit())
                        .as("never grows while vLLM queues or preempts: " + input)
                        .isLessThanOrEqualTo(before);
            }
            if (d.limit() > before) {
                assertThat(congested).as(input).isFalse();
                assertThat(load.kvCacheUsage()).as(input).isLessThan(s.kvCacheThreshold());
                assertThat(queued > 0 || inFlight >= before)
                        .as("grows only with demand: " + input)
                        .isTrue();
                long fast = (long) Math.ceil(s.growthFraction() * load.running());
                assertThat((long) d.limit() - before)
                        .as("growth per interval is bounded: " + input)
                        .isLessThanOrEqualTo(Math.max(s.increase(), fast));
            }
            if (congested && inFlight <= before && before > s.min()) {
                assertThat(d.limit())
                        .as("a congested step that is not settling decreases: " + input)
                        .isLessThan(before);
            }
            assertThat(d.state().preemptions()).as(input).isEqualTo(load.preemptions());
        }
    }

    // -- closed loops against a model of vLLM --------------------------------------------------------

    /**
     * vLLM as the controller sees it: it runs at most {@code capacity} of the requests vgate has in flight, the
     * rest wait in its queue. Demand is unlimited (vgate's queue never empties), and a lowered limit takes
     * effect only as requests finish ({@code finishPerTick} per interval).
     */
    private static final class Loop {
        final Settings settings;
        State state;
        int capacity;
        int inFlight;
        int finishPerTick;
        int maxWaiting;
        int ticks;

        Loop(Settings settings, int capacity, int finishPerTick) {
            this.settings = settings;
            this.state = State.initial(settings);
            this.capacity = capacity;
            this.finishPerTick = finishPerTick;
            this.inFlight = state.limit();
        }

        VllmLoad observe() {
            int running = Math.min(inFlight, capacity);
            return new VllmLoad(running, inFlight - running, 0.5 * running / Math.max(1, capacity), 0);
        }

        void run(int n) {
            for (int i = 0; i < n; i++) {
                VllmLoad load = observe();
                maxWaiting = Math.max(maxWaiting, (int) load.waiting());
                state = AdaptiveLimit.next(state, load, inFlight, 100, settings).state();
                int limit = state.limit();
                inFlight = limit >= inFlight ? limit : Math.max(limit, inFlight - finishPerTick);
                ticks++;
            }
        }
    }

    @Test
    void growsToTheCapacityWithinSecondsAndStaysThere() {
        Loop loop = new Loop(DEFAULTS, 256, 64);

        int ticksToCapacity = 0;
        while (loop.state.limit() < 256) {
            loop.run(1);
            ticksToCapacity++;
            assertThat(ticksToCapacity).as("reaches 256 from 8").isLessThan(40);
        }
        // The first overshoot is measured and corrected within a few intervals.
        loop.run(10);
        assertThat(loop.state.ceiling()).isEqualTo(256);
        loop.maxWaiting = 0;
        loop.run(400);

        assertThat(loop.state.limit()).isBetween(256, 257);
        assertThat(loop.maxWaiting)
                .as("vLLM's own queue, once the capacity is known")
                .isLessThanOrEqualTo(1);
    }

    @Test
    void theFirstOvershootIsAtMostAFractionOfTheCapacity() {
        Loop loop = new Loop(DEFAULTS, 200, 50);

        loop.run(400);

        assertThat(loop.maxWaiting).isLessThanOrEqualTo((int) Math.ceil(0.25 * 200));
        assertThat(loop.state.limit()).isBetween(200, 201);
    }

    @Test
    void followsTheCapacityDownWithoutCollapsingWhileTheBacklogDrains() {
        Loop loop = new Loop(DEFAULTS, 256, 8);
        loop.run(200);

        loop.capacity = 100;
        int lowest = Integer.MAX_VALUE;
        for (int i = 0; i < 200; i++) {
            loop.run(1);
            lowest = Math.min(lowest, loop.state.limit());
        }

        assertThat(lowest)
                .as("one decrease to what runs, no cascade while it drains")
                .isEqualTo(100);
        assertThat(loop.state.limit()).isBetween(100, 101);
    }

    @Test
    void findsAGrownCapacityAgain() {
        Loop loop = new Loop(DEFAULTS, 64, 16);
        loop.run(100);
        assertThat(loop.state.limit()).isBetween(64, 65);

        loop.capacity = 256;
        int ticks = 0;
        while (loop.state.limit() < 256) {
            loop.run(1);
            ticks++;
            assertThat(ticks).as("from 64 to 256 after the capacity grew").isLessThan(40);
        }
        loop.run(200);

        assertThat(loop.state.limit()).isBetween(256, 257);
    }

    @Test
    void aStaticLikeMaximumBelowTheCapacityIsWhereItStops() {
        Loop loop = new Loop(new Settings(8, 48, 0.9, 1, 0.25, 0.9), 256, 16);

        loop.run(200);

        assertThat(loop.state.limit()).isEqualTo(48);
        assertThat(loop.maxWaiting).isZero();
    }
}
