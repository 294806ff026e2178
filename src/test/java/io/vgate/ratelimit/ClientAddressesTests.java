package io.vgate.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Who the client is: the socket peer, or the right-most untrusted X-Forwarded-For hop behind trusted proxies. */
class ClientAddressesTests {

    private final ClientAddresses addresses = new ClientAddresses(List.of("10.0.0.0/8", "fd00::/8", "192.168.1.7"), 64);

    @ParameterizedTest(name = "peer {0}, X-Forwarded-For \"{1}\" -> {2}")
    @CsvSource(
            delimiter = '|',
            nullValues = "none",
            value = {
                "203.0.113.5 | none                               | 203.0.113.5",
                "203.0.113.5 | 198.51.100.1                       | 203.0.113.5",
                "10.1.2.3    | none                               | 10.1.2.3",
                "10.1.2.3    | 198.51.100.1                       | 198.51.100.1",
                "10.1.2.3    | 6.6.6.6, 198.51.100.1              | 198.51.100.1",
                "10.1.2.3    | 198.51.100.1, 10.9.9.9             | 198.51.100.1",
                "10.1.2.3    | 198.51.100.1 , 192.168.1.7 ,10.0.0.1 | 198.51.100.1",
                "10.1.2.3    | 10.4.4.4, 10.5.5.5                 | 10.4.4.4",
                "10.1.2.3    | 6.6.6.6, garbage, 10.5.5.5         | 10.5.5.5",
                "10.1.2.3    | unknown                            | 10.1.2.3",
                "10.1.2.3    | [2001:db8::1]                      | 2001:db8:0:0:0:0:0:1",
                "fd00::5     | 2001:db8::7                        | 2001:db8:0:0:0:0:0:7",
                "192.168.1.8 | 198.51.100.1                       | 192.168.1.8"
            })
    void resolvesTheClient(String peer, String forwardedFor, String client) {
        assertThat(addresses.resolve(request(peer, forwardedFor == null ? List.of() : List.of(forwardedFor))))
                .isEqualTo(client);
    }

    @Test
    void readsRepeatedForwardedForHeadersAsOneList() {
        assertThat(addresses.resolve(request("10.1.2.3", List.of("6.6.6.6", "198.51.100.9, 10.2.2.2"))))
                .isEqualTo("198.51.100.9");
        assertThat(addresses.resolve(request("10.1.2.3", List.of("198.51.100.9", "10.2.2.2"))))
                .isEqualTo("198.51.100.9");
    }

    @Test
    void limitsIpv6ClientsPerNetwork() {
        assertThat(addresses.bucketIdentity("2001:db8:1:2:aaaa:bbbb:cccc:dddd"))
                .isEqualTo(addresses.bucketIdentity("2001:db8:1:2::1"))
                .isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(addresses.bucketIdentity("2001:db8:1:3::1"))
                .isNotEqualTo(addresses.bucketIdentity("2001:db8:1:2::1"));
        assertThat(addresses.bucketIdentity("198.51.100.1")).isEqualTo("198.51.100.1");
        assertThat(new ClientAddresses(List.of(), 128).bucketIdentity("2001:db8::1"))
                .isEqualTo("2001:db8::1");
    }

    @Test
    void rejectsInvalidProxyRanges() {
        assertThatThrownBy(() -> new ClientAddresses(List.of("10.0.0.0/33"), 64))
                .hasMessageContaining("10.0.0.0/33");
        assertThatThrownBy(() -> new ClientAddresses(List.of("ingress.local"), 64))
                .hasMessageContaining("ingress.local");
    }

    private static HttpServerRequest request(String peer, List<String> forwardedFor) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        forwardedFor.forEach(value -> headers.add("X-Forwarded-For", value));
        return (HttpServerRequest) Proxy.newProxyInstance(
                HttpServerRequest.class.getClassLoader(),
                new Class<?>[] {HttpServerRequest.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "remoteAddress" -> SocketAddress.inetSocketAddress(40000, peer);
                    case "headers" -> headers;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
