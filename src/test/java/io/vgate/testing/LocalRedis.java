package io.vgate.testing;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} ({@link RedisServer}, on a free loopback port) with a Vert.x Redis client connected to
 * it, for tests of a Redis-backed store on its own, without Quarkus: start it in {@code @BeforeAll}, close it in
 * {@code @AfterAll}.
 */
public final class LocalRedis implements AutoCloseable {

    private final RedisServer server;
    private final Vertx vertx;
    private final Redis client;

    private LocalRedis(RedisServer server) {
        this.server = server;
        this.vertx = Vertx.vertx();
        this.client = Redis.createClient(vertx, server.url());
    }

    /** Starts a server whose files go to {@code dir} and waits until it answers; then connects a client. */
    public static LocalRedis start(Path dir) {
        return new LocalRedis(RedisServer.start(dir));
    }

    /** The server, e.g. to look at its keys. */
    public RedisServer server() {
        return server;
    }

    /** The Vert.x instance the client runs on. */
    public Vertx vertx() {
        return vertx;
    }

    /** The client connected to the server. */
    public Redis client() {
        return client;
    }

    /** Closes the client and its Vert.x (waiting up to 10 s), then stops the server. */
    @Override
    public void close() {
        client.close();
        vertx.close()
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
        server.stop();
    }
}
