/*
 * Burst from one address, steady traffic from many: vgate's per-address rate limit must hold the bursting address
 * to its budget (bucket size + sustained rate x time) and answer the rest 429 with Retry-After, while every other
 * address is served as if nothing happened.
 *
 * Two populations run at once (small non-streaming chat completions):
 *   "many addresses"  burst.addresses distinct client addresses, each sending burst.perAddressRate req/s (below the
 *                     limit) for burst.duration: none of them may get a 429.
 *   "hot address"     one address sending burst.hotRate req/s (far above the limit) for burst.hotDuration, starting
 *                     burst.hotDelay into the run.
 * Client addresses travel in X-Forwarded-For (10.1.x.y for the many, 192.0.2.1 for the hot one). vgate believes
 * X-Forwarded-For only from a trusted proxy, so the load generator's address must be in
 * vgate.rate-limit.trusted-proxies (run.sh starts vgate with 127.0.0.1/32: on one machine, that is how "many
 * addresses" are simulated). Against a deployment that does not trust you, set burst.forwardedFor=false and
 * burst.addresses=0: every request then comes from your own address, and only the hot part is meaningful.
 *
 * Checks: "many addresses" must answer 200. "hot address" answers 200, or 429 with Retry-After >= 1 s and an
 * OpenAI-shaped error of type rate_limit_error, code rate_limit_exceeded; anything else (another status, a 429
 * without them) crashes the run (support/Rejections.java). The hot address's 429s are counted as KO: that is the
 * limit at work, and its size is what the assertions measure.
 * Assertions: "many addresses" has no KO; "hot address" gets between 90 % and 110 % of
 * burst.limitBurst + burst.limitRate x burst.hotDuration requests accepted, and at least one 429.
 *
 * Parameters (system property / environment variable: default):
 *   vgate.url, vgate.apiKey, vgate.model        the target (see support/Target.java)
 *   burst.addresses      / BURST_ADDRESSES        50     distinct well-behaved client addresses
 *   burst.perAddressRate / BURST_PER_ADDRESS_RATE 2      requests per second from each of them
 *   burst.duration       / BURST_DURATION         20s    how long the many addresses send
 *   burst.hotRate        / BURST_HOT_RATE         50     requests per second from the hot address
 *   burst.hotDelay       / BURST_HOT_DELAY        5s     when the hot address starts
 *   burst.hotDuration    / BURST_HOT_DURATION     10s    how long it sends
 *   burst.limitRate      / BURST_LIMIT_RATE       10     vgate.rate-limit.per-ip.requests-per-second of the target
 *   burst.limitBurst     / BURST_LIMIT_BURST      20     vgate.rate-limit.per-ip.burst of the target
 *   burst.forwardedFor   / BURST_FORWARDED_FOR    true   send X-Forwarded-For
 *   burst.maxTokens      / BURST_MAX_TOKENS       4      answer length
 *
 * Run: load-tests/run.sh RateLimitBurst
 */
package io.vgate.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;
import io.vgate.load.support.Bodies;
import io.vgate.load.support.Params;
import io.vgate.load.support.Rejections;
import io.vgate.load.support.Target;

public class RateLimitBurst extends Simulation {

    private final int addresses = Params.integer("burst.addresses", 50);
    private final double perAddressRate = Params.decimal("burst.perAddressRate", 2);
    private final Duration duration = Params.duration("burst.duration", "20s");
    private final double hotRate = Params.decimal("burst.hotRate", 50);
    private final Duration hotDelay = Params.duration("burst.hotDelay", "5s");
    private final Duration hotDuration = Params.duration("burst.hotDuration", "10s");
    private final double limitRate = Params.decimal("burst.limitRate", 10);
    private final double limitBurst = Params.decimal("burst.limitBurst", 20);
    private final boolean forwardedFor = Params.flag("burst.forwardedFor", true);
    private final String body = Bodies.chat("Say hello.", Params.integer("burst.maxTokens", 4), false);
    private final AtomicLong next = new AtomicLong();

    private HttpRequestActionBuilder request(String name) {
        HttpRequestActionBuilder r = http(name).post("/v1/chat/completions").body(StringBody(body));
        return forwardedFor ? r.header("X-Forwarded-For", "#{address}") : r;
    }

    private final ScenarioBuilder many = scenario("many addresses")
            .exec(session -> session.set("address", manyAddress(next.getAndIncrement() % Math.max(1, addresses))))
            .exec(request("many addresses").check(status().is(200)));

    private final ScenarioBuilder hot = scenario("hot address")
            .exec(session -> session.set("address", "192.0.2.1"))
            .exec(Rejections.counted(request("hot address"), 429, "rate_limit_error", "rate_limit_exceeded"));

    private static String manyAddress(long i) {
        return "10.1." + (i / 250) + "." + (i % 250 + 1);
    }

    {
        double expected = limitBurst + limitRate * hotDuration.toMillis() / 1000.0;
        var setUp = addresses > 0
                ? setUp(many.injectOpen(constantUsersPerSec(addresses * perAddressRate).during(duration)),
                        hot.injectOpen(nothingFor(hotDelay), constantUsersPerSec(hotRate).during(hotDuration)))
                : setUp(hot.injectOpen(nothingFor(hotDelay), constantUsersPerSec(hotRate).during(hotDuration)));
        var assertions = new java.util.ArrayList<io.gatling.javaapi.core.Assertion>();
        assertions.add(details("hot address").successfulRequests().count().between((long) Math.floor(expected * 0.9),
                (long) Math.ceil(expected * 1.1) + 1));
        assertions.add(details("hot address").failedRequests().count().gt(0L));
        if (addresses > 0) {
            assertions.add(details("many addresses").failedRequests().count().is(0L));
        }
        setUp.protocols(Target.http()).assertions(assertions);
    }
}
