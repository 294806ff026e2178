package io.vgate.responses;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;

/** Owners in this replica's memory, bounded in number and age. */
final class LocalOwners implements OwnerStore {

    private final Cache<String, ResponseOwner> owners;

    LocalOwners(ResponsesConfig config) {
        this.owners = Caffeine.newBuilder()
                .maximumSize(Math.max(1, config.maxLocalEntries()))
                .expireAfterWrite(config.ttl())
                .executor(Runnable::run) // upkeep on the caller: no common-pool task per few requests
                .build();
    }

    @Override
    public Future<Boolean> putIfAbsent(String id, ResponseOwner owner) {
        return Future.succeededFuture(owners.asMap().putIfAbsent(id, owner) == null);
    }

    @Override
    public Future<ResponseOwner> get(String id) {
        return Future.succeededFuture(owners.getIfPresent(id));
    }
}
