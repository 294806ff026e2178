package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Prefix-cache isolation: every generation request carries its tenant's {@code cache_salt}, a keyed hash
 * that no client can choose, and the option off leaves bodies as the client sent them.
 */
class PrefixCacheIsolationTests {

    private static final String KEY = "k3y-0f-th1s-d3ployment-32-bytes!";
    private static final PrefixCacheIsolation ON = new PrefixCacheIsolation(true, Optional.of(KEY));
    private static final PrefixCacheIsolation OFF = new PrefixCacheIsolation(false, Optional.empty());
    private static final RequestParser PARSER = new RequestParser(new ObjectMapper());

    @Test
    void twoTenantsGetDifferentSaltsAndOneTenantAlwaysTheSame() {
        String a = ON.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a");
        String b = ON.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-b");

        assertThat(a).isNotEqualTo(b);
        assertThat(ON.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a")).isEqualTo(a);
        assertThat(ON.saltFor(ApiRoute.COMPLETIONS, "team-a"))
                .as("one tenant shares its cache across routes")
                .isEqualTo(a);
        assertThat(new PrefixCacheIsolation(true, Optional.of(KEY)).saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a"))
                .as("replicas with the same key agree")
                .isEqualTo(a);
    }

    @Test
    void theSaltIsTheTenantsHmacUnderTheKeyInBase64UrlAsVllmRecommends() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(mac.doFinal("team-a".getBytes(StandardCharsets.UTF_8)));

        String salt = ON.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a");

        assertThat(salt).isEqualTo(expected).hasSize(43).matches("[A-Za-z0-9_-]+");
        assertThat(new PrefixCacheIsolation(true, Optional.of("another key"))
                        .saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a"))
                .as("without the key nobody can compute a tenant's salt")
                .isNotEqualTo(salt);
    }

    @Test
    void aClientsOwnSaltIsReplaced() {
        InferenceRequest request = chat("{\"model\":\"m\",\"cache_salt\":\"guess-of-team-a\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        Fitting.NONE.withCacheSalt(ON.saltFor(request.route(), "team-b")).applyTo(request);

        assertThat(request.body().get("cache_salt").asText())
                .isEqualTo(ON.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-b"));
        assertThat(request.modified()).isTrue();
        assertThat(new String(request.bytesToSend(new ObjectMapper()).getBytes(), StandardCharsets.UTF_8))
                .contains("\"cache_salt\":\"" + ON.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-b") + "\"")
                .doesNotContain("guess-of-team-a");
    }

    @Test
    void theSaltGoesWithTheFittingsOtherEdits() {
        InferenceRequest request =
                chat("{\"model\":\"m\",\"max_tokens\":900," + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        var clamped = new Fitting(20, null, 0, 100, "max_tokens", Fitting.CLAMPED, null);

        clamped.withCacheSalt("salt").applyTo(request);

        assertThat(request.body().get("max_tokens").asInt()).isEqualTo(100);
        assertThat(request.body().get("cache_salt").asText()).isEqualTo("salt");
    }

    @Test
    void withTheOptionOffTheBodyIsLeftAlone() {
        InferenceRequest request = chat("{\"model\":\"m\",\"cache_salt\":\"client's own\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        assertThat(OFF.enabled()).isFalse();
        assertThat(OFF.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a")).isNull();
        Fitting.NONE.applyTo(request);

        assertThat(request.modified()).isFalse();
        assertThat(request.body().get("cache_salt").asText()).isEqualTo("client's own");
    }

    @Test
    void routesThatDoNotOptInGetNoSalt() {
        assertThat(ON.saltFor(ApiRoute.EMBEDDINGS, "team-a")).isNull();
        assertThat(ON.saltFor(ApiRoute.MODELS, "team-a")).isNull();
    }

    @Test
    void turningItOnWithoutAKeyFailsAtStartup() {
        assertThatThrownBy(() -> new PrefixCacheIsolation(true, Optional.empty()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("vgate.shaping.cache-salt.key");
        assertThatThrownBy(() -> new PrefixCacheIsolation(true, Optional.of("  ")))
                .isInstanceOf(IllegalStateException.class);
    }

    private static InferenceRequest chat(String body) {
        return PARSER.parse(ApiRoute.CHAT_COMPLETIONS, "application/json", Buffer.buffer(body));
    }
}
