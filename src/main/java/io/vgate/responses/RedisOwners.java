package io.vgate.responses;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * Owners in Redis, shared by every replica: one key per response id ({@code SET … NX PX ttl}), so the first
 * record wins and owners expire by themselves. Every command is bounded by
 * {@code vgate.responses.redis-timeout}; a failure is the caller's to handle (a follow-up whose owner cannot
 * be read is refused, never guessed).
 */
final class RedisOwners implements OwnerStore {

    private final Redis redis;
    private final Vertx vertx;
    private final String prefix;
    private final long ttlMillis;
    private final long timeoutMillis;

    RedisOwners(Redis redis, Vertx vertx, ResponsesConfig config) {
        this.redis = redis;
        this.vertx = vertx;
        this.prefix = config.keyPrefix();
        this.ttlMillis = Math.max(1, config.ttl().toMillis());
        this.timeoutMillis = Math.max(1, config.redisTimeout().toMillis());
    }

    @Override
    public Future<Boolean> putIfAbsent(String id, ResponseOwner owner) {
        Request set = Request.cmd(Command.SET)
                .arg(prefix + id)
                .arg(owner.encode())
                .arg("NX")
                .arg("PX")
                .arg(ttlMillis);
        return send(set).map(answer -> answer != null);
    }

    @Override
    public Future<ResponseOwner> get(String id) {
        return send(Request.cmd(Command.GET).arg(prefix + id))
                .map(answer -> answer == null ? null : ResponseOwner.decode(answer.toString()));
    }

    private Future<Response> send(Request request) {
        return redis.send(request).timeout(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
