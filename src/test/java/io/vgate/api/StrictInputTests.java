package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request bytes and counts vgate reads itself: every kind of invalid UTF-8 is refused the same way,
 * and a whole-number token count written as a float is read (and forwarded) as the integer.
 */
class StrictInputTests {

    private final RequestParser parser = new RequestParser(new ObjectMapper());

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "overlong slash,               c0af",
        "overlong NUL,                 c080",
        "overlong three-byte,          e080af",
        "overlong four-byte,           f08080af",
        "high surrogate,               eda080",
        "low surrogate,                edbfbf",
        "beyond U+10FFFF,              f4908080",
        "F5 lead byte,                 f5808080",
        "FF,                           ff",
        "FE,                           fe",
        "lone continuation byte,       80",
        "truncated two-byte,           c3",
        "truncated three-byte,         e282",
        "truncated four-byte,          f09f98",
        "bad continuation,             c328",
        "bad third byte,               e282ff",
    })
    void refusesEveryKindOfInvalidUtf8(String name, String hex) {
        byte[] body = chatWithContentBytes(HexFormat.of().parseHex(hex));

        assertThat(Utf8.firstInvalid(body, body.length)).as(name).isPositive();
        assertThatThrownBy(() -> parser.parse(ApiRoute.CHAT_COMPLETIONS, "application/json", Buffer.buffer(body)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error().status()).isEqualTo(400);
                    assertThat(e.error().code()).isEqualTo("invalid_json");
                    assertThat(e.error().message()).contains("UTF-8");
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"hé", "€uro", "日本語", "emoji 😀", "U+10FFFF \uDBFF\uDFFF", "U+FFFD \uFFFD", "U+D7FF \uD7FF"})
    void acceptsValidUtf8(String content) {
        byte[] body = chatWithContentBytes(content.getBytes(StandardCharsets.UTF_8));

        assertThat(Utf8.firstInvalid(body, body.length)).isEqualTo(-1);
        assertThat(parser.parse(ApiRoute.CHAT_COMPLETIONS, "application/json", Buffer.buffer(body))
                        .messages()
                        .get(0)
                        .get("content")
                        .asText())
                .isEqualTo(content);
    }

    @ParameterizedTest
    @CsvSource({"max_tokens, 1e6", "max_tokens, 1000000.0", "max_completion_tokens, 1E+6", "max_tokens, 1000000.000"})
    void readsAWholeFloatCountAsTheInteger(String field, String written) {
        InferenceRequest request = parser.parse(
                ApiRoute.CHAT_COMPLETIONS,
                "application/json",
                Buffer.buffer("{\"messages\":[],\"" + field + "\":" + written + "}"));

        assertThat(request.body().get(field).isIntegralNumber()).isTrue();
        assertThat(request.body().get(field).longValue()).isEqualTo(1_000_000L);
        assertThat(request.modified()).as("vLLM gets the integer too").isTrue();
        assertThat(request.bytesToSend(new ObjectMapper()).toString()).contains("\"" + field + "\":1000000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e20", "2.5", "-1.0", "1.0e7"})
    void stillRefusesFloatCountsThatAreNotSane(String written) {
        assertThatThrownBy(() -> parser.parse(
                        ApiRoute.COMPLETIONS,
                        "application/json",
                        Buffer.buffer("{\"prompt\":\"a\",\"max_tokens\":" + written + "}")))
                .isInstanceOf(ApiException.class);
    }

    private static byte[] chatWithContentBytes(byte[] content) {
        var out = new ByteArrayOutputStream();
        out.writeBytes("{\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(content);
        out.writeBytes("\"}]}".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
