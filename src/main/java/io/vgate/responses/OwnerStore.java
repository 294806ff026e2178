package io.vgate.responses;

import io.vertx.core.Future;

/** Where the owners of stored responses are kept: this replica's memory, or Redis shared by all replicas. */
interface OwnerStore {

    /**
     * Records {@code owner} for response {@code id} unless an owner is already recorded; succeeds with
     * {@code true} when this call recorded it.
     */
    Future<Boolean> putIfAbsent(String id, ResponseOwner owner);

    /** The recorded owner of {@code id}, or {@code null} when none is. */
    Future<ResponseOwner> get(String id);
}
