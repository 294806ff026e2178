package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A named-event SSE body (the Responses and Anthropic dialects) split into its events, each checked to be exactly
 * {@code event: <type>\ndata: <one line of JSON>\n\n} with the data's {@code type} equal to the event name.
 */
final class NamedEvents {

    /** One event: its name, its raw data line and the parsed data. */
    record Event(String name, String raw, JsonNode data) {}

    private NamedEvents() {}

    static List<Event> parse(String body) {
        if (!body.endsWith("\n\n")) {
            throw new AssertionError("stream does not end with a blank line: " + body);
        }
        List<Event> out = new ArrayList<>();
        for (String event : body.substring(0, body.length() - 2).split("\n\n", -1)) {
            String[] lines = event.split("\n", -1);
            if (lines.length != 2 || !lines[0].startsWith("event: ") || !lines[1].startsWith("data: ")) {
                throw new AssertionError("not an event line and a data line: " + event);
            }
            String name = lines[0].substring("event: ".length());
            String raw = lines[1].substring("data: ".length());
            JsonNode data = SimClient.parse(raw);
            if (!name.equals(data.path("type").asText())) {
                throw new AssertionError("event " + name + " carries type " + data.path("type"));
            }
            out.add(new Event(name, raw, data));
        }
        return out;
    }

    static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }
}
