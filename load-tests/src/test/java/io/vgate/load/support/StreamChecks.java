package io.vgate.load.support;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.http.HttpDsl.sse;

import java.util.ArrayList;
import java.util.List;

import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.http.SseMessageCheck;

/**
 * Checks on a streamed chat answer, armed when the request is sent (so no event can slip past) and applied to the
 * events in order. Gatling records each check as a request whose time runs from sending the request to that event:
 * {@code first event} is the time to first token, {@code token} the time to each further token, {@code [DONE]} the
 * time to the whole answer.
 */
public final class StreamChecks {

    /** Gatling hands each SSE event to the checks as {@code {"data": <data>}}; [DONE] is not JSON, so it stays text. */
    private static final String DONE = "{\"data\":[DONE]}";

    private StreamChecks() {
    }

    /**
     * Every event of an answer of exactly {@code tokens} tokens: the role chunk, one content event per token, the
     * usage chunk reporting {@code tokens} completion tokens, and {@code [DONE]}. Any missing, extra or malformed
     * event fails the stream.
     */
    public static List<SseMessageCheck> exact(int tokens) {
        List<SseMessageCheck> checks = new ArrayList<>(tokens + 3);
        checks.add(firstEvent());
        for (int i = 0; i < tokens; i++) {
            checks.add(sse.checkMessage("token").check(jsonPath("$.data.choices[0].delta.content").exists()));
        }
        checks.add(usage(tokens));
        checks.add(done());
        return checks;
    }

    /**
     * The first event, then the usage chunk and {@code [DONE]}, letting any number of content events pass in
     * between (vLLM merges tokens into one event when its API server falls behind). Content events are left for
     * {@code sse.processUnmatchedMessages}.
     */
    public static List<SseMessageCheck> loose(int tokens) {
        return List.of(firstEvent(),
                usage(tokens).matching(jsonPath("$.data.usage").exists()),
                done().matching(bodyString().is(DONE)));
    }

    public static List<SseMessageCheck> answer(int tokens, boolean exact) {
        return exact ? exact(tokens) : loose(tokens);
    }

    private static SseMessageCheck firstEvent() {
        return sse.checkMessage("first event").check(jsonPath("$.data.object").is("chat.completion.chunk"));
    }

    private static SseMessageCheck usage(int tokens) {
        CheckBuilder completion = jsonPath("$.data.usage.completion_tokens").ofInt().is(tokens);
        return sse.checkMessage("usage").check(completion);
    }

    private static SseMessageCheck done() {
        return sse.checkMessage("[DONE]").check(bodyString().is(DONE));
    }
}
