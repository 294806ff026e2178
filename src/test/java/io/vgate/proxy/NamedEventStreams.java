package io.vgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.MultiMap;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import io.vgate.testing.SseClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Streams of named events ({@code event: <name>\ndata: <json>\n\n}: the Responses API, Anthropic Messages) as the
 * route tests read them, to compare what the simulator sends with what vgate relays of it.
 */
final class NamedEventStreams {

    private NamedEventStreams() {}

    /** POSTs {@code body} to {@code path} on {@code base} under {@code requestId}; the text of each event, after a 200. */
    static List<String> events(SseClient client, URI base, String path, String body, String requestId) {
        var call = client.post(
                base.resolve(path), body, MultiMap.caseInsensitiveMultiMap().add("X-Request-Id", requestId));
        assertThat(call.status()).isEqualTo(200);
        call.body();
        return call.events().stream().map(SseClient.Event::text).toList();
    }

    /** The event's name, from its {@code event:} line. */
    static String name(String event) {
        return event.substring("event: ".length(), event.indexOf('\n'));
    }

    /** The event's data, parsed. */
    static JsonNode data(String event) {
        return Json.parse(event.substring(event.indexOf("data: ") + 6).trim());
    }

    /** The text at {@code pointer} in the data of the events named {@code name}, joined in order. */
    static String text(List<String> events, String name, String pointer) {
        StringBuilder text = new StringBuilder();
        for (String event : events) {
            if (event.startsWith("event: " + name + "\n")) {
                text.append(data(event).at(pointer).asText());
            }
        }
        return text.toString();
    }

    /**
     * The events with what two identical requests may differ in made equal: random hex ids, and the numbers of
     * {@code numberFields} (such as a creation second).
     */
    static List<String> normalised(List<String> events, String... numberFields) {
        List<String> result = new ArrayList<>();
        for (String event : events) {
            String normal = event;
            for (String field : numberFields) {
                normal = normal.replaceAll("\"" + field + "\":\\d+", "\"" + field + "\":0");
            }
            result.add(normal.replaceAll("[0-9a-f]{32}", "<hex>"));
        }
        return result;
    }

    /**
     * Streams {@code body} to {@code url}, closes the connection after a few events, and checks that the simulator
     * aborted the generation it was running for it.
     */
    static void assertClosingAbortsTheGeneration(VllmSimulator sim, SseClient client, URI url, String body) {
        long abortedBefore = sim.aborted();
        var call = client.post(url, body, null);
        await().atMost(Duration.ofSeconds(10)).until(() -> call.events().size() >= 5);
        assertThat(sim.running()).isEqualTo(1);

        call.disconnect();

        await().atMost(Duration.ofSeconds(3)).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
    }
}
