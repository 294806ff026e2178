package io.vgate.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 digest of an API key, the only form in which vgate stores keys.
 * <p>
 * Lookups hash the presented key first and compare digests, so the time a lookup takes depends on the
 * digest of what the client sent, never on how much of a real key it guessed; equality itself is
 * checked with {@link MessageDigest#isEqual}, which takes the same time wherever the bytes differ.
 */
final class KeyDigest {

    static final String PREFIX = "sha256:";
    private static final int LENGTH = 32;
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(KeyDigest::newSha256);

    private final byte[] bytes;
    private final int hash;

    private KeyDigest(byte[] bytes) {
        this.bytes = bytes;
        // The digest is uniformly distributed, so its first bytes make a good hash code.
        this.hash = (bytes[0] & 0xFF) << 24 | (bytes[1] & 0xFF) << 16 | (bytes[2] & 0xFF) << 8 | (bytes[3] & 0xFF);
    }

    /** The digest of a key as presented by a client. */
    static KeyDigest of(String key) {
        return new KeyDigest(SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Parses {@code sha256:<64 hex digits>}, as written by {@code printf %s "$KEY" | sha256sum}.
     *
     * @throws IllegalArgumentException when the text is not such a digest
     */
    static KeyDigest parse(String text) {
        if (text == null
                || !text.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
                || text.length() != PREFIX.length() + 2 * LENGTH) {
            throw new IllegalArgumentException("hash must be 'sha256:' followed by 64 hex digits");
        }
        try {
            return new KeyDigest(HexFormat.of().parseHex(text, PREFIX.length(), text.length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("hash must be 'sha256:' followed by 64 hex digits");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeyDigest digest && MessageDigest.isEqual(bytes, digest.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        // Digests are not secret, but there is no reason to print them either.
        return "KeyDigest[sha256]";
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
