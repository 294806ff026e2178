package io.vgate.security;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Credentials and addresses of the secured test application ({@link SecuredProfile}): the plain keys
 * whose hashes are in its keys file, the RSA key that signs test JWTs, and a fresh client address per
 * test so that per-address buckets of different tests never meet.
 * <p>
 * Files live in {@code target/secured-test}; they are written by {@link SecuredResources} before the
 * application starts and read by tests, whatever class loader each runs in.
 */
public final class SecuredFixture {

    public static final Path DIR = Path.of("target", "secured-test").toAbsolutePath();
    /** The keys file, mounted the way the kubelet mounts a Secret (see {@link #updateSecret}). */
    public static final Path KEYS_FILE = DIR.resolve("secret").resolve("api-keys.yaml");

    public static final Path JWT_PUBLIC_KEY = DIR.resolve("jwt-public.pem");
    public static final Path JWT_PRIVATE_KEY = DIR.resolve("jwt-private.pem");
    public static final Path REDIS_DIR = DIR.resolve("redis");

    public static final String ISSUER = "https://idp.example.test";
    public static final String AUDIENCE = "vgate";

    public static final String TEAM_A_KEY = "vgk-team-a-3f9c2d71b8e04a65";
    public static final String BATCH_KEY = "vgk-team-b-batch-8d2e6f10c4a7";
    public static final String RPM_KEY = "vgk-rpm-three-1b7e52c9d03f";
    public static final String TPM_KEY = "vgk-tpm-twenty-6a0d93e4f2b1";
    public static final String TPM_STREAM_KEY = "vgk-tpm-stream-c41f8e07a2d9";
    /** One request a minute, for the Anthropic SDK's 429 (only {@code AnthropicAuthTests} uses it). */
    public static final String ANTHROPIC_RPM_KEY = "vgk-anthropic-rpm-one-5e8a1c3f";

    /** The keys file the application starts with. */
    public static final String KEYS_YAML = """
            # Test keys; the plain keys are constants of SecuredFixture.
            - id: team-a-app
              tenant: team-a
              hash: "%s"
            - id: team-b-batch
              tenant: team-b
              hash: "%s"
              priority: batch
            - id: rpm-three
              tenant: team-c
              hash: "%s"
              limits:
                requests-per-minute: 3
            - id: tpm-twenty
              tenant: team-d
              hash: "%s"
              limits:
                tokens-per-minute: 20
            - id: tpm-twenty-stream
              tenant: team-e
              hash: "%s"
              limits:
                tokens-per-minute: 20
            - id: anthropic-rpm-one
              tenant: team-f
              hash: "%s"
              limits:
                requests-per-minute: 1
            """.formatted(
                    hash(TEAM_A_KEY),
                    hash(BATCH_KEY),
                    hash(RPM_KEY),
                    hash(TPM_KEY),
                    hash(TPM_STREAM_KEY),
                    hash(ANTHROPIC_RPM_KEY));

    private static final AtomicInteger ADDRESSES = new AtomicInteger((int) (System.nanoTime() & 0xFFF));

    private SecuredFixture() {}

    /** {@code sha256:<hex>}, exactly what {@code printf %s "$KEY" | sha256sum} prints. */
    public static String hash(String key) {
        try {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(
                                    MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A client address no other test uses (from 198.18.0.0/15, the benchmarking range), sent as
     * {@code X-Forwarded-For} through the trusted loopback proxy.
     */
    public static String freshAddress() {
        int n = ADDRESSES.incrementAndGet();
        return "198.18." + ((n >> 8) & 0xFF) + "." + (n & 0xFF);
    }

    /** A request from a fresh client address with {@code Authorization: Bearer <credential>}. */
    public static RequestSpecification as(String credential) {
        return from(freshAddress()).header("Authorization", "Bearer " + credential);
    }

    /** A request from {@code address}, as the trusted proxy on 127.0.0.1 reports it. */
    public static RequestSpecification from(String address) {
        return RestAssured.given().header("X-Forwarded-For", address);
    }

    /** Writes the keys file and the JWT key pair. */
    static void writeFiles() {
        try {
            Files.createDirectories(DIR);
            deleteTree(KEYS_FILE.getParent());
            updateSecret(KEYS_YAML);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Files.writeString(JWT_PUBLIC_KEY, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            Files.writeString(
                    JWT_PRIVATE_KEY, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes the keys file the way the kubelet updates a Secret volume: the content goes into a new
     * timestamped directory, a {@code ..data} symlink is swapped to it in one rename, and
     * {@code api-keys.yaml} is a symlink through {@code ..data}. The file itself is never written in place.
     */
    public static synchronized void updateSecret(String content) {
        try {
            Path secret = KEYS_FILE.getParent();
            Files.createDirectories(secret);
            Path version = secret.resolve("..version_" + System.nanoTime());
            Files.createDirectories(version);
            Files.writeString(version.resolve(KEYS_FILE.getFileName()), content);
            Path data = secret.resolve("..data");
            Path previous = Files.isSymbolicLink(data) ? secret.resolve(Files.readSymbolicLink(data)) : null;
            Path next = secret.resolve("..data_tmp");
            Files.deleteIfExists(next);
            Files.createSymbolicLink(next, version.getFileName());
            Files.move(next, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (!Files.isSymbolicLink(KEYS_FILE)) {
                Files.createSymbolicLink(KEYS_FILE, Path.of("..data").resolve(KEYS_FILE.getFileName()));
            }
            if (previous != null && !previous.equals(version)) {
                Files.deleteIfExists(previous.resolve(KEYS_FILE.getFileName()));
                Files.deleteIfExists(previous);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The private key whose public half the application trusts. */
    public static PrivateKey signingKey() {
        try {
            String pem = Files.readString(JWT_PRIVATE_KEY)
                    .replaceAll("-----[A-Z ]+-----", "")
                    .replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key pair the application has never seen, for forged tokens. */
    public static PrivateKey forgerKey() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair().getPrivate();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
