package io.vgate.api;

import io.vertx.core.MultiMap;

/**
 * Ends a request with an {@link ApiError}. Thrown or failed with by any step of the data path; the
 * data path turns it into the OpenAI-shaped response, after {@link #writeHeaders} added what the step
 * wants the client to learn besides the error ({@code WWW-Authenticate}, {@code RateLimit-*}, …).
 * <p>
 * It carries no stack trace: it is a normal outcome (bad input, limits), not a bug, and filling the
 * trace would cost time on every rejected request.
 */
public class ApiException extends RuntimeException {

    private final transient ApiError error;

    public ApiException(ApiError error) {
        super(error.code() + ": " + error.message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }

    /** Adds the response headers that go with this rejection; none by default. */
    public void writeHeaders(MultiMap headers) {
        // Most rejections say all they have to say in the error body and Retry-After.
    }
}
