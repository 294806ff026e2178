package io.vgate.auth;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vgate.metrics.MetricNames;
import io.vgate.shaping.PriorityClasses;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The API keys vgate accepts, read from {@code vgate.auth.keys-file} and re-read when it changes.
 * <p>
 * The file is checked every {@code vgate.auth.reload-interval} on a worker thread by comparing a digest
 * of its content. Reading the path afresh each time follows Kubernetes' Secret updates, which swap a
 * {@code ..data} symlink rather than writing the file in place, and which a watch on the file itself
 * would miss. A file that fails to parse never replaces a good one: the previous keys stay in force and
 * the failure is logged once and counted ({@code vgate_auth_keys_reloads_total{result="failure"}}).
 * <p>
 * At start-up a missing or broken file fails the start, so a misconfigured replica never turns everyone
 * away while reporting ready.
 */
@Singleton
public class ApiKeyStore {

    private final PriorityClasses classes;

    private static final Logger LOG = Logger.getLogger(ApiKeyStore.class);

    private final AuthConfig config;
    private final Vertx vertx;
    private final Counter reloadSuccess;
    private final Counter reloadFailure;
    private final Map<KeyDigest, ApiKey> devKeys;

    private volatile Map<KeyDigest, ApiKey> keys = Map.of();
    private byte[] loadedContentDigest;
    private byte[] failedContentDigest;
    private boolean missingReported;
    private long timerId = -1;

    public ApiKeyStore(AuthConfig config, PriorityClasses classes, Vertx vertx, MeterRegistry registry) {
        this.classes = classes;
        this.config = config;
        this.vertx = vertx;
        this.devKeys = devKeys(config, classes);
        Gauge.builder(MetricNames.AUTH_KEYS_LOADED, this, store -> store.keys.size())
                .description("API keys vgate currently accepts")
                .register(registry);
        this.reloadSuccess = Counter.builder(MetricNames.AUTH_KEY_RELOADS)
                .tag(MetricNames.RESULT, "success")
                .description("Reads of a changed keys file, by result")
                .register(registry);
        this.reloadFailure = Counter.builder(MetricNames.AUTH_KEY_RELOADS)
                .tag(MetricNames.RESULT, "failure")
                .description("Reads of a changed keys file, by result")
                .register(registry);
    }

    /** The key whose SHA-256 digest equals that of {@code presented}, if any. */
    public Optional<Caller> lookup(String presented) {
        ApiKey key = keys.get(KeyDigest.of(presented));
        return key == null ? Optional.empty() : Optional.of(key.caller());
    }

    /** Number of keys in force. */
    public int size() {
        return keys.size();
    }

    void start(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        Optional<Path> file = config.keysFile();
        if (file.isEmpty()) {
            keys = devKeys;
            return;
        }
        try {
            byte[] content = Files.readAllBytes(file.get());
            install(KeyFile.parse(content, classes), sha256(content));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException(
                    "Cannot load the API keys file " + file.get() + " (vgate.auth.keys-file): " + describe(e),
                    e instanceof IllegalArgumentException ? null : e);
        }
        LOG.infof("Loaded %d API keys from %s", keys.size() - devKeys.size(), file.get());
        long interval = Math.max(1, config.reloadInterval().toMillis());
        timerId = vertx.setPeriodic(
                interval,
                interval,
                id -> vertx.executeBlocking(
                        () -> {
                            reload(file.get());
                            return null;
                        },
                        false));
    }

    void stop(@Observes ShutdownEvent event) {
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
    }

    /** Re-reads the file if its content changed; runs on a worker thread, one call at a time. */
    synchronized void reload(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            if (!missingReported) {
                missingReported = true;
                reloadFailure.increment();
                LOG.errorf(
                        "Cannot read the API keys file %s (%s); the %d keys loaded before stay in force",
                        file, describe(e), keys.size());
            }
            return;
        }
        missingReported = false;
        byte[] digest = sha256(content);
        if (MessageDigest.isEqual(digest, loadedContentDigest) || MessageDigest.isEqual(digest, failedContentDigest)) {
            return;
        }
        try {
            install(KeyFile.parse(content, classes), digest);
        } catch (IllegalArgumentException e) {
            failedContentDigest = digest;
            reloadFailure.increment();
            LOG.errorf(
                    "The changed API keys file %s is invalid (%s); the %d keys loaded before stay in force",
                    file, e.getMessage(), keys.size());
            return;
        }
        reloadSuccess.increment();
        LOG.infof("Reloaded %d API keys from %s", keys.size() - devKeys.size(), file);
    }

    private void install(Map<KeyDigest, ApiKey> fromFile, byte[] contentDigest) {
        if (devKeys.isEmpty()) {
            keys = fromFile;
        } else {
            var merged = new HashMap<>(fromFile);
            merged.putAll(devKeys);
            keys = Map.copyOf(merged);
        }
        loadedContentDigest = contentDigest;
        failedContentDigest = null;
    }

    private static Map<KeyDigest, ApiKey> devKeys(AuthConfig config, PriorityClasses classes) {
        if (config.devKey().isEmpty() || config.devKey().get().isBlank()) {
            return Map.of();
        }
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            LOG.warn("vgate.auth.dev-key is ignored outside dev and test mode");
            return Map.of();
        }
        // The dev key may do everything, LoRA administration included, so dev mode can try every route.
        var caller = new Caller("dev", "dev", classes.defaultClass(), Limits.DEFAULTS, "key:dev", Role.ADMIN, null);
        KeyDigest digest = KeyDigest.of(config.devKey().get());
        return Map.of(digest, new ApiKey(caller, digest));
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
