package io.vgate.auth;

/**
 * One entry of the keys file: who a key belongs to and what it may do. The key itself is never held,
 * only its digest.
 *
 * @param caller the caller this key authenticates as
 * @param digest SHA-256 of the key
 */
record ApiKey(Caller caller, KeyDigest digest) {}
