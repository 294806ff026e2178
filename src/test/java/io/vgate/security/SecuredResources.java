package io.vgate.security;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vgate.testing.RedisServer;
import java.util.Map;

/**
 * Starts what the secured application needs before it boots: a real {@code redis-server} on a free
 * loopback port, the keys file and the JWT key pair; stops Redis afterwards.
 */
public class SecuredResources implements QuarkusTestResourceLifecycleManager {

    private RedisServer redis;

    @Override
    public Map<String, String> start() {
        SecuredFixture.writeFiles();
        redis = RedisServer.start(SecuredFixture.REDIS_DIR);
        return Map.of(
                "quarkus.redis.hosts", redis.url(),
                "vgate.auth.keys-file", SecuredFixture.KEYS_FILE.toString());
    }

    @Override
    public void stop() {
        if (redis != null) {
            // A test may have restarted it; the recorded pid is the live one.
            RedisServer.attach(SecuredFixture.REDIS_DIR).stop();
        }
    }
}
