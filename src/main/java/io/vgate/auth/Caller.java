package io.vgate.auth;

import java.util.Set;

/**
 * An authenticated caller, as the later steps of the data path see it.
 *
 * @param id the API key's id, or the token's subject
 * @param tenant who is billed and queued for the request
 * @param priority priority class, one of {@code vgate.shaping.priority.classes}
 * @param limits overrides of the default per-key limits
 * @param limitKey identity of the caller's rate-limit buckets: {@code key:<id>} for an API key, shared by
 *        every token of a tenant ({@code tenant:<tenant>}) for JWT callers
 * @param role what the caller may do beyond inference: {@link Role#ADMIN} may load and unload LoRA adapters
 * @param models the models the caller may use (served names, LoRA adapters or aliases), or {@code null} for
 *        every model
 */
public record Caller(
        String id, String tenant, String priority, Limits limits, String limitKey, Role role, Set<String> models) {

    public Caller {
        role = role == null ? Role.USER : role;
        models = models == null ? null : Set.copyOf(models);
    }

    /** A caller with the user role and every model. */
    public Caller(String id, String tenant, String priority, Limits limits, String limitKey) {
        this(id, tenant, priority, limits, limitKey, Role.USER, null);
    }

    /** True for callers with the admin role. */
    public boolean admin() {
        return role == Role.ADMIN;
    }

    /** True when the caller may use only the models of an allowlist. */
    public boolean restricted() {
        return models != null;
    }

    /** True when the caller may use the model named {@code name}; every name for an unrestricted caller. */
    public boolean mayUse(String name) {
        return models == null || (name != null && models.contains(name));
    }
}
