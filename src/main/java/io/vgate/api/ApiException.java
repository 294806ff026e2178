package io.vgate.api;

/**
 * Ends a request with an {@link ApiError}. Thrown or failed with by any step of the data path; the
 * {@link ProxyHandler} turns it into the OpenAI-shaped response.
 * <p>
 * It carries no stack trace: it is a normal outcome (bad input, limits), not a bug, and filling the
 * trace would cost time on every rejected request.
 */
public final class ApiException extends RuntimeException {

    private final transient ApiError error;

    public ApiException(ApiError error) {
        super(error.code() + ": " + error.message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }
}
