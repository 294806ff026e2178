package io.vgate.load.support;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.http.HttpDsl.sse;

import java.time.Duration;
import java.util.function.Function;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;

/**
 * One streamed chat completion, checked event by event (see {@link StreamChecks}). Gatling records it as:
 * <pre>
 * &lt;prefix&gt;stream         sending the request → response head: the wait for admission (vgate's queue) and for vLLM
 *                       to take the request; KO when the stream was refused (any status but 200)
 * &lt;prefix&gt;first event    response head → first event: the model's time to first token once admitted
 * &lt;prefix&gt;token, &lt;prefix&gt;usage, &lt;prefix&gt;[DONE]   response head → each further event (token: exact mode only)
 * </pre>
 * Gatling times the checks of an SSE stream from its response head, so the time to first token a client sees is
 * {@code stream} + {@code first event}; the scenarios bound both. (Splitting the checks into two awaits, to time a
 * group from sending to the first event, loses events: the second await is armed a moment after the first ends,
 * and events that arrive in that moment, such as the first token right behind vLLM's role chunk, go unchecked.)
 * A refused stream ends the chain there (exitHereIfFailed).
 */
public final class Streams {

    private Streams() {
    }

    public static ChainBuilder chat(String prefix, Function<Session, String> body, int tokens, boolean exact,
            Duration timeout) {
        return exec(sse(prefix + "stream").post("/v1/chat/completions").body(StringBody(body))
                        .await(timeout).on(StreamChecks.answer(prefix, tokens, exact)))
                .exitHereIfFailed()
                // The content events the loose checks let pass are dropped here, before the next question.
                .exec(sse.processUnmatchedMessages((messages, session) -> session))
                .exec(sse(prefix + "close").close());
    }
}
