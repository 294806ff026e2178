/*
 * Mixed tenants and priorities under contention: one tenant floods the GPU, a batch tenant keeps it busy with
 * background work, and quiet interactive tenants chat now and then. vgate's admission queue is fair across tenants
 * (weighted round robin) and strict across priority classes, so the quiet tenants must be served about as if the
 * flood were not there, the flooder gets its share of the slots and 503s for the rest, and the batch tenant yields.
 *
 * Populations (each with its own API key, so its own tenant and priority class):
 *   flood           mixed.floodTenant (interactive): mixed.floodRate non-streaming requests per second, an open
 *                   loop (it never waits for answers), for mixed.duration. Several times what the GPU can take.
 *   batch           mixed.batchTenant (priority batch): mixed.batchUsers users sending non-streaming requests back
 *                   to back for mixed.duration; a refused user waits the Retry-After it was given, as a batch
 *                   client should.
 *   quiet           every tenant of mixed.quietTenants (interactive): mixed.quietUsers users each, starting
 *                   mixed.lead after the flood (so they meet a full queue), each asking streamed questions with
 *                   mixed.thinkTime (uniform 0.5x to 1.5x) between them until mixed.duration ends.
 * Every request asks for exactly mixed.maxTokens tokens.
 *
 * Gatling's names: "<tenant> stream" (sending -> response head: the wait for admission), "<tenant> first event"
 * (response head -> first token), "<tenant> usage", "<tenant> [DONE]" for the quiet tenants (support/Streams.java);
 * "<tenant>" for the flood and batch requests.
 * Checks: flood and batch requests answer 200, or 503 with Retry-After >= 1 s and an OpenAI-shaped server_error
 * queue_full / queue_timeout / queue_shed, counted as KO; any other answer crashes the run (support/Rejections.java).
 * Assertions:
 *   - each quiet tenant: no request refused or failed, and p95 wait for admission ("<tenant> stream") under
 *     mixed.maxQuietWaitMs (a FIFO queue would make them wait behind the flood's backlog, up to max-queue-wait, or
 *     refuse them with queue_full);
 *   - the flooder: some requests refused (it was over its share) and some served (fairness is not starvation);
 *   - the batch tenant: some requests refused or shed (it yields to interactive traffic under contention).
 *
 * The local stack (run.sh) is a simulator with max-num-seqs 8 behind vgate with max-in-flight 8, max-queue 32 and
 * max-queue-wait 5s, and an API keys file with team-a, team-b, flood (interactive) and nightly (batch). For 32-token
 * answers the GPU then completes about 6 requests per second, so the default flood is about 3x its capacity.
 * Against a deployment: its keys file must give the batch tenant priority batch, and the load generator's address
 * must be allowed the total request rate (vgate.rate-limit.per-ip.*), or the flood is throttled with 429s instead
 * of being queued (which this scenario treats as an error).
 *
 * Parameters (system property / environment variable: default):
 *   vgate.url, vgate.model                          the target (see support/Target.java)
 *   tenants.keys        / TENANTS_KEYS       (required) API keys as tenant=key,tenant=key,... for every tenant below
 *   mixed.quietTenants  / MIXED_QUIET_TENANTS   team-a,team-b   the quiet interactive tenants
 *   mixed.floodTenant   / MIXED_FLOOD_TENANT    flood           the flooding interactive tenant
 *   mixed.batchTenant   / MIXED_BATCH_TENANT    nightly         the batch-priority tenant
 *   mixed.duration      / MIXED_DURATION        60s             how long the flood and batch traffic run
 *   mixed.lead          / MIXED_LEAD            5s              head start of the flood before the quiet tenants
 *   mixed.floodRate     / MIXED_FLOOD_RATE      20              flood requests per second
 *   mixed.batchUsers    / MIXED_BATCH_USERS     4               concurrent batch requests
 *   mixed.quietUsers    / MIXED_QUIET_USERS     2               concurrent users per quiet tenant
 *   mixed.thinkTime     / MIXED_THINK_TIME      1s              mean pause between a quiet user's questions
 *   mixed.maxTokens     / MIXED_MAX_TOKENS      32              answer length
 *   mixed.maxQuietWaitMs / MIXED_MAX_QUIET_WAIT_MS 2500         assertion bound on the quiet tenants' p95 wait
 *   mixed.timeout       / MIXED_TIMEOUT         120s            longest wait for an answer
 *
 * Run: load-tests/run.sh MixedTenants [-Dmixed.duration=30s ...]
 *      VGATE_URL=https://vgate.example.com TENANTS_KEYS=team-a=sk-1,team-b=sk-2,flood=sk-3,nightly=sk-4 \
 *          load-tests/run.sh MixedTenants
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.Params;
import io.vgate.load.support.Rejections;
import io.vgate.load.support.Streams;
import io.vgate.load.support.Target;

public class MixedTenants extends Simulation {

    private final Map<String, String> keys = parseKeys(Params.string("tenants.keys", null));
    private final List<String> quietTenants = List.of(Params.string("mixed.quietTenants", "team-a,team-b").split(","));
    private final String floodTenant = Params.string("mixed.floodTenant", "flood");
    private final String batchTenant = Params.string("mixed.batchTenant", "nightly");
    private final Duration duration = Params.duration("mixed.duration", "60s");
    private final Duration lead = Params.duration("mixed.lead", "5s");
    private final double floodRate = Params.decimal("mixed.floodRate", 20);
    private final int batchUsers = Params.integer("mixed.batchUsers", 4);
    private final int quietUsers = Params.integer("mixed.quietUsers", 2);
    private final Duration think = Params.duration("mixed.thinkTime", "1s");
    private final int maxTokens = Params.integer("mixed.maxTokens", 32);
    private final int maxQuietWaitMs = Params.integer("mixed.maxQuietWaitMs", 2500);
    private final Duration timeout = Params.duration("mixed.timeout", "120s");
    private final AtomicLong questions = new AtomicLong();

    private static Map<String, String> parseKeys(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("set tenants.keys (TENANTS_KEYS) to tenant=key,tenant=key,...");
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String pair : spec.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("tenants.keys: expected tenant=key, got " + pair);
            }
            keys.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return keys;
    }

    private String key(String tenant) {
        String key = keys.get(tenant);
        if (key == null) {
            throw new IllegalArgumentException("tenants.keys has no key for tenant " + tenant);
        }
        return key;
    }

    private HttpRequestActionBuilder nonStreaming(String tenant) {
        return http(tenant).post("/v1/chat/completions")
                .body(StringBody(session -> Bodies.chat(Bodies.prompt(32, questions.incrementAndGet()), maxTokens,
                        false)))
                .requestTimeout(timeout);
    }

    private PopulationBuilder flood() {
        ScenarioBuilder s = scenario(floodTenant)
                .exec(Rejections.counted(nonStreaming(floodTenant), 503, "server_error", Rejections.QUEUE_CODES));
        return s.injectOpen(constantUsersPerSec(floodRate).during(duration)).protocols(Target.http(key(floodTenant)));
    }

    private PopulationBuilder batch() {
        ScenarioBuilder s = scenario(batchTenant).during(duration).on(
                Rejections.counted(nonStreaming(batchTenant), true, 503, "server_error", Rejections.QUEUE_CODES));
        return s.injectOpen(atOnceUsers(batchUsers)).protocols(Target.http(key(batchTenant)));
    }

    private PopulationBuilder quiet(String tenant) {
        String prefix = tenant + " ";
        ScenarioBuilder s = scenario(tenant).during(duration.minus(lead)).on(pauseThenAsk(prefix));
        return s.injectOpen(nothingFor(lead), atOnceUsers(quietUsers)).protocols(Target.http(key(tenant)));
    }

    private ChainBuilder pauseThenAsk(String prefix) {
        return pause(think.dividedBy(2), think.multipliedBy(3).dividedBy(2))
                .exec(Streams.chat(prefix, session -> Bodies.chat(Bodies.prompt(32, questions.incrementAndGet()),
                        maxTokens, true), maxTokens, false, timeout));
    }

    {
        List<PopulationBuilder> populations = new ArrayList<>();
        List<Assertion> assertions = new ArrayList<>();
        populations.add(flood());
        populations.add(batch());
        for (String tenant : quietTenants) {
            populations.add(quiet(tenant));
            String prefix = tenant + " ";
            assertions.add(details(prefix + "stream").failedRequests().count().is(0L));
            assertions.add(details(prefix + "stream").successfulRequests().count().gt(0L));
            assertions.add(details(prefix + "first event").failedRequests().count().is(0L));
            assertions.add(details(prefix + "usage").failedRequests().count().is(0L));
            assertions.add(details(prefix + "[DONE]").failedRequests().count().is(0L));
            assertions.add(details(prefix + "stream").responseTime().percentile(95).lt(maxQuietWaitMs));
        }
        assertions.add(details(floodTenant).failedRequests().count().gt(0L));
        assertions.add(details(floodTenant).successfulRequests().count().gt(0L));
        assertions.add(details(batchTenant).failedRequests().count().gt(0L));
        setUp(populations).assertions(assertions);
    }
}
