package io.vgate.ratelimit;

import io.vertx.core.MultiMap;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;

/** A 429 from a rate limit, with the {@code RateLimit-*} headers of the limit that was hit. */
final class RateLimited extends ApiException {

    private final transient Quota quota;

    RateLimited(ApiError error, Quota quota) {
        super(error);
        this.quota = quota;
    }

    @Override
    public void writeHeaders(MultiMap headers) {
        quota.write(headers);
    }
}
