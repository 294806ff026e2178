package io.vgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vgate.security.SecuredFixture;
import io.vgate.shaping.PriorityClasses;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The keys file format: what is accepted, and the errors that keep a broken file from replacing a good one. */
class KeyFileTests {

    private static final String HASH = SecuredFixture.hash("sk-one");

    @Test
    void readsEveryFieldOfAnEntry() {
        Map<KeyDigest, ApiKey> keys = parse("""
                - id: app-1
                  tenant: team-a
                  hash: "%s"
                  priority: batch
                  limits:
                    requests-per-minute: 600
                    tokens-per-minute: 200000
                """.formatted(HASH));

        Caller caller = keys.get(KeyDigest.of("sk-one")).caller();
        assertThat(caller).isEqualTo(new Caller("app-1", "team-a", "batch", new Limits(600L, 200000L), "key:app-1"));
    }

    @Test
    void readsATenantConcurrencyCap() {
        Caller caller = parse("- {id: a, tenant: t, hash: '" + HASH + "', limits: {max-concurrency: 8}}")
                .get(KeyDigest.of("sk-one"))
                .caller();

        assertThat(caller.limits()).isEqualTo(new Limits(null, null, 8));
    }

    @Test
    void rejectsACapThatIsNotAPositiveInteger() {
        for (String cap : List.of("0", "-2", "1.5", "lots", "3000000000")) {
            assertThatThrownBy(() ->
                            parse("- {id: a, tenant: t, hash: '" + HASH + "', limits: {max-concurrency: " + cap + "}}"))
                    .as(cap)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("max-concurrency");
        }
    }

    @Test
    void defaultsPriorityAndLimits() {
        Caller caller = parse("- {id: app-2, tenant: t, hash: '" + HASH + "'}")
                .get(KeyDigest.of("sk-one"))
                .caller();

        assertThat(caller.priority()).isEqualTo("interactive");
        assertThat(caller.limits()).isEqualTo(Limits.DEFAULTS);
    }

    @Test
    void acceptsJsonAndUppercaseHex() {
        String json = "[{\"id\":\"j\",\"tenant\":\"t\",\"hash\":\"SHA256:"
                + HASH.substring(7).toUpperCase() + "\"}]";

        assertThat(parse(json)).containsKey(KeyDigest.of("sk-one"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "# no keys yet\n", "\n\n", "[]", "---\n"})
    void refusesAFileWithoutASingleKey(String content) {
        assertThatThrownBy(() -> parse(content))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holds no keys");
    }

    @Test
    void findsOnlyTheExactKey() {
        Map<KeyDigest, ApiKey> keys = parse("- {id: a, tenant: t, hash: '" + HASH + "'}");

        assertThat(keys.get(KeyDigest.of("sk-one "))).isNull();
        assertThat(keys.get(KeyDigest.of("sk-on"))).isNull();
        assertThat(keys.get(KeyDigest.of("SK-ONE"))).isNull();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            value = {
                "id: a\\ntenant: t                                    | the file must be a list",
                "- {tenant: t, hash: 'HASH'}                           | 'id' must be a non-empty string",
                "- {id: a, hash: 'HASH'}                               | 'tenant' must be a non-empty string",
                "- {id: a, tenant: t, hash: 'md5:abc'}                 | hash must be 'sha256:' followed by 64 hex digits",
                "- {id: a, tenant: t, hash: 'sha256:zz'}               | hash must be 'sha256:' followed by 64 hex digits",
                "- {id: a, tenant: t, hash: 'HASH', priority: urgent}  | priority must be one of interactive, batch",
                "- {id: a, tenant: t, hash: 'HASH', limit: {}}         | unknown field 'limit'",
                "- {id: a, tenant: t, hash: 'HASH', limits: {rpm: 1}}  | unknown field 'rpm'",
                "- {id: a, tenant: t, hash: 'HASH', limits: {requests-per-minute: 0}} | must be a positive integer",
                "- {id: a, tenant: t, hash: 'HASH', limits: {tokens-per-minute: 1.5}} | must be a positive integer",
                "- {id: a, tenant: t, hash: 'HASH'}\\n- {id: a, tenant: u, hash: 'sha256:OTHER'} | duplicate id 'a'",
                "- {id: a, tenant: t, hash: 'HASH'}\\n- {id: b, tenant: u, hash: 'HASH'} | same hash as another key",
                "- [unclosed                                            | not valid YAML"
            })
    void rejectsInvalidFilesWithAMessageThatNamesTheEntry(String yaml, String message) {
        String content =
                yaml.replace("\\n", "\n").replace("HASH", HASH).replace("sha256:OTHER", SecuredFixture.hash("sk-two"));

        assertThatThrownBy(() -> parse(content))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(HASH.substring(7)));
    }

    @Test
    void everyConfiguredPriorityClassIsAcceptedAndNoOther() {
        var classes = new PriorityClasses(List.of("realtime", "interactive", "batch"));
        String yaml = """
                - {id: rt, tenant: t, hash: 'HASH', priority: realtime}
                - {id: plain, tenant: t, hash: 'sha256:OTHER'}
                """.replace("HASH", HASH).replace("sha256:OTHER", SecuredFixture.hash("sk-two"));

        var keys = KeyFile.parse(yaml.getBytes(StandardCharsets.UTF_8), classes);

        assertThat(keys.get(KeyDigest.of("sk-one")).caller().priority()).isEqualTo("realtime");
        assertThat(keys.get(KeyDigest.of("sk-two")).caller().priority()).isEqualTo("interactive");
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("priority must be one of interactive, batch");
    }

    private static Map<KeyDigest, ApiKey> parse(String content) {
        return KeyFile.parse(
                content.getBytes(StandardCharsets.UTF_8), new PriorityClasses(List.of("interactive", "batch")));
    }
}
