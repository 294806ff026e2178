package io.vgate.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** How a credential is read from the {@code Authorization} header and routed to key or JWT checks. */
class AuthenticatorTests {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "Bearer sk-abc     | sk-abc",
                "bearer sk-abc     | sk-abc",
                "BEARER   sk-abc   | sk-abc",
                "Bearer a.b.c      | a.b.c"
            })
    void readsBearerCredentials(String header, String credential) {
        assertThat(Authenticator.credential(header)).isEqualTo(credential);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "Bearersk-abc", "sk-abc"})
    void findsNoCredentialInOtherHeaders(String header) {
        assertThat(Authenticator.credential(header)).isNull();
    }

    @Test
    void refusesCredentialsLongerThanAnyRealOne() {
        assertThat(Authenticator.credential("Bearer " + "x".repeat(Authenticator.MAX_CREDENTIAL_LENGTH)))
                .isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln, true",
        "a.b.c, true",
        "sk-abc, false",
        "a.b, false",
        "a.b.c.d, false",
        ".b.c, false",
        "a..c, false",
        "a.b., false"
    })
    void tellsJwtsFromApiKeys(String credential, boolean jwt) {
        assertThat(Authenticator.looksLikeJwt(credential)).isEqualTo(jwt);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"sk-abc | sk-abc", "  sk-abc  | sk-abc"})
    void readsAnthropicsApiKeyHeader(String header, String credential) {
        assertThat(Authenticator.apiKeyCredential(header)).isEqualTo(credential);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   "})
    void findsNoCredentialInAnEmptyApiKeyHeader(String header) {
        assertThat(Authenticator.apiKeyCredential(header)).isNull();
        assertThat(Authenticator.apiKeyCredential("x".repeat(Authenticator.MAX_CREDENTIAL_LENGTH + 1)))
                .isNull();
    }
}
