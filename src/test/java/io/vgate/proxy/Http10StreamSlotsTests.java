package io.vgate.proxy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vgate.shaping.ShapingTestProfile;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Streams over HTTP/1.0 hold a GPU slot only while vLLM generates (profile: two slots, a queue wait of 3 s):
 * two HTTP/1.0 clients that send a stream request and read nothing for a while do not lock everyone else out,
 * and still get their whole stream when they read.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class Http10StreamSlotsTests {

    @Inject
    VllmSimulator sim;

    @TestHTTPResource("/")
    URI root;

    @AfterEach
    void restore() {
        sim.settings().reset();
    }

    @Test
    void twoHttp10StreamsThatAreNotReadYetDoNotLockOthersOut() {
        String body = Json.chat("A short story.", true, Map.of("max_tokens", 16, "ignore_eos", true));
        List<RawStream> idle = new ArrayList<>();
        long received = sim.received();
        try {
            for (int i = 0; i < ShapingTestProfile.SLOTS; i++) {
                RawStream stream = RawStream.open(root.getPort());
                idle.add(stream);
                stream.send(
                        RawStream.post("HTTP/1.0", "/v1/chat/completions", body, List.of("Connection: keep-alive")));
            }
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(sim.received() - received).isEqualTo(ShapingTestProfile.SLOTS));

            await().atMost(Duration.ofSeconds(5))
                    .alias("both slots are free while the clients have not read a byte")
                    .untilAsserted(() -> {
                        assertThat(Scrape.sum("vgate_in_flight_requests")).isZero();
                        assertThat(sim.running()).isZero();
                    });
            var other = given().contentType("application/json")
                    .body(Json.chat("Me too.", false, Map.of("max_tokens", 4)))
                    .post("/v1/chat/completions");
            assertThat(other.statusCode()).as(other.asString()).isEqualTo(200);

            for (RawStream stream : idle) {
                String head = stream.head();
                assertThat(head).contains(" 200 ");
                assertThat(head.toLowerCase()).contains("connection: close").doesNotContain("transfer-encoding");
                assertThat(stream.rest()).endsWith("data: [DONE]\n\n").contains("\"finish_reason\":\"length\"");
            }
        } finally {
            idle.forEach(RawStream::close);
        }
    }
}
