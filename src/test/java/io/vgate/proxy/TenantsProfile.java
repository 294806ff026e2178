package io.vgate.proxy;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * vgate with tenants kept apart: API keys with roles and model allowlists, JWTs, a model alias, and a simulator
 * serving two model names. The keys file and the JWT key pair are written before the application starts.
 */
public class TenantsProfile implements QuarkusTestProfile {

    static final Path DIR = Path.of("target", "tenants-test").toAbsolutePath();
    static final Path KEYS_FILE = DIR.resolve("api-keys.yaml");
    static final Path JWT_PUBLIC_KEY = DIR.resolve("jwt-public.pem");
    static final Path JWT_PRIVATE_KEY = DIR.resolve("jwt-private.pem");

    static final String ISSUER = "https://idp.tenants.test";
    static final String AUDIENCE = "vgate";

    /** The simulator's two served names: the first is vLLM's default model. */
    static final String BASE_MODEL = "base-model";

    static final String OTHER_MODEL = "other-model";
    /** An Anthropic name, configured as an alias of {@link #OTHER_MODEL}. */
    static final String ALIAS = "claude-sonnet-4-5";
    /** An alias of a model vLLM does not serve. */
    static final String GHOST_ALIAS = "retired-name";

    static final String GHOST_MODEL = "ghost-model";

    /** Any model, user role. */
    static final String USER_KEY = "vgk-tenants-user-5d1f0c8a";
    /** Any model, admin role. */
    static final String ADMIN_KEY = "vgk-tenants-admin-2b7e9a44";
    /** Only {@link #BASE_MODEL}. */
    static final String BASE_ONLY_KEY = "vgk-tenants-base-only-91c3";
    /** Only the alias {@link #ALIAS}. */
    static final String ALIAS_ONLY_KEY = "vgk-tenants-alias-only-7e02";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("vgate.auth.enabled", "true"),
                Map.entry("vgate.auth.jwt.enabled", "true"),
                Map.entry(
                        "mp.jwt.verify.publickey.location",
                        JWT_PUBLIC_KEY.toUri().toString()),
                Map.entry("mp.jwt.verify.issuer", ISSUER),
                Map.entry("mp.jwt.verify.audiences", AUDIENCE),
                Map.entry("vgate.simulator.served-model-names", BASE_MODEL + "," + OTHER_MODEL),
                Map.entry("vgate.models.aliases.\"" + ALIAS + "\"", OTHER_MODEL),
                Map.entry("vgate.models.aliases.\"" + GHOST_ALIAS + "\"", GHOST_MODEL),
                Map.entry("vgate.api.max-upload-size", "64K"));
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(Secrets.class));
    }

    /** A request with {@code Authorization: Bearer <credential>}. */
    static RequestSpecification as(String credential) {
        return RestAssured.given().header("Authorization", "Bearer " + credential);
    }

    /** The private key whose public half the application trusts. */
    static PrivateKey signingKey() {
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

    /** Writes the keys file and the JWT key pair before the application starts. */
    public static class Secrets implements QuarkusTestResourceLifecycleManager {

        @Override
        public Map<String, String> start() {
            try {
                java.nio.file.Files.createDirectories(DIR);
                java.nio.file.Files.writeString(KEYS_FILE, """
                        - id: tenants-user
                          tenant: tenant-user
                          hash: "%s"
                        - id: tenants-admin
                          tenant: platform
                          hash: "%s"
                          role: admin
                        - id: tenants-base-only
                          tenant: tenant-base
                          hash: "%s"
                          models: [%s]
                        - id: tenants-alias-only
                          tenant: tenant-alias
                          hash: "%s"
                          models: ["%s"]
                        """.formatted(
                        hash(USER_KEY), hash(ADMIN_KEY), hash(BASE_ONLY_KEY), BASE_MODEL, hash(ALIAS_ONLY_KEY), ALIAS));
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                KeyPair pair = generator.generateKeyPair();
                java.nio.file.Files.writeString(
                        JWT_PUBLIC_KEY, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
                java.nio.file.Files.writeString(
                        JWT_PRIVATE_KEY, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return Map.of("vgate.auth.keys-file", KEYS_FILE.toString());
        }

        @Override
        public void stop() {}

        private static String hash(String key) throws Exception {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(
                                    MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        }

        private static String pem(String type, byte[] der) {
            return "-----BEGIN " + type + "-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(der) + "\n-----END " + type + "-----\n";
        }
    }
}
