package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestIdsTests {

    @Test
    void keepsASafeClientId() {
        assertThat(RequestIds.resolve("trace-42_abc.DEF:9")).isEqualTo("trace-42_abc.DEF:9");
    }

    @Test
    void replacesIdsThatCouldBreakHeadersOrLogs() {
        for (String unsafe : new String[] {null, "", "a b", "x\r\nSet-Cookie: y", "é", "a".repeat(129), "{json}"}) {
            assertThat(RequestIds.resolve(unsafe)).matches("[0-9a-f]{32}");
        }
    }

    @Test
    void generatesDistinctIds() {
        assertThat(RequestIds.generate()).isNotEqualTo(RequestIds.generate());
    }
}
