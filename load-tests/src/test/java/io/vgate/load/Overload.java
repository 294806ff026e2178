/*
 * Overload at about 3x the GPU's capacity: vgate's admission control must keep vLLM's batch full, queue a bounded
 * number of requests, answer the excess at once with 503 + Retry-After, and keep the time to first token of the
 * requests it admits close to that of a full batch instead of letting it grow with the backlog.
 *
 * First the capacity is measured (unless overload.rate is given): overload.concurrency streaming requests at a time,
 * back to back, for overload.calibration; capacity = completed requests per second. Then requests arrive in an open
 * loop (arrivals never wait for answers, as real users do) at overload.factor x capacity for overload.duration.
 * Every request asks for exactly overload.maxTokens tokens; every other one streams:
 *   streaming       "stream" (response head), "first event" (time to first token of an admitted request, timed from
 *                   sending it), "usage", "[DONE]". Gatling's SSE client treats any status but 200 as a failure, so a
 *                   rejected stream shows as a KO "stream" (SseInvalidStatusException ... 503): the KO share of
 *                   "stream" is the share of streams vgate turned away.
 *   non-streaming   "non-streaming": 200, or 503 with Retry-After >= 1 s and code queue_full, queue_timeout or
 *                   queue_shed: the shape of every rejection is checked here.
 * Assertions: every non-streaming answer is a 200 or a well-formed 503; some streams were rejected (otherwise the
 * target was not overloaded); p95 "first event" under overload.maxTtftMs.
 *
 * The local stack (run.sh) is a simulator with max-num-seqs 16 behind vgate with max-in-flight 16, max-queue 16 and
 * max-queue-wait 2s, so an admitted request waits at most about 2 s. With vgate's defaults (max-queue 256,
 * max-queue-wait 30s) admitted requests may wait up to max-queue / capacity seconds: raise overload.maxTtftMs.
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
 *   overload.maxTtftMs   / OVERLOAD_MAX_TTFT_MS     3000   assertion bound on p95 time to first event of admitted streams
 *   overload.timeout     / OVERLOAD_TIMEOUT         120s   longest wait for an answer
 *
 * Run: load-tests/run.sh Overload
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.sse;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.CoreDsl;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.Capacity;
import io.vgate.load.support.Params;
import io.vgate.load.support.StreamChecks;
import io.vgate.load.support.Target;

public class Overload extends Simulation {

    private final int concurrency = Params.integer("overload.concurrency", 16);
    private final Duration calibration = Params.duration("overload.calibration", "10s");
    private final double factor = Params.decimal("overload.factor", 3);
    private final Duration duration = Params.duration("overload.duration", "30s");
    private final int maxTokens = Params.integer("overload.maxTokens", 32);
    private final int maxTtftMs = Params.integer("overload.maxTtftMs", 3000);
    private final Duration timeout = Params.duration("overload.timeout", "120s");
    private final String prompt = "Tell me a story about a lighthouse keeper.";
    private final AtomicLong arrivals = new AtomicLong();

    private final ChainBuilder streaming = CoreDsl.exec(
            sse("stream").post("/v1/chat/completions")
                    .body(StringBody(Bodies.chat(prompt, maxTokens, true)))
                    .await(timeout).on(StreamChecks.loose(maxTokens)))
            .exitHereIfFailed()
            .exec(sse.processUnmatchedMessages((messages, session) -> session))
            .exec(sse("close").close());

    private final ChainBuilder nonStreaming = CoreDsl.exec(
            http("non-streaming").post("/v1/chat/completions")
                    .body(StringBody(Bodies.chat(prompt, maxTokens, false)))
                    .requestTimeout(timeout)
                    .check(status().in(200, 503))
                    .checkIf((response, session) -> response.status().code() == 503).then(
                            header("Retry-After").transform(v -> v.matches("[1-9][0-9]*")).is(true),
                            jsonPath("$.error.code").in("queue_full", "queue_timeout", "queue_shed")));

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
                        details("first event").responseTime().percentile(95).lt(maxTtftMs));
    }
}
