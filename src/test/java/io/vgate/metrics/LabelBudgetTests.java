package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelBudgetTests {

    @Test
    void admitsTheFirstValuesUpToTheLimitThenSaysOther() {
        var budget = LabelBudget.of(Optional.empty(), 2);

        assertThat(budget.admit("a")).isEqualTo("a");
        assertThat(budget.admit("b")).isEqualTo("b");
        assertThat(budget.admit("c")).isEqualTo("other");
        assertThat(budget.admit("a")).isEqualTo("a");
        assertThat(budget.label("c")).isEqualTo("other");
    }

    @Test
    void labelNeverAdmits() {
        var budget = LabelBudget.of(Optional.empty(), 5);

        assertThat(budget.label("a")).isEqualTo("other");
        assertThat(budget.admit("a")).isEqualTo("a");
        assertThat(budget.label("a")).isEqualTo("a");
    }

    @Test
    void anAllowListIsFixed() {
        var budget = LabelBudget.of(Optional.of(Set.of("gold", "silver")), 100);

        assertThat(budget.admit("gold")).isEqualTo("gold");
        assertThat(budget.label("silver")).isEqualTo("silver");
        assertThat(budget.admit("bronze")).isEqualTo("other");
        assertThat(budget.admit(null)).isEqualTo("other");
    }

    @Test
    void returnsTheSameStringForAKnownValue() {
        var budget = LabelBudget.of(Optional.empty(), 5);
        String first = budget.admit(new String("tenant-a"));

        assertThat(budget.admit(new String("tenant-a"))).isSameAs(first);
    }

    @Test
    void staysWithinTheLimitUnderConcurrency() throws Exception {
        var budget = LabelBudget.of(Optional.empty(), 10);
        var threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            int offset = t;
            threads[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    budget.admit("v" + (i * 8 + offset));
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }

        long known = java.util.stream.IntStream.range(0, 8000)
                .mapToObj(i -> "v" + i)
                .filter(v -> !budget.label(v).equals("other"))
                .count();
        assertThat(known).isEqualTo(10);
    }
}
