package io.vgate.responses;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vgate.api.ApiException;
import io.vgate.testing.LocalRedis;
import io.vgate.testing.RedisServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stored response belongs to the tenant that created it: another tenant's requests about it are refused
 * exactly as vLLM refuses an unknown id; with the shared store, replicas agree on owners and a follow-up for
 * another replica's response is sent there.
 */
class ResponseLedgerTests {

    private static final Path DIR = Path.of("target", "response-ledger-test").toAbsolutePath();

    @RegisterExtension
    static final LocalRedis redis = LocalRedis.in(DIR);

    @Test
    void theCreatorsFollowUpsStayHereAndAnotherTenantsGetVllmsOwn404() {
        ResponseLedger ledger = ledger(ResponsesConfig.Store.LOCAL, null, null);

        assertThat(await(ledger.record("resp_a1", "team-a"))).isTrue();

        assertThat(await(ledger.followUp("resp_a1", "team-a"))).isEqualTo(FollowUp.HERE);
        ApiException refused = refusal(ledger.followUp("resp_a1", "team-b"));
        ApiException unknown = refusal(ledger.followUp("resp_never", "team-b"));
        assertThat(refused.error().status()).isEqualTo(404);
        assertThat(refused.error().message()).isEqualTo("Response with id 'resp_a1' not found.");
        assertThat(refused.error().param()).isEqualTo("response_id");
        assertThat(refused.error().type()).isEqualTo(unknown.error().type());
        assertThat(refused.error().code()).isEqualTo(unknown.error().code());
    }

    @Test
    void theFirstOwnerOfAnIdIsKept() {
        ResponseLedger ledger = ledger(ResponsesConfig.Store.LOCAL, null, null);

        assertThat(await(ledger.record("resp_b1", "team-a"))).isTrue();
        assertThat(await(ledger.record("resp_b1", "team-b")))
                .as("a second creator of the same id")
                .isFalse();

        assertThat(await(ledger.followUp("resp_b1", "team-a"))).isEqualTo(FollowUp.HERE);
        assertThat(refusal(ledger.followUp("resp_b1", "team-b")).error().status())
                .isEqualTo(404);
    }

    @Test
    void aNewResponseGetsAFreshIdOrTheClientsOwnWhenNoOneElseHoldsIt() {
        ResponseLedger ledger = ledger(ResponsesConfig.Store.LOCAL, null, null);

        String fresh = await(ledger.claim(null, "team-a"));
        String another = await(ledger.claim(null, "team-a"));
        assertThat(fresh).matches("resp_[0-9a-f]{32}").isNotEqualTo(another);
        assertThat(await(ledger.followUp(fresh, "team-a"))).isEqualTo(FollowUp.HERE);

        assertThat(await(ledger.claim("my-conversation-1", "team-a"))).isEqualTo("my-conversation-1");
        assertThat(await(ledger.claim("my-conversation-1", "team-a")))
                .as("the same caller again")
                .isEqualTo("my-conversation-1");
        ApiException taken = refusal(ledger.claim("my-conversation-1", "team-b"));
        assertThat(taken.error().status()).isEqualTo(400);
        assertThat(taken.error().param()).isEqualTo("request_id");
        assertThat(refusal(ledger.followUp("my-conversation-1", "team-b"))
                        .error()
                        .status())
                .isEqualTo(404);
    }

    @Test
    void withoutAuthenticationEveryCallerIsTheSameTenant() {
        ResponseLedger ledger = ledger(ResponsesConfig.Store.LOCAL, null, null);

        await(ledger.record("resp_c1", null));

        assertThat(await(ledger.followUp("resp_c1", null))).isEqualTo(FollowUp.HERE);
    }

    @Test
    void replicasSharingRedisAgreeOnOwnersAndSendFollowUpsToTheOwningReplica() {
        String key = "shared-secret";
        ResponseLedger first = ledger(ResponsesConfig.Store.REDIS, "http://10.0.0.1:8080", key);
        ResponseLedger second = ledger(ResponsesConfig.Store.REDIS, "http://10.0.0.2:8080", key);

        assertThat(await(first.record("resp_d1", "team-a"))).isTrue();

        assertThat(await(first.followUp("resp_d1", "team-a"))).isEqualTo(FollowUp.HERE);
        FollowUp elsewhere = await(second.followUp("resp_d1", "team-a"));
        assertThat(elsewhere.forwarded()).isTrue();
        assertThat(elsewhere.replica()).isEqualTo("http://10.0.0.1:8080");
        assertThat(refusal(second.followUp("resp_d1", "team-b")).error().status())
                .as("another tenant, on any replica")
                .isEqualTo(404);
    }

    @Test
    void aSharedStoreThatCannotBeReadRefusesWith503InsteadOfGuessing() {
        // A loopback port nothing listens on: picked free, then left closed.
        Redis unreachable = Redis.createClient(redis.vertx(), "redis://127.0.0.1:" + RedisServer.freePort());
        try {
            ResponseLedger ledger = new ResponseLedger(
                    config(ResponsesConfig.Store.REDIS, "http://10.0.0.1:8080", "k"),
                    instance(unreachable),
                    redis.vertx());

            ApiException refused = refusal(ledger.followUp("resp_e1", "team-a"));
            assertThat(refused.error().status()).isEqualTo(503);
            assertThat(refused.error().retryAfter()).isPositive();
            assertThat(await(ledger.record("resp_e1", "team-a")))
                    .as("an owner that could not be recorded")
                    .isFalse();
        } finally {
            unreachable.close();
        }
    }

    private static ResponseLedger ledger(ResponsesConfig.Store store, String self, String secret) {
        return new ResponseLedger(config(store, self, secret), instance(redis.client()), redis.vertx());
    }

    private static Supplier<Redis> instance(Redis redis) {
        return () -> redis;
    }

    private static <T> T await(Future<T> future) {
        return future.toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
    }

    private static ApiException refusal(Future<?> future) {
        Throwable failure = future.toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .handle((value, error) -> error)
                .join();
        assertThat(failure).as("refused").isNotNull();
        Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
        assertThat(cause).isInstanceOf(ApiException.class);
        return (ApiException) cause;
    }

    static ResponsesConfig config(ResponsesConfig.Store store, String self, String secret) {
        return new ResponsesConfig() {
            @Override
            public Store store() {
                return store;
            }

            @Override
            public Duration ttl() {
                return Duration.ofHours(1);
            }

            @Override
            public int maxLocalEntries() {
                return 1000;
            }

            @Override
            public String keyPrefix() {
                return "vgate-test:resp:";
            }

            @Override
            public Duration redisTimeout() {
                return Duration.ofSeconds(2);
            }

            @Override
            public Replica replica() {
                return new Replica() {
                    @Override
                    public Optional<URI> address() {
                        return Optional.ofNullable(self).map(URI::create);
                    }

                    @Override
                    public Optional<String> host() {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<String> secret() {
                        return Optional.ofNullable(secret);
                    }

                    @Override
                    public Duration maxSkew() {
                        return Duration.ofSeconds(30);
                    }

                    @Override
                    public Duration forwardTimeout() {
                        return Duration.ofSeconds(30);
                    }
                };
            }
        };
    }
}
