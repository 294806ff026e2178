package io.vgate.auth;

/**
 * An authenticated caller, as the later steps of the data path see it.
 *
 * @param id the API key's id, or the token's subject
 * @param tenant who is billed and queued for the request
 * @param priority priority class, one of {@code vgate.shaping.priority.classes}
 * @param limits overrides of the default per-key limits
 * @param limitKey identity of the caller's rate-limit buckets: {@code key:<id>} for an API key, shared by
 *        every token of a tenant ({@code tenant:<tenant>}) for JWT callers
 */
public record Caller(String id, String tenant, String priority, Limits limits, String limitKey) {}
