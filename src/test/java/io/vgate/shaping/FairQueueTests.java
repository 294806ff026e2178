package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admission order: priority first, then weighted round robin across tenants, FIFO within a tenant;
 * and whom to shed when the queue is full.
 */
class FairQueueTests {

    private static final int INTERACTIVE = 0;
    private static final int BATCH = 1;

    static final class Request extends FairQueue.Entry {
        final String name;

        Request(String tenant, int rank, String name) {
            super(tenant, rank);
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final FairQueue<Request> queue = new FairQueue<>(2, tenant -> 1);

    private Request add(String tenant, int rank, String name) {
        var request = new Request(tenant, rank, name);
        queue.add(request);
        return request;
    }

    private List<String> drain(FairQueue<Request> from) {
        List<String> order = new ArrayList<>();
        for (Request next = from.poll(); next != null; next = from.poll()) {
            order.add(next.name);
        }
        return order;
    }

    @Test
    void aLightTenantIsServedBetweenTheRequestsOfAFloodingOne() {
        for (int i = 1; i <= 5; i++) {
            add("flood", INTERACTIVE, "f" + i);
        }
        add("light", INTERACTIVE, "l1");
        add("light", INTERACTIVE, "l2");

        assertThat(drain(queue)).containsExactly("f1", "l1", "f2", "l2", "f3", "f4", "f5");
    }

    @Test
    void aTenantThatStartsWaitingJoinsTheEndOfTheRound() {
        add("a", INTERACTIVE, "a1");
        add("a", INTERACTIVE, "a2");
        add("b", INTERACTIVE, "b1");
        assertThat(queue.poll().name).isEqualTo("a1");
        add("c", INTERACTIVE, "c1");

        // a used its turn and went to the end before c arrived, as in deficit round robin.
        assertThat(drain(queue)).containsExactly("b1", "a2", "c1");
    }

    @Test
    void weightsGiveProportionalTurns() {
        Map<String, Integer> weights = Map.of("heavy", 3);
        var weighted = new FairQueue<Request>(1, tenant -> weights.getOrDefault(tenant, 1));
        for (int i = 1; i <= 6; i++) {
            weighted.add(new Request("heavy", 0, "h" + i));
        }
        for (int i = 1; i <= 3; i++) {
            weighted.add(new Request("light", 0, "l" + i));
        }

        assertThat(drain(weighted)).containsExactly("h1", "h2", "h3", "l1", "h4", "h5", "h6", "l2", "l3");
    }

    @Test
    void batchWaitsWhileAnyInteractiveRequestWaits() {
        add("a", BATCH, "b1");
        add("b", INTERACTIVE, "i1");
        add("a", BATCH, "b2");
        add("c", INTERACTIVE, "i2");

        assertThat(drain(queue)).containsExactly("i1", "i2", "b1", "b2");
    }

    @Test
    void removingAWaitingRequestKeepsTheOthersInOrder() {
        add("a", INTERACTIVE, "a1");
        var a2 = add("a", INTERACTIVE, "a2");
        add("a", INTERACTIVE, "a3");
        var b1 = add("b", INTERACTIVE, "b1");

        assertThat(queue.remove(a2)).isTrue();
        assertThat(queue.remove(b1)).isTrue();
        assertThat(queue.remove(b1)).isFalse();

        assertThat(queue.size()).isEqualTo(2);
        assertThat(drain(queue)).containsExactly("a1", "a3");
    }

    @Test
    void aFullQueueShedsTheNewestBatchRequestForAnInteractiveOne() {
        add("a", BATCH, "b1");
        add("b", BATCH, "b2");
        add("b", BATCH, "b3");
        add("c", INTERACTIVE, "i1");

        assertThat(queue.victimFor(INTERACTIVE, "d").name).isEqualTo("b3");
    }

    @Test
    void aFullQueueTurnsAwayABatchRequestRatherThanShedInteractiveOnes() {
        add("a", INTERACTIVE, "i1");
        add("b", INTERACTIVE, "i2");

        assertThat(queue.victimFor(BATCH, "c")).isNull();
    }

    @Test
    void aFullQueueShedsTheFloodingTenantsNewestRequestForALightTenant() {
        add("flood", INTERACTIVE, "f1");
        add("flood", INTERACTIVE, "f2");
        add("flood", INTERACTIVE, "f3");
        add("light", INTERACTIVE, "l1");

        assertThat(queue.victimFor(INTERACTIVE, "newcomer").name).isEqualTo("f3");
        assertThat(queue.victimFor(INTERACTIVE, "light").name).isEqualTo("f3");
        assertThat(queue.victimFor(INTERACTIVE, "flood")).isNull();
    }

    @Test
    void aFullQueueOfEvenTenantsTurnsTheNewcomerAway() {
        add("a", INTERACTIVE, "a1");
        add("b", INTERACTIVE, "b1");

        assertThat(queue.victimFor(INTERACTIVE, "a")).isNull();
        assertThat(queue.victimFor(INTERACTIVE, "c")).isNull();
    }

    @Test
    void removeAllEmptiesEveryClass() {
        add("a", BATCH, "b1");
        add("b", INTERACTIVE, "i1");
        add("b", INTERACTIVE, "i2");

        List<Request> all = queue.removeAll();

        assertThat(all).extracting(r -> r.name).containsExactlyInAnyOrder("b1", "i1", "i2");
        assertThat(all).noneMatch(FairQueue.Entry::queued);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.poll()).isNull();
    }

    @Test
    void countsByClassAndTenant() {
        add("a", BATCH, "b1");
        add("b", INTERACTIVE, "i1");
        add("b", INTERACTIVE, "i2");

        assertThat(queue.size(INTERACTIVE)).isEqualTo(2);
        assertThat(queue.size(BATCH)).isEqualTo(1);
        assertThat(queue.size(INTERACTIVE, "b")).isEqualTo(2);
        assertThat(queue.sizeAtOrAbove(INTERACTIVE)).isEqualTo(2);
        assertThat(queue.sizeAtOrAbove(BATCH)).isEqualTo(3);
    }
}
