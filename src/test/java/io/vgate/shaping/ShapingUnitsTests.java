package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vertx.core.net.SocketAddress;
import io.vgate.shaping.ExchangeTimeouts.Deadline;
import io.vgate.shaping.ExchangeTimeouts.Limit;
import io.vgate.shaping.ExchangeTimeouts.Limits;
import io.vgate.testing.Json;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The small pure parts of shaping: which timeout applies when, the drain rate behind Retry-After, which
 * turns trimming may drop, and who counts as a trusted caller.
 */
class ShapingUnitsTests {

    private static final long S = 1_000_000_000L;
    private static final Limits LIMITS = new Limits(60 * S, 30 * S, 600 * S, 0);

    @Test
    void aStreamWaitsForItsFirstTokenFromWhenItWasSent() {
        assertThat(LIMITS.next(100 * S, 90 * S, true, 0, 0)).isEqualTo(new Deadline(Limit.FIRST_TOKEN, 160 * S));
    }

    @Test
    void aStreamThatHasBegunMayOnlyStaySilentForTheIdleLimit() {
        assertThat(LIMITS.next(100 * S, 90 * S, true, 12, 500 * S)).isEqualTo(new Deadline(Limit.IDLE, 530 * S));
    }

    @Test
    void aLongHealthyStreamHasNoOverallDeadline() {
        // Two hours in, still producing: the next deadline is only the idle one.
        long lastEvent = 100 * S + 7200 * S;
        assertThat(LIMITS.next(100 * S, 90 * S, true, 100_000, lastEvent).limit())
                .isEqualTo(Limit.IDLE);
    }

    @Test
    void aNonStreamingRequestWaitsForItsWholeAnswer() {
        assertThat(LIMITS.next(100 * S, 90 * S, false, 0, 0)).isEqualTo(new Deadline(Limit.NON_STREAMING, 700 * S));
    }

    @Test
    void theOptionalTotalCapWinsWhenItComesFirst() {
        var capped = new Limits(60 * S, 30 * S, 600 * S, 120 * S);

        assertThat(capped.next(100 * S, 90 * S, true, 5, 200 * S)).isEqualTo(new Deadline(Limit.TOTAL, 210 * S));
        assertThat(capped.next(100 * S, 90 * S, true, 0, 0)).isEqualTo(new Deadline(Limit.FIRST_TOKEN, 160 * S));
    }

    @Test
    void aModelListWithoutADefaultModelLeavesARequestNamingNoModelUnfitted() {
        var empty = ModelCatalog.parse(Json.parse("{\"object\":\"list\",\"data\":[]}"));
        var adaptersOnly = ModelCatalog.parse(Json.parse("""
                {"object":"list","data":[{"id":"sql-lora","parent":"llama","max_model_len":null}]}"""));

        assertThat(ModelCatalog.lengthOf(empty, null)).isNull();
        assertThat(ModelCatalog.lengthOf(adaptersOnly, null)).isNull();
        assertThat(ModelCatalog.lengthOf(adaptersOnly, "sql-lora")).isNull();
    }

    @Test
    void anAdapterGetsItsBaseModelsContextLengthAndNoModelMeansTheBase() {
        var list = ModelCatalog.parse(Json.parse("""
                {"object":"list","data":[
                  {"id":"llama","parent":null,"max_model_len":8192},
                  {"id":"sql-lora","parent":"llama","max_model_len":null}]}"""));

        assertThat(ModelCatalog.lengthOf(list, null)).isEqualTo(8192);
        assertThat(ModelCatalog.lengthOf(list, "sql-lora")).isEqualTo(8192);
        assertThat(ModelCatalog.lengthOf(list, "other")).isNull();
    }

    @Test
    void drainRateCountsFinishedRequestsPerSecondOverTheWindow() {
        var rate = new DrainRate(0);
        for (int i = 0; i < 40; i++) {
            rate.mark(i * S / 4);
        }

        assertThat(rate.perSecond(10 * S - 1)).isCloseTo(4.0, within(0.001));
        // Twenty seconds later nothing finished in the window.
        assertThat(rate.perSecond(30 * S)).isZero();
    }

