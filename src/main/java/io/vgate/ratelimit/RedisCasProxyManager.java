package io.vgate.ratelimit;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AbstractCompareAndSwapBasedProxyManager;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AsyncCompareAndSwapOperation;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.CompareAndSwapOperation;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import io.github.bucket4j.redis.consts.LuaScripts;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Bucket4j's compare-and-swap proxy manager for Redis, on the Quarkus (Vert.x) Redis client instead of
 * Lettuce: the same protocol as Bucket4j's own Lettuce integration (read the bucket with {@code GET},
 * write it back with Bucket4j's Lua compare-and-swap scripts, keys expiring once the bucket would be
 * full), but non-blocking on Vert.x's event loops, with no second network stack and no extra threads.
 * <p>
 * Async only: the data path never waits for Redis on a thread.
 */
final class RedisCasProxyManager extends AbstractCompareAndSwapBasedProxyManager<String> {

    private final Redis redis;
    private final Vertx vertx;
    private final long timeoutMillis;
    private final ExpirationAfterWriteStrategy expiration;

    RedisCasProxyManager(Redis redis, Vertx vertx, long timeoutMillis, ExpirationAfterWriteStrategy expiration) {
        super(ClientSideConfig.getDefault());
        this.redis = redis;
        this.vertx = vertx;
        this.timeoutMillis = timeoutMillis;
        this.expiration = expiration;
    }

    @Override
    public boolean isAsyncModeSupported() {
        return true;
    }

    @Override
    protected CompareAndSwapOperation beginCompareAndSwapOperation(String key) {
        throw new UnsupportedOperationException("vgate uses Redis buckets asynchronously only");
    }

    @Override
    public void removeProxy(String key) {
        throw new UnsupportedOperationException("vgate uses Redis buckets asynchronously only");
    }

    @Override
    protected CompletableFuture<Void> removeAsync(String key) {
        return send(Request.cmd(Command.DEL).arg(key), response -> null);
    }

    @Override
    protected AsyncCompareAndSwapOperation beginAsyncCompareAndSwapOperation(String key) {
        return new AsyncCompareAndSwapOperation() {
            @Override
            public CompletableFuture<Optional<byte[]>> getStateData(Optional<Long> timeoutNanos) {
                return send(
                        Request.cmd(Command.GET).arg(key),
                        response -> Optional.ofNullable(response == null ? null : response.toBytes()));
            }

            @Override
            public CompletableFuture<Boolean> compareAndSwap(
                    byte[] originalData, byte[] newData, RemoteBucketState newState, Optional<Long> timeoutNanos) {
                long ttlMillis = expiration.calculateTimeToLiveMillis(newState, currentTimeNanos());
                Request request = Request.cmd(Command.EVAL);
                if (ttlMillis > 0) {
                    if (originalData == null) {
                        request.arg(LuaScripts.SCRIPT_SET_NX_PX)
                                .arg(1)
                                .arg(key)
                                .arg(newData)
                                .arg(encode(ttlMillis));
                    } else {
                        request.arg(LuaScripts.SCRIPT_COMPARE_AND_SWAP_PX)
                                .arg(1)
                                .arg(key)
                                .arg(originalData)
                                .arg(newData)
                                .arg(encode(ttlMillis));
                    }
                } else if (originalData == null) {
                    request.arg(LuaScripts.SCRIPT_SET_NX).arg(1).arg(key).arg(newData);
                } else {
                    request.arg(LuaScripts.SCRIPT_COMPARE_AND_SWAP)
                            .arg(1)
                            .arg(key)
                            .arg(originalData)
                            .arg(newData);
                }
                return send(request, response -> response != null && response.toLong() == 1L);
            }
        };
    }

    /** Pings Redis; the future fails when Redis does not answer within {@code timeoutMillis}. */
    CompletableFuture<Response> ping(long timeoutMillis) {
        return send(Request.cmd(Command.PING), Function.identity(), timeoutMillis);
    }

    private <T> CompletableFuture<T> send(Request request, Function<Response, T> read) {
        return send(request, read, timeoutMillis);
    }

    private <T> CompletableFuture<T> send(Request request, Function<Response, T> read, long timeoutMillis) {
        var result = new CompletableFuture<T>();
        long timer = vertx.setTimer(
                timeoutMillis,
                id -> result.completeExceptionally(
                        new TimeoutException("Redis did not answer in " + timeoutMillis + " ms")));
        redis.send(request).onComplete(answer -> {
            vertx.cancelTimer(timer);
            if (answer.failed()) {
                result.completeExceptionally(answer.cause());
                return;
            }
            try {
                result.complete(read.apply(answer.result()));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private static byte[] encode(long value) {
        return Long.toString(value).getBytes(StandardCharsets.UTF_8);
    }
}
