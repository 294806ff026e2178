package io.vgate.testing;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} ({@link RedisServer}, on a free loopback port) with a Vert.x Redis client connected to
 * it, for tests of a Redis-backed store on its own, without Quarkus. Registered as a JUnit extension on a static
 * field, it starts before the class's tests and stops after them:
 * {@code @RegisterExtension static final LocalRedis redis = LocalRedis.in(dir);}.
 */
public final class LocalRedis implements BeforeAllCallback, AfterAllCallback {

    private final Path dir;
    private RedisServer server;
    private Vertx vertx;
    private Redis client;

    private LocalRedis(Path dir) {
        this.dir = dir;
    }

    /** A server whose files go to {@code dir}; started by JUnit before the tests. */
    public static LocalRedis in(Path dir) {
        return new LocalRedis(dir);
    }

    /** Starts the server, waits until it answers, then connects a client. */
    @Override
    public void beforeAll(ExtensionContext context) {
        server = RedisServer.start(dir);
        vertx = Vertx.vertx();
        client = Redis.createClient(vertx, server.url());
    }

    /** Closes the client and its Vert.x (waiting up to 10 s), then stops the server. */
    @Override
    public void afterAll(ExtensionContext context) {
        client.close();
        vertx.close()
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
        server.stop();
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
}
