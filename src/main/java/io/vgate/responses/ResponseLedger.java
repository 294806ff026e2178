package io.vgate.responses;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Records who created each stored response and decides where requests about it go. vLLM checks no owner,
 * so without this any caller who learns a response id could read another tenant's conversation or continue
 * it; and vLLM keeps stored responses in one process, so a follow-up that lands on another replica would get
 * 404. Each step returns its decision: {@link #record} whether the id was recorded, {@link #followUp} a
 * {@link FollowUp} or a 404 that is indistinguishable from vLLM's for an unknown id.
 */
@Singleton
public class ResponseLedger {

    private static final Logger LOG = Logger.getLogger(ResponseLedger.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final OwnerStore store;
    private final String self;
    private final ReplicaSignature signature;
    private final Duration forwardTimeout;

    @Inject
    public ResponseLedger(
            ResponsesConfig config,
            Instance<Redis> redis,
            Vertx vertx,
            @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080") int httpPort) {
        this(config, (Supplier<Redis>) redis::get, vertx, httpPort);
    }

    ResponseLedger(ResponsesConfig config, Supplier<Redis> redis, Vertx vertx) {
        this(config, redis, vertx, 8080);
    }

    ResponseLedger(ResponsesConfig config, Supplier<Redis> redis, Vertx vertx, int httpPort) {
        this.store = config.store() == ResponsesConfig.Store.REDIS
                ? new RedisOwners(redis.get(), vertx, config)
                : new LocalOwners(config);
        this.self = config.replica()
                .address()
                .map(Object::toString)
                .or(() -> config.replica()
                        .host()
                        .filter(host -> !host.isBlank())
                        .map(host -> "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + httpPort))
                .orElse(null);
        this.signature = config.replica()
                .secret()
                .filter(secret -> !secret.isBlank())
                .map(secret -> new ReplicaSignature(secret, config.replica().maxSkew()))
                .orElse(null);
        this.forwardTimeout = config.replica().forwardTimeout();
        if (config.store() == ResponsesConfig.Store.REDIS && (self == null || signature == null)) {
            LOG.warn("vgate.responses.store=redis without vgate.responses.replica.address and .secret: owners are"
                    + " shared, but follow-ups for another replica's responses are not forwarded (vLLM answers 404)");
        }
    }

    /** True when follow-ups may be forwarded between replicas. */
    public boolean forwarding() {
        return self != null && signature != null;
    }

    /** Signs and verifies the requests replicas forward to each other; {@code null} when forwarding is off. */
    public ReplicaSignature signature() {
        return signature;
    }

    /**
     * The tenant a request forwarded by another replica was sent for, when its signature is valid; else
     * {@code null} (no signature, or one this replica does not accept).
     */
    public String forwardedFor(String signatureHeader, String tenantHeader, String method, String uri) {
        if (signature == null
                || signatureHeader == null
                || !signature.verify(signatureHeader, System.currentTimeMillis(), method, uri, tenantHeader)) {
            return null;
        }
        return tenantHeader;
    }

    /** How long a forwarded request may take to be answered. */
    public Duration forwardTimeout() {
        return forwardTimeout;
    }

    /**
     * Records that {@code tenant} created response {@code id} here. Succeeds with {@code false} when the id
     * already had an owner (which is kept). A store that cannot be written to is logged and not retried: the
     * creator's own follow-ups then get 404, never someone else's response.
     */
    public Future<Boolean> record(String id, String tenant) {
        return store.putIfAbsent(id, new ResponseOwner(tenantOf(tenant), self)).recover(failure -> {
            LOG.warnf("Could not record the owner of response %s: %s", id, failure.toString());
            return Future.succeededFuture(false);
        });
    }

    /**
     * Claims the id of a response {@code tenant} is about to create here, before vLLM sees the request: the
     * client's own {@code request_id} (which vLLM makes the response id) when it is free or already the
     * caller's, else a fresh {@code resp_} id that vgate sends as {@code request_id}. A client's id that
     * another tenant owns is refused with 400: reusing it would overwrite or shadow their stored response.
     */
    public Future<String> claim(String requested, String tenant) {
        String id = requested != null ? requested : "resp_" + HexFormat.of().formatHex(randomBytes());
        ResponseOwner owner = new ResponseOwner(tenantOf(tenant), self);
        return store.putIfAbsent(id, owner)
                .compose(recorded -> recorded ? Future.succeededFuture(owner) : store.get(id))
                .recover(failure -> Future.failedFuture(new ApiException(storeUnavailable())))
                .compose(existing -> existing != null && existing.tenant().equals(owner.tenant())
                        ? Future.succeededFuture(id)
                        : Future.failedFuture(new ApiException(idInUse(id))));
    }

    /**
     * Where a request of {@code tenant} about response {@code id} goes; fails with 404 when the id has no
     * recorded owner or another owner, and with 503 when the shared store cannot be read.
     */
    public Future<FollowUp> followUp(String id, String tenant) {
        return store.get(id)
                .recover(failure -> Future.failedFuture(new ApiException(storeUnavailable())))
                .compose(owner -> {
                    if (owner == null || !owner.tenant().equals(tenantOf(tenant))) {
                        return Future.failedFuture(new ApiException(notFound(id)));
                    }
                    if (owner.replica() == null || owner.replica().equals(self) || !forwarding()) {
                        return Future.succeededFuture(FollowUp.HERE);
                    }
                    return Future.succeededFuture(new FollowUp(owner.replica()));
                });
    }

    /** vLLM's own answer for a response id it does not hold, so that another tenant's ids look unknown. */
    public static ApiError notFound(String id) {
        return new ApiError(
                404,
                ApiError.INVALID_REQUEST,
                "response_not_found",
                "Response with id '" + id + "' not found.",
                "response_id",
                null);
    }

    private static ApiError idInUse(String id) {
        return new ApiError(
                400,
                ApiError.INVALID_REQUEST,
                "request_id_in_use",
                "request_id '" + id + "' is already in use; send another one or none.",
                "request_id",
                null);
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static ApiError storeUnavailable() {
        return new ApiError(
                503,
                ApiError.SERVER,
                "response_store_unavailable",
                "vgate cannot read who owns this response right now; retry after the time in Retry-After.",
                null,
                Duration.ofSeconds(1));
    }

    private static String tenantOf(String tenant) {
        return tenant == null ? "" : tenant;
    }
}
