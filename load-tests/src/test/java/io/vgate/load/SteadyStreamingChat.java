/*
 * Steady streaming chat: a fixed number of users each hold a conversation: send a streamed chat completion, read
 * the answer to [DONE], think, send the next. The everyday load of a chat front end.
 *
 * Checks on every answer: 200 with an SSE stream; the first event is a chat.completion.chunk; with chat.exactEvents,
 * exactly one content event per token (no merged or lost events); the usage chunk reports chat.maxTokens
 * completion tokens; [DONE] ends the stream.
 * Assertions: no failed request; p95 time to first event under chat.maxTtftMs.
 * Gatling's request names, each timed from sending the request: "chat" (the response head), "first event" (time to
 * first token), "token" (each further token, exact mode only), "usage", "[DONE]" (the whole answer).
 *
 * Parameters (system property / environment variable: default):
 *   vgate.url, vgate.apiKey, vgate.model   the target (see support/Target.java)
 *   chat.users        / CHAT_USERS           20     concurrent users (closed model: a user leaves, the next starts)
 *   chat.rampUp       / CHAT_RAMP_UP         10s    time to reach chat.users
 *   chat.duration     / CHAT_DURATION        60s    time at chat.users after the ramp
 *   chat.thinkTime    / CHAT_THINK_TIME      2s     mean pause before each question (uniform, 0.5x to 1.5x)
 *   chat.promptWords  / CHAT_PROMPT_WORDS    200    words in each question (about as many tokens)
 *   chat.maxTokens    / CHAT_MAX_TOKENS      128    answer length in tokens (ignore_eos: every answer has exactly this many)
 *   chat.exactEvents  / CHAT_EXACT_EVENTS    true   one SSE event per token; set false against a real vLLM that may
 *                                                   merge tokens into one event when its API server falls behind
 *   chat.maxTtftMs    / CHAT_MAX_TTFT_MS     2000   assertion bound on p95 time to first event
 *   chat.timeout      / CHAT_TIMEOUT         120s   longest wait for a whole answer
 *
 * Run: load-tests/run.sh SteadyStreamingChat [-Dchat.users=50 ...]   (starts simulator + vgate on loopback)
 *      VGATE_URL=https://vgate.example.com VGATE_API_KEY=... load-tests/run.sh SteadyStreamingChat
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.rampConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.sse;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.Params;
import io.vgate.load.support.StreamChecks;
import io.vgate.load.support.Target;

public class SteadyStreamingChat extends Simulation {

    private final int users = Params.integer("chat.users", 20);
    private final Duration rampUp = Params.duration("chat.rampUp", "10s");
    private final Duration duration = Params.duration("chat.duration", "60s");
    private final Duration think = Params.duration("chat.thinkTime", "2s");
    private final int promptWords = Params.integer("chat.promptWords", 200);
    private final int maxTokens = Params.integer("chat.maxTokens", 128);
    private final boolean exactEvents = Params.flag("chat.exactEvents", true);
    private final int maxTtftMs = Params.integer("chat.maxTtftMs", 2000);
    private final Duration timeout = Params.duration("chat.timeout", "120s");
    private final AtomicLong questions = new AtomicLong();

    private final ScenarioBuilder chat = scenario("steady streaming chat")
            .pause(think.dividedBy(2), think.multipliedBy(3).dividedBy(2))
            .exec(sse("chat").post("/v1/chat/completions")
                    .body(StringBody(session -> Bodies.chat(Bodies.prompt(promptWords, questions.incrementAndGet()),
                            maxTokens, true)))
                    .await(timeout).on(StreamChecks.answer(maxTokens, exactEvents)))
            // The content events the loose checks let pass are dropped here, before the next question.
            .exec(sse.processUnmatchedMessages((messages, session) -> session))
            .exec(sse("close").close());

    {
        setUp(chat.injectClosed(
                rampConcurrentUsers(0).to(users).during(rampUp),
                constantConcurrentUsers(users).during(duration)))
                .protocols(Target.http())
                .assertions(
                        global().failedRequests().count().is(0L),
                        details("first event").responseTime().percentile(95).lt(maxTtftMs));
    }
}
