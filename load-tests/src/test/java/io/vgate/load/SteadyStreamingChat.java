/*
 * Steady streaming chat: a fixed number of users at all times, each thinking, then sending a streamed chat
 * completion and reading the answer to [DONE]; a user who got an answer is replaced by the next at once (closed
 * model). The everyday load of a chat front end.
 *
 * Checks on every answer: 200 with an SSE stream; the first event is a chat.completion.chunk; with chat.exactEvents,
 * exactly one content event per token (no merged or lost events); the usage chunk reports chat.maxTokens
 * completion tokens; [DONE] ends the stream.
 * Gatling's names (support/Streams.java): "stream" (sending -> response head), "first event" (response head ->
 * first token), "token" (each further token, exact mode only), "usage" and "[DONE]" (response head -> end of the
 * answer). The time to first token a user sees is "stream" + "first event".
 * Assertions: no failed request; p95 of "stream" under chat.maxWaitMs; p95 of "first event" under chat.maxTtftMs.
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
 *   chat.maxWaitMs    / CHAT_MAX_WAIT_MS     1000   assertion bound on p95 time to the response head
 *   chat.maxTtftMs    / CHAT_MAX_TTFT_MS     2000   assertion bound on p95 response head -> first token
 *   chat.timeout      / CHAT_TIMEOUT         120s   longest wait for a whole answer
 *
 * Run: load-tests/run.sh SteadyStreamingChat [-Dchat.users=50 ...]   (starts simulator + vgate on loopback)
 *      VGATE_URL=https://vgate.example.com VGATE_API_KEY=... load-tests/run.sh SteadyStreamingChat
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.rampConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.Params;
import io.vgate.load.support.Streams;
import io.vgate.load.support.Target;

public class SteadyStreamingChat extends Simulation {

    private final int users = Params.integer("chat.users", 20);
    private final Duration rampUp = Params.duration("chat.rampUp", "10s");
    private final Duration duration = Params.duration("chat.duration", "60s");
    private final Duration think = Params.duration("chat.thinkTime", "2s");
    private final int promptWords = Params.integer("chat.promptWords", 200);
    private final int maxTokens = Params.integer("chat.maxTokens", 128);
    private final boolean exactEvents = Params.flag("chat.exactEvents", true);
    private final int maxWaitMs = Params.integer("chat.maxWaitMs", 1000);
    private final int maxTtftMs = Params.integer("chat.maxTtftMs", 2000);
    private final Duration timeout = Params.duration("chat.timeout", "120s");
    private final AtomicLong questions = new AtomicLong();

    private final ScenarioBuilder chat = scenario("steady streaming chat")
            .pause(think.dividedBy(2), think.multipliedBy(3).dividedBy(2))
            .exec(Streams.chat("", session -> Bodies.chat(Bodies.prompt(promptWords, questions.incrementAndGet()),
                    maxTokens, true), maxTokens, exactEvents, timeout));

    {
        setUp(chat.injectClosed(
                rampConcurrentUsers(0).to(users).during(rampUp),
                constantConcurrentUsers(users).during(duration)))
                .protocols(Target.http())
                .assertions(
                        global().failedRequests().count().is(0L),
                        details("stream").responseTime().percentile(95).lt(maxWaitMs),
                        details("first event").responseTime().percentile(95).lt(maxTtftMs));
    }
}