    @Test
    void drainRateOfAYoungProcessIsNotDiluted() {
        var rate = new DrainRate(0);
        rate.mark(S / 2);
        rate.mark(S);
        rate.mark(3 * S / 2);

        assertThat(rate.perSecond(2 * S)).isEqualTo(1.5);
    }

    @Test
    void trimmingMayDropEveryTurnBeforeTheLastUserMessageButNeverSystemMessages() {
        ArrayNode messages = (ArrayNode) Json.parse("""
                [{"role":"system","content":"s"},
                 {"role":"user","content":"u1"},{"role":"assistant","content":"a1"},
                 {"role":"developer","content":"d"},
                 {"role":"user","content":"u2"},{"role":"assistant","content":"a2"},{"role":"tool","content":"t2"},
                 {"role":"user","content":"u3"},{"role":"assistant","content":"prefill"}]""");

        List<int[]> turns = TrimSearch.droppableTurns(messages);

        assertThat(turns).containsExactly(new int[] {1, 2}, new int[] {4, 5, 6});
    }

    @Test
    void aConversationWithoutOlderTurnsHasNothingToTrim() {
        assertThat(TrimSearch.droppableTurns((ArrayNode) Json.parse("""
                [{"role":"system","content":"s"},{"role":"user","content":"only"}]"""))).isEmpty();
        assertThat(TrimSearch.droppableTurns((ArrayNode) Json.parse("""
                [{"role":"assistant","content":"greeting"}]"""))).isEmpty();
    }

    @Test
    void anAssistantGreetingBeforeTheFirstUserMessageIsATurnOfItsOwn() {
        List<int[]> turns = TrimSearch.droppableTurns((ArrayNode) Json.parse("""
                [{"role":"assistant","content":"hello"},{"role":"user","content":"u1"},
                 {"role":"assistant","content":"a1"},{"role":"user","content":"u2"}]"""));

        assertThat(turns).containsExactly(new int[] {0}, new int[] {1, 2});
    }

    @Test
    void onlyPeersInsideTheTrustedNetworksAreTrusted() {
        var classes = new PriorityClasses(List.of("interactive", "batch"));
        var callers = new TrustedCallers(List.of("10.1.0.0/16", "192.168.7.9", "fd00::/8"), false, classes);

        assertThat(callers.trusted(SocketAddress.inetSocketAddress(4000, "10.1.200.3")))
                .isTrue();
        assertThat(callers.trusted(SocketAddress.inetSocketAddress(4000, "192.168.7.9")))
                .isTrue();
        assertThat(callers.trusted(SocketAddress.inetSocketAddress(4000, "fd00::12")))
                .isTrue();
        assertThat(callers.trusted(SocketAddress.inetSocketAddress(4000, "10.2.0.1")))
                .isFalse();
        assertThat(callers.trusted(SocketAddress.inetSocketAddress(4000, "192.168.7.10")))
                .isFalse();
        assertThat(callers.trusted(null)).isFalse();
    }

    @Test
    void unknownPriorityClassesRankLowest() {
        var classes = new PriorityClasses(List.of("realtime", "interactive", "batch"));

        assertThat(classes.rank("realtime")).isZero();
        assertThat(classes.rank("batch")).isEqualTo(2);
        assertThat(classes.rank("Realtime")).isEqualTo(2);
        assertThat(classes.rank(null)).isEqualTo(2);
    }

    @Test
    void retryAfterIsRoundedUpToWholeSeconds() {
        assertThat(ShapingErrors.queueFull(Duration.ofMillis(1200)).retryAfterSeconds())
                .isEqualTo(2);
        assertThat(ShapingErrors.queueFull(Duration.ofMillis(10)).retryAfterSeconds())
                .isEqualTo(1);
    }
}
