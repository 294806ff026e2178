package io.vgate.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.RawHttp;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated requests against the real data path (vgate on the simulator, keys, limits and Redis
 * as deployed), generated with jqwik's arbitraries: bodies built from valid requests with fields swapped
 * for hostile values, bytes flipped, cut, duplicated or inserted, and odd headers. Whatever arrives,
 * vgate never answers 5xx itself, never hangs (every exchange has a client timeout), every gauge returns
 * to zero, and the process keeps serving.
 * <p>
 * The app is started by {@code @QuarkusTest} (Jupiter); jqwik supplies the generators, and a failure
 * lists the exact requests that caused it.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class DataPathFuzzTests {

    private static final int TRIES = 250;
    private static final List<String> ROUTES = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");

    @TestHTTPResource("/")
    URI root;

    @Inject
    VllmSimulator sim;

    @BeforeEach
    void fastSimulator() {
        // Whatever max_tokens survives is generated at once, so a try never waits on the simulated GPU.
        sim.settings().interTokenLatency(Duration.ZERO).timeToFirstToken(Duration.ZERO);
    }

    @AfterEach
    void restoreSimulator() {
        sim.settings().reset();
    }

    @Test
    void neverAnswers5xxNeverHangsAndLeavesNothingHeld() {
        List<byte[]> requests = requests().sampleStream().limit(TRIES).toList();

        List<String> failures = new ArrayList<>();
        for (byte[] request : requests) {
            RawHttp.Response response;
            try {
                response = RawHttp.exchange(root.getPort(), "127.0.0.1", request);
            } catch (RuntimeException e) {
                // A connection closed without an answer is the HTTP layer refusing bytes it cannot parse.
                if (!String.valueOf(e.getMessage()).contains("connection closed before a response head")) {
                    failures.add(describe(request) + " -> " + e);
                }
                continue;
            }
            if (response.status() >= 500) {
                failures.add(describe(request) + " -> " + response.status() + " " + response.body());
            }
        }

        assertThat(failures).as("requests answered 5xx or not at all").isEmpty();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(gauge("vgate_in_flight_requests")).isZero();
            assertThat(gauge("vgate_queue_depth")).isZero();
            assertThat(sim.running() + sim.waiting()).isZero();
        });
        io.vgate.testing.Management.given().get("/q/health/live").then().statusCode(200);
        given().header("Authorization", "Bearer " + SecuredFixture.TEAM_A_KEY)
                .header("X-Forwarded-For", SecuredFixture.freshAddress())
                .contentType("application/json")
                .body("{\"messages\":[{\"role\":\"user\",\"content\":\"still there?\"}],\"max_tokens\":3}")
                .post("/v1/chat/completions")
                .then()
                .statusCode(200);
    }

    /** A whole request: route, headers and body, as bytes on the wire. */
    private static Arbitrary<byte[]> requests() {
        return Combinators.combine(Arbitraries.of(ROUTES), headers(), bodies()).as((route, headers, body) -> {
            List<String> all = new ArrayList<>(headers);
            all.add("X-Forwarded-For: " + SecuredFixture.freshAddress());
            return RawHttp.request("POST", route, all, body);
        });
    }

    private static Arbitrary<List<String>> headers() {
        Arbitrary<String> auth = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.just("Authorization: Bearer " + SecuredFixture.TEAM_A_KEY)),
                net.jqwik.api.Tuple.of(
                        1, Arbitraries.strings().ascii().ofMaxLength(40).map(s -> "Authorization: " + clean(s))),
                net.jqwik.api.Tuple.of(1, Arbitraries.just("X-No-Auth: 1")));
        Arbitrary<String> type = Arbitraries.of(
                "Content-Type: application/json",
                "Content-Type: application/json; charset=utf-8",
                "Content-Type: APPLICATION/JSON",
                "Content-Type: text/plain",
                "Content-Type: multipart/form-data; boundary=x",
                "X-No-Type: 1");
        Arbitrary<String> extra = Arbitraries.of(
                "X-Request-Id: fuzz",
                "X-Request-Id: " + "r".repeat(300),
                "X-Request-Id: ../../etc/passwd",
                "X-Vgate-Priority: batch",
                "X-Vgate-Priority: nonsense",
                "Accept: text/event-stream",
                "Accept-Encoding: gzip",
                "Traceparent: 00-zz-zz-01",
                "Expect: 100-continue",
                "X-Empty:");
        return Combinators.combine(auth, type, extra.list().ofMaxSize(3)).as((a, t, e) -> {
            List<String> headers = new ArrayList<>(List.of(a, t));
            headers.addAll(e);
            return headers;
        });
    }

    private static Arbitrary<byte[]> bodies() {
        Arbitrary<String> value = Arbitraries.of(
                "null",
                "true",
                "false",
                "0",
                "-1",
                "1",
                "2.5",
                "1e6",
                "1000000.0",
                "1e400",
                "-0",
                "\"\"",
                "\"x\"",
                "[]",
                "{}",
                "[[[[[[]]]]]]",
                "\"\\ud800\"",
                "\"\\u0000\"",
                "99999999999999999999999",
                "{\"a\":[1,{}]}");
        Arbitrary<String> field = Arbitraries.of(
                "model",
                "messages",
                "prompt",
                "input",
                "stream",
                "stream_options",
                "max_tokens",
                "max_completion_tokens",
                "n",
                "temperature",
                "priority",
                "tools",
                "logprobs",
                "seed");
        Arbitrary<String> valid = Arbitraries.of(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"stream\":true}",
                "{\"prompt\":\"once upon\",\"max_tokens\":3}",
                "{\"prompt\":[\"a\",\"b\"],\"max_tokens\":2,\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                "{\"input\":\"embed me\"}",
                "{\"input\":[\"a\",\"b\"]}");
        Arbitrary<String> edited = Combinators.combine(valid, field, value)
                .as((json, f, v) -> json.substring(0, json.length() - 1) + ",\"" + f + "\":" + v + "}");
        Arbitrary<byte[]> text = Arbitraries.oneOf(valid, edited).map(s -> s.getBytes(StandardCharsets.UTF_8));
        Arbitrary<byte[]> mutated = Combinators.combine(
                        text,
                        Arbitraries.integers().between(0, 4),
                        Arbitraries.integers().between(0, Integer.MAX_VALUE),
                        Arbitraries.bytes())
                .as(DataPathFuzzTests::mutate);
        Arbitrary<byte[]> noise = Arbitraries.bytes()
                .array(byte[].class)
                .ofMaxSize(512)
                .withSizeDistribution(RandomDistribution.uniform());
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, text), net.jqwik.api.Tuple.of(4, mutated), net.jqwik.api.Tuple.of(1, noise));
    }

    /** One byte-level mutation: flip, cut, duplicate a slice, insert a byte, or leave as is. */
    private static byte[] mutate(byte[] body, int kind, int where, byte inserted) {
        if (body.length == 0) {
            return body;
        }
        int at = where % body.length;
        var out = new ByteArrayOutputStream();
        switch (kind) {
            case 0 -> {
                byte[] copy = body.clone();
                copy[at] = (byte) (copy[at] ^ (1 << (where % 8)));
                return copy;
            }
            case 1 -> out.write(body, 0, at);
            case 2 -> {
                out.write(body, 0, at);
                out.write(body, at / 2, at - at / 2);
                out.write(body, at, body.length - at);
            }
            case 3 -> {
                out.write(body, 0, at);
                out.write(inserted);
                out.write(body, at, body.length - at);
            }
            default -> {
                return body;
            }
        }
        return out.toByteArray();
    }

    /** Reads one gauge from the metrics endpoint (summed over its series). */
    static double gauge(String name) {
        return io.vgate.testing.Management.given()
                .get("/q/metrics")
                .asString()
                .lines()
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String clean(String text) {
        return text.replaceAll("[\\r\\n]", "");
    }

    private static String describe(byte[] request) {
        String text = new String(request, StandardCharsets.ISO_8859_1);
        return text.length() > 400 ? text.substring(0, 400) + "…" : text;
    }
}
