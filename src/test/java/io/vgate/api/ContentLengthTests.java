package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContentLengthTests {

    @Test
    void readsTheDeclaredLengthAroundWhiteSpace() {
        assertThat(ContentLength.of("0")).isZero();
        assertThat(ContentLength.of(" 7500065 ")).isEqualTo(7_500_065);
    }

    @Test
    void anAbsentOrUnreadableLengthIsMinusOne() {
        assertThat(ContentLength.of(null)).isEqualTo(-1);
        assertThat(ContentLength.of("")).isEqualTo(-1);
        assertThat(ContentLength.of("12, 12")).isEqualTo(-1);
        assertThat(ContentLength.of("99999999999999999999")).isEqualTo(-1);
    }
}
