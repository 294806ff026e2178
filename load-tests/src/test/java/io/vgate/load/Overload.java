/*
 * Overload at about 3x the GPU's capacity: vgate's admission control must keep vLLM's batch full, queue a bounded
 * number of requests, answer the excess at once with 503 + Retry-After, and keep the time to first token of the
 * requests it admits close to that of a full batch instead of letting it grow with the backlog.
 *
 * First the capacity is measured (unless overload.rate is given): overload.concurrency streaming requests at a time,
 * back to back, for overload.calibration; capacity = completed requests per second. Then requests arrive in an open
 * loop (arrivals never wait for answers, as real users do) at overload.factor x capacity for overload.duration.
 * Every request asks for exactly overload.maxTokens tokens; every other one streams:
 *   streaming       "stream" (sending -> response head: the wait for admission, or for the 503), "first event"
 *                   (response head -> first token), "usage", "[DONE]" (support/Streams.java). Gatling's SSE client
 *                   treats any status but 200 as a failure, so a refused stream shows as a KO "stream"
 *                   (SseInvalidStatusException ... 503): the KO share of "stream" is the share of streams refused.
 *   non-streaming   "non-streaming": 200, or 503 with Retry-After >= 1 s and an OpenAI-shaped error of type
 *                   server_error, code queue_full, queue_timeout or queue_shed (support/Rejections.java): the
 *                   shape of every rejection is checked here.
 * Assertions: every non-streaming answer is a 200 or a well-formed 503; some streams were refused (otherwise the
 * target was not overloaded) and some admitted; every admitted stream completed (usage, [DONE]); p95 of "stream"
 * under overload.maxWaitMs: the wait for admission or refusal is bounded (Gatling's time assertions count OK and KO
 * alike; the report's OK column is the admitted streams' wait); p95 of "first event" under overload.maxTtftMs:
 * once admitted, the first token comes as fast as from a full batch, because the backlog waits in vgate's bounded
 * queue and not in vLLM's.
 *
 * The local stack (run.sh) is a simulator with max-num-seqs 16 behind vgate with max-in-flight 16, max-queue 16 and
 * max-queue-wait 2s, so an admitted request waits at most about 2 s. With vgate's defaults (max-queue 256,
 * max-queue-wait 30s) admitted requests may wait up to max-queue / capacity seconds: raise overload.maxWaitMs.
 * load-tests/shaping/ compares the queue settings, and vLLM without vgate, in detail.
 *
 * Parameters (system property / environment variable: default):
 *   vgate.url, vgate.apiKey, vgate.model            the target (see support/Target.java)
 *   overload.concurrency / OVERLOAD_CONCURRENCY      16     requests at once when measuring capacity (the GPU's
 *                                                           --max-num-seqs, or vgate's max-in-flight)
 *   overload.calibration / OVERLOAD_CALIBRATION      10s    how long capacity is measured
 *   overload.rate        / OVERLOAD_RATE            (none)  arrivals per second; skips the measurement
 *   overload.factor      / OVERLOAD_FACTOR          3      arrival rate as a multiple of the capacity
 *   overload.duration    / OVERLOAD_DURATION        30s    how long requests arrive
 *   overload.maxTokens   / OVERLOAD_MAX_TOKENS      32     answer length
 *   overload.maxWaitMs   / OVERLOAD_MAX_WAIT_MS     3000   assertion bound on p95 time to the response head (or 503)
 *   overload.maxTtftMs   / OVERLOAD_MAX_TTFT_MS     1000   assertion bound on p95 response head -> first token
 *   overload.timeout     / OVERLOAD_TIMEOUT         120s   longest wait for an answer
 *
 * Run: load-tests/run.sh Overload
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CoreDsl;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.Capacity;
import io.vgate.load.support.Params;
import io.vgate.load.support.Rejections;
import io.vgate.load.support.Streams;
import io.vgate.load.support.Target;

public class Overload extends Simulation {

    private final int concurrency = Params.integer("overload.concurrency", 16);
    private final Duration calibration = Params.duration("overload.calibration", "10s");
    private final double factor = Params.decimal("overload.factor", 3);
    private final Duration duration = Params.duration("overload.duration", "30s");
    private final int maxTokens = Params.integer("overload.maxTokens", 32);
    private final int maxWaitMs = Params.integer("overload.maxWaitMs", 3000);
    private final int maxTtftMs = Params.integer("overload.maxTtftMs", 1000);
    private final Duration timeout = Params.duration("overload.timeout", "120s");
    private final String prompt = "Tell me a story about a lighthouse keeper.";
    private final AtomicLong arrivals = new AtomicLong();

    private final ChainBuilder streaming = Streams.chat("", session -> Bodies.chat(prompt, maxTokens, true),
            maxTokens, false, timeout);

    private final ChainBuilder nonStreaming = CoreDsl.exec(Rejections.allow(
            http("non-streaming").post("/v1/chat/completions")
                    .body(StringBody(Bodies.chat(prompt, maxTokens, false)))
                    .requestTimeout(timeout),
            503, "server_error", Rejections.QUEUE_CODES));

    private final ScenarioBuilder arrivalsScenario = scenario("overload")
            .doIfOrElse(session -> arrivals.getAndIncrement() % 2 == 0).then(streaming).orElse(nonStreaming);

    {
        String rateParam = Params.string("overload.rate", null);
        double rate = rateParam != null ? Double.parseDouble(rateParam)
                : factor * Capacity.measure(Bodies.chat(prompt, maxTokens, true), concurrency, calibration);
        System.out.printf("overload: %.2f arrivals/s for %s%n", rate, duration);
        setUp(arrivalsScenario.injectOpen(constantUsersPerSec(rate).during(duration)))
                .protocols(Target.http())
                .assertions(
                        details("non-streaming").failedRequests().count().is(0L),
                        details("stream").failedRequests().count().gt(0L),
                        details("stream").successfulRequests().count().gt(0L),
                        details("usage").failedRequests().count().is(0L),
                        details("[DONE]").failedRequests().count().is(0L),
                        details("stream").responseTime().percentile(95).lt(maxWaitMs),
                        details("first event").responseTime().percentile(95).lt(maxTtftMs));
    }
}
