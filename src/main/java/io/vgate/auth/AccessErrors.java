package io.vgate.auth;

import io.vgate.api.ApiError;

/** vgate's answers to callers who may not do what they asked. */
public final class AccessErrors {

    private AccessErrors() {}

    /** 403: the route needs the admin role ({@code role: admin} in the keys file, or the JWT role claim). */
    public static ApiError adminOnly(String path) {
        return new ApiError(
                403,
                "permission_error",
                "permission_denied",
                "You do not have permission to call " + path + ": it needs an admin credential.",
                null,
                null);
    }

    /**
     * 404: the caller may not use {@code model}. The same answer whether the model exists or not, so an allowlist
     * reveals nothing about the models other tenants use.
     */
    public static ApiError modelNotFound(String model) {
        return new ApiError(
                404,
                ApiError.INVALID_REQUEST,
                "model_not_found",
                "The model `" + (model == null ? "default" : model)
                        + "` does not exist or you do not have access to it.",
                "model",
                null);
    }
}
