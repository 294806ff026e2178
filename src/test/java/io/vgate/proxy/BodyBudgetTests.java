package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BodyBudgetTests {

    @Test
    void takesWhatFitsAndRefusesWhatWouldGoOver() {
        var budget = new BodyBudget(1_000);

        assertThat(budget.take(600)).isTrue();
        assertThat(budget.take(300)).isTrue();
        assertThat(budget.take(200)).isFalse();
        assertThat(budget.held()).isEqualTo(900);
        assertThat(budget.take(100)).isTrue();
    }

    @Test
    void givesBackWhatItTook() {
        var budget = new BodyBudget(1_000);
        budget.take(800);

        budget.give(800);

        assertThat(budget.held()).isZero();
        assertThat(budget.take(800)).isTrue();
    }

    @Test
    void letsOneBodyLargerThanTheBudgetThroughOnlyWhenNothingIsHeld() {
        var budget = new BodyBudget(1_000);

        assertThat(budget.take(5_000)).isTrue();
        assertThat(budget.take(1)).isFalse();
        budget.give(5_000);
        assertThat(budget.take(1)).isTrue();
        assertThat(budget.take(5_000)).isFalse();
    }
}
