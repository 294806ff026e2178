/*
 * Soak: steady chat traffic for a bounded time while vgate's memory is sampled. Passes when nothing failed (no
 * error, no refusal, no broken stream) and memory settled after the warm-up instead of growing with the number of
 * requests served (a leak of buffers, streams, queue entries or per-request state shows up here long before an
 * OOMKill in production).
 *
 * Users (closed model): soak.users at once, each asking one question, then replaced; three questions in four stream
 * (checked as in SteadyStreamingChat, through support/Streams.java), the fourth is non-streaming ("non-streaming").
 * Memory (scenario "memory", support/MemoryMonitor.java), every soak.sampleInterval:
 *   - local (run.sh passes vgate.pid): vgate's resident set size, VmRSS in /proc/<pid>/status;
 *   - by URL (no vgate.pid): the JVM memory in use that vgate exports, the sum of jvm_memory_used_bytes on
 *     soak.metricsUrl (request "metrics"; /q/metrics is usually not exposed by the Ingress: port-forward a pod and
 *     point soak.metricsUrl at it), or no memory check at all with soak.metricsUrl=none.
 * At the end, request "memory growth" (GET /v1/models, so vgate must still answer) carries the verdict: the lowest
 * sample of the last soak.window may exceed the lowest sample of the soak.window after soak.warmUp by at most
 * soak.maxGrowthPercent of it or soak.maxGrowthMiB, whichever is more. Samples and the verdict are printed.
 * Assertions: no failed request (any KO fails the soak, the verdict included); p95 of "stream" (sending -> response
 * head) under soak.maxWaitMs and of "first event" (response head -> first token) under soak.maxTtftMs.
 *
 * Locally run.sh starts vgate with VGATE_JAVA_OPTS (default -Xmx256m here, as bench.sh does): an unbounded heap
 * would let the JVM grow its heap, and RSS with it, for minutes without any leak.
 *
 * Parameters (system property / environment variable: default):
 *   vgate.url, vgate.apiKey, vgate.model         the target (see support/Target.java)
 *   vgate.pid          / VGATE_PID                 (none)  pid of a local vgate (run.sh sets it)
 *   soak.metricsUrl    / SOAK_METRICS_URL   vgate.url/q/metrics   where to read memory without a pid; none: skip
 *   soak.users         / SOAK_USERS                10      concurrent users
 *   soak.rampUp        / SOAK_RAMP_UP              10s     time to reach soak.users
 *   soak.duration      / SOAK_DURATION             5m      time at soak.users after the ramp
 *   soak.thinkTime     / SOAK_THINK_TIME           1s      mean pause before each question (uniform, 0.5x to 1.5x)
 *   soak.promptWords   / SOAK_PROMPT_WORDS         100     words in each question
 *   soak.maxTokens     / SOAK_MAX_TOKENS           64      answer length in tokens
 *   soak.exactEvents   / SOAK_EXACT_EVENTS         false   check every token event (as chat.exactEvents)
 *   soak.warmUp        / SOAK_WARM_UP              60s     memory before this is not judged (JIT, pools, caches)
 *   soak.window        / SOAK_WINDOW               30s     length of the windows compared
 *   soak.sampleInterval / SOAK_SAMPLE_INTERVAL     5s      time between memory samples
 *   soak.maxGrowthPercent / SOAK_MAX_GROWTH_PERCENT 20     allowed growth, % of the memory after the warm-up
 *   soak.maxGrowthMiB  / SOAK_MAX_GROWTH_MIB       64      allowed growth in MiB (the larger allowance applies)
 *   soak.maxWaitMs     / SOAK_MAX_WAIT_MS          1000    assertion bound on p95 time to the response head
 *   soak.maxTtftMs     / SOAK_MAX_TTFT_MS          2000    assertion bound on p95 response head -> first token
 *   soak.timeout       / SOAK_TIMEOUT              120s    longest wait for an answer
 *
 * Run: load-tests/run.sh Soak [-Dsoak.duration=30m ...]
 *      VGATE_URL=https://vgate.example.com VGATE_API_KEY=... SOAK_METRICS_URL=http://127.0.0.1:9000/q/metrics \
 *          load-tests/run.sh Soak          (with kubectl port-forward pod/<vgate pod> 9000)
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.MemoryMonitor;
import io.vgate.load.support.Params;
import io.vgate.load.support.Streams;
import io.vgate.load.support.Target;

public class Soak extends Simulation {

    private final String pid = Params.string("vgate.pid", null);
    private final String metricsUrl = Params.string("soak.metricsUrl", Target.URL + "/q/metrics");
    private final int users = Params.integer("soak.users", 10);
    private final Duration rampUp = Params.duration("soak.rampUp", "10s");
    private final Duration duration = Params.duration("soak.duration", "5m");
    private final Duration think = Params.duration("soak.thinkTime", "1s");
    private final int promptWords = Params.integer("soak.promptWords", 100);
    private final int maxTokens = Params.integer("soak.maxTokens", 64);
    private final boolean exactEvents = Params.flag("soak.exactEvents", false);
    private final Duration warmUp = Params.duration("soak.warmUp", "60s");
    private final Duration window = Params.duration("soak.window", "30s");
    private final Duration sampleInterval = Params.duration("soak.sampleInterval", "5s");
    private final double maxGrowthPercent = Params.decimal("soak.maxGrowthPercent", 20);
    private final long maxGrowthMiB = Params.integer("soak.maxGrowthMiB", 64);
    private final int maxWaitMs = Params.integer("soak.maxWaitMs", 1000);
    private final int maxTtftMs = Params.integer("soak.maxTtftMs", 2000);
    private final Duration timeout = Params.duration("soak.timeout", "120s");
    private final AtomicLong questions = new AtomicLong();

    private final MemoryMonitor memory = pid != null ? new MemoryMonitor("RSS of pid " + pid)
            : "none".equalsIgnoreCase(metricsUrl) ? null
            : new MemoryMonitor("JVM memory used (" + metricsUrl + ")");

    private final ScenarioBuilder chat = scenario("soak")
            .pause(think.dividedBy(2), think.multipliedBy(3).dividedBy(2))
            .doIfOrElse(session -> questions.incrementAndGet() % 4 != 0).then(
                    Streams.chat("", session -> Bodies.chat(Bodies.prompt(promptWords, questions.get()), maxTokens,
                            true), maxTokens, exactEvents, timeout))
            .orElse(exec(http("non-streaming").post("/v1/chat/completions")
                    .body(StringBody(session -> Bodies.chat(Bodies.prompt(promptWords, questions.get()), maxTokens,
                            false)))
                    .requestTimeout(timeout)
                    .check(status().is(200), jsonPath("$.usage.completion_tokens").ofInt().is(maxTokens))));

    private ChainBuilder sample() {
        if (memory == null) {
            return exec(session -> session);
        }
        if (pid != null) {
            long p = Long.parseLong(pid);
            return exec(session -> {
                memory.record(MemoryMonitor.rss(p));
                return session;
            });
        }
        return exec(http("metrics").get(metricsUrl).check(status().is(200), bodyString().saveAs("metrics")))
                .exec(session -> {
                    if (session.contains("metrics")) {
                        memory.record(MemoryMonitor.jvmMemoryUsed(session.getString("metrics")));
                    }
                    return session.remove("metrics");
                });
    }

    private String verdict() {
        if (memory == null) {
            System.out.println("memory verdict: not checked (soak.metricsUrl=none)");
            return "ok";
        }
        return memory.verdict(warmUp.toMillis() / 1000.0, window.toMillis() / 1000.0, maxGrowthPercent, maxGrowthMiB);
    }

    private final ScenarioBuilder monitor = scenario("memory")
            .during(rampUp.plus(duration)).on(exec(sample()).pause(sampleInterval))
            .exec(sample())
            .exec(http("memory growth").get("/v1/models")
                    .check(status().is(200), bodyString().transform(body -> verdict()).is("ok")));

    {
        setUp(chat.injectClosed(
                        rampConcurrentUsers(0).to(users).during(rampUp),
                        constantConcurrentUsers(users).during(duration)),
                monitor.injectOpen(atOnceUsers(1)))
                .protocols(Target.http())
                .assertions(
                        global().failedRequests().count().is(0L),
                        details("memory growth").failedRequests().count().is(0L),
                        details("stream").responseTime().percentile(95).lt(maxWaitMs),
                        details("first event").responseTime().percentile(95).lt(maxTtftMs));
    }
}
