package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegexSampleTests {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\\d{3}-\\d{4}",
                "[A-Z][a-z]+ (Smith|Jones|Lee)",
                "(yes|no|maybe)",
                "^[a-z0-9._]+@[a-z]+\\.(com|org)$",
                "(?:ab)+c?d*",
                "[^0-9\\s]{2,5}",
                "\\w+\\.txt",
                "x{2,}y{0,1}"
            })
    void writesMatchesOfPatternsAModelIsAskedFor(String regex) {
        for (long seed = 0; seed < 100; seed++) {
            String sample = RegexSample.generate(regex, new SplittableRandom(seed));
            assertThat(sample).as(regex).isNotNull().matches(regex);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"(a)\\1", "(?=x)x", "\\bword\\b"})
    void givesUpOnConstructsItCannotWrite(String regex) {
        assertThat(RegexSample.generate(regex, new SplittableRandom(0))).isNull();
    }

    @Test
    void givesUpOnInvalidPatterns() {
        assertThat(RegexSample.compiles("[a-")).isFalse();
        assertThat(RegexSample.generate("[a-", new SplittableRandom(0))).isNull();
    }
}
