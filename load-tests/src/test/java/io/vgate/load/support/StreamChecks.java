package io.vgate.load.support;

import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.http.HttpDsl.sse;

import java.util.ArrayList;
import java.util.List;

import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.http.SseMessageCheck;

/**
 * Checks on a streamed chat answer, applied to its events in order. Each check is recorded by Gatling as a request
 * named {@code <prefix>first event}, {@code <prefix>token}, {@code <prefix>usage} or {@code <prefix>[DONE]}.
 *
 * <p>Gatling times each check of an SSE stream from the moment the stream's response head arrived, not from sending
 * the request: a request that waits in vgate's admission queue shows that wait in the connect request's time (the
 * response head), not in {@code first event} (see {@link Streams}).
 */
public final class StreamChecks {

    /** Gatling hands each SSE event to the checks as {@code {"data": <data>}}; [DONE] is not JSON, so it stays text. */
    private static final String DONE = "{\"data\":[DONE]}";

    private StreamChecks() {
    }

    /** The first event of a chat stream: a {@code chat.completion.chunk} (vLLM's role chunk). */
    public static SseMessageCheck firstEvent(String prefix) {
        return sse.checkMessage(prefix + "first event").check(jsonPath("$.data.object").is("chat.completion.chunk"));
    }

    /** Every event of an answer of exactly {@code tokens} tokens, in order, all armed when the request is sent. */
    public static List<SseMessageCheck> answer(String prefix, int tokens, boolean exact) {
        List<SseMessageCheck> checks = new ArrayList<>(tokens + 3);
        checks.add(firstEvent(prefix));
        checks.addAll(rest(prefix, tokens, exact));
        return checks;
    }

    /**
     * Everything after the first event of an answer of exactly {@code tokens} tokens. Exact: one content event per
     * token, the usage chunk reporting {@code tokens} completion tokens, then {@code [DONE]}; any missing, extra or
     * malformed event fails the stream. Loose: the usage chunk and {@code [DONE]}, letting any number of content
     * events pass in between (vLLM merges tokens into one event when its API server falls behind); the content
     * events are left for {@code sse.processUnmatchedMessages}.
     */
    public static List<SseMessageCheck> rest(String prefix, int tokens, boolean exact) {
        if (!exact) {
            return List.of(usage(prefix, tokens).matching(jsonPath("$.data.usage").exists()),
                    done(prefix).matching(bodyString().is(DONE)));
        }
        List<SseMessageCheck> checks = new ArrayList<>(tokens + 2);
        for (int i = 0; i < tokens; i++) {
            checks.add(sse.checkMessage(prefix + "token").check(jsonPath("$.data.choices[0].delta.content").exists()));
        }
        checks.add(usage(prefix, tokens));
        checks.add(done(prefix));
        return checks;
    }

    private static SseMessageCheck usage(String prefix, int tokens) {
        CheckBuilder completion = jsonPath("$.data.usage.completion_tokens").ofInt().is(tokens);
        return sse.checkMessage(prefix + "usage").check(completion);
    }

    private static SseMessageCheck done(String prefix) {
        return sse.checkMessage(prefix + "[DONE]").check(bodyString().is(DONE));
    }
}
