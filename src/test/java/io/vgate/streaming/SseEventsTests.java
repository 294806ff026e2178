package io.vgate.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class SseEventsTests {

    @Test
    void recognisesDoneWithAndWithoutSpace() {
        assertThat(SseEvents.isDone(Buffer.buffer("data: [DONE]\n\n"))).isTrue();
        assertThat(SseEvents.isDone(Buffer.buffer("data:[DONE]\r\n\r\n"))).isTrue();
        assertThat(SseEvents.isDone(Buffer.buffer("data: {\"text\":\"[DONE]\"}\n\n")))
                .isFalse();
        assertThat(SseEvents.isDone(Buffer.buffer(": [DONE]\n\n"))).isFalse();
    }

    @Test
    void flagsOnlyEventsWithANonNullUsage() {
        assertThat(SseEvents.mayCarryUsage(Buffer.buffer("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n")))
                .isTrue();
        assertThat(SseEvents.mayCarryUsage(Buffer.buffer("data: {\"choices\":[{\"text\":\"a\"}],\"usage\":null}\n\n")))
                .isFalse();
        assertThat(SseEvents.mayCarryUsage(Buffer.buffer("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")))
                .isFalse();
    }

    @Test
    void extractsTheJsonOfASingleLineDataEvent() {
        assertThat(SseEvents.jsonPayload(Buffer.buffer("data: {\"a\":1}\n\n")).toString())
                .isEqualTo("{\"a\":1}");
        assertThat(SseEvents.jsonPayload(Buffer.buffer("data:{\"a\":1}\r\n\r\n"))
                        .toString())
                .isEqualTo("{\"a\":1}");
        assertThat(SseEvents.jsonPayload(Buffer.buffer("data: a\ndata: b\n\n"))).isNull();
        assertThat(SseEvents.jsonPayload(Buffer.buffer("event: x\ndata: {}\n\n")))
                .isNull();
    }

    @Test
    void recognisesVllmsInBandErrorEventInBothShapes() {
        assertThat(SseEvents.isError(Buffer.buffer(
                        "data: {\"error\":{\"message\":\"Internal server error\",\"type\":\"InternalServerError\","
                                + "\"param\":null,\"code\":500}}\n\n")))
                .isTrue();
        assertThat(SseEvents.isError(Buffer.buffer("data:{\"object\":\"error\",\"message\":\"x\",\"code\":400}\n\n")))
                .isTrue();
        assertThat(SseEvents.isError(
                        Buffer.buffer("data: {\"choices\":[{\"delta\":{\"content\":\"{\\\"error\\\":1}\"}}]}\n\n")))
                .as("a chunk whose text mentions an error")
                .isFalse();
        assertThat(SseEvents.isError(Buffer.buffer(": {\"error\":1}\n\n"))).isFalse();
    }
}
