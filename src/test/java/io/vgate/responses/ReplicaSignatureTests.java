package io.vgate.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A forwarded request's signature holds only for its own time, method, path, tenant and secret. */
class ReplicaSignatureTests {

    private static final long NOW = 1_800_000_000_000L;

    private final ReplicaSignature replicas = new ReplicaSignature("shared-secret", Duration.ofSeconds(30));

    @Test
    void acceptsItsOwnRequestWithinTheSkew() {
        String header = replicas.sign(NOW, "GET", "/v1/responses/resp_1", "team-a");

        assertThat(replicas.verify(header, NOW + 29_000, "GET", "/v1/responses/resp_1", "team-a"))
                .isTrue();
        assertThat(replicas.verify(header, NOW - 29_000, "GET", "/v1/responses/resp_1", "team-a"))
                .isTrue();
    }

    @Test
    void refusesAnotherTenantPathMethodTimeOrSecret() {
        String header = replicas.sign(NOW, "GET", "/v1/responses/resp_1", "team-a");

        assertThat(replicas.verify(header, NOW, "GET", "/v1/responses/resp_1", "team-b"))
                .isFalse();
        assertThat(replicas.verify(header, NOW, "GET", "/v1/responses/resp_2", "team-a"))
                .isFalse();
        assertThat(replicas.verify(header, NOW, "POST", "/v1/responses/resp_1", "team-a"))
                .isFalse();
        assertThat(replicas.verify(header, NOW + 31_000, "GET", "/v1/responses/resp_1", "team-a"))
                .isFalse();
        assertThat(new ReplicaSignature("other-secret", Duration.ofSeconds(30))
                        .verify(header, NOW, "GET", "/v1/responses/resp_1", "team-a"))
                .isFalse();
    }

    @Test
    void refusesMalformedOrTamperedHeaders() {
        String header = replicas.sign(NOW, "GET", "/p", "t");
        String tampered = header.substring(0, header.length() - 1) + (header.endsWith("A") ? "B" : "A");

        assertThat(replicas.verify(tampered, NOW, "GET", "/p", "t")).isFalse();
        assertThat(replicas.verify(null, NOW, "GET", "/p", "t")).isFalse();
        assertThat(replicas.verify("", NOW, "GET", "/p", "t")).isFalse();
        assertThat(replicas.verify("abc.def", NOW, "GET", "/p", "t")).isFalse();
        assertThat(replicas.verify((NOW + 1) + header.substring(header.indexOf('.')), NOW, "GET", "/p", "t"))
                .as("the same MAC under another time")
                .isFalse();
    }
}
