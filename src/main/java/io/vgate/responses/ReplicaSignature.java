package io.vgate.responses;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proves that a request came from another vgate replica, for the tenant it names: an HMAC-SHA256, under the
 * secret the replicas share, of the time, the method, the path and the tenant. A signature is valid for
 * {@code vgate.responses.replica.max-skew} either side of its time, so a captured one cannot be replayed
 * later, nor moved to another path or tenant.
 */
public final class ReplicaSignature {

    /** Header carrying {@code <epoch millis>.<base64url HMAC>}. */
    public static final String HEADER = "X-Vgate-Replica-Signature";

    /** Header naming the tenant the forwarding replica authenticated. */
    public static final String TENANT_HEADER = "X-Vgate-Replica-Tenant";

    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final long maxSkewMillis;

    public ReplicaSignature(String secret, Duration maxSkew) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
        this.maxSkewMillis = Math.max(1, maxSkew.toMillis());
    }

    /** The signature header's value for a request forwarded at {@code nowMillis}. */
    public String sign(long nowMillis, String method, String path, String tenant) {
        return nowMillis + "." + mac(nowMillis, method, path, tenant);
    }

    /** True when {@code header} is a valid signature of this request, made within the allowed skew of {@code nowMillis}. */
    public boolean verify(String header, long nowMillis, String method, String path, String tenant) {
        if (header == null || tenant == null) {
            return false;
        }
        int dot = header.indexOf('.');
        if (dot <= 0) {
            return false;
        }
        long signedAt;
        try {
            signedAt = Long.parseLong(header.substring(0, dot));
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(nowMillis - signedAt) > maxSkewMillis) {
            return false;
        }
        byte[] expected = mac(signedAt, method, path, tenant).getBytes(StandardCharsets.US_ASCII);
        byte[] given = header.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }

    private String mac(long at, String method, String path, String tenant) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            // Length-prefixed fields: no two different requests share the signed text.
            String text = at + "\n" + method.length() + ":" + method + "\n" + path.length() + ":" + path + "\n"
                    + tenant.length() + ":" + tenant;
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
