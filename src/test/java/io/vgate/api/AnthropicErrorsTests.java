package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnthropicErrorsTests {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @ParameterizedTest
    @CsvSource({
        "400, invalid_json, 400, invalid_request_error",
        "401, invalid_api_key, 401, authentication_error",
        "403, permission_denied, 403, permission_error",
        "404, model_not_found, 404, not_found_error",
        "405, method_not_allowed, 405, invalid_request_error",
        "408, request_timeout, 408, invalid_request_error",
        "413, request_too_large, 413, request_too_large",
        "415, unsupported_media_type, 415, invalid_request_error",
        "429, rate_limit_exceeded, 429, rate_limit_error",
        "503, queue_full, 529, overloaded_error",
        "503, queue_shed, 529, overloaded_error",
        "503, queue_timeout, 529, overloaded_error",
        "503, shutting_down, 529, overloaded_error",
        "503, circuit_open, 529, overloaded_error",
        "503, upstream_unavailable, 529, overloaded_error",
        "502, upstream_error, 529, api_error",
        "504, first_token_timeout, 529, api_error",
        "500, internal_error, 529, api_error"
    })
    void mapsVgatesErrorsToAnthropicsStatusesAndTypes(int status, String code, int anthropicStatus, String type)
            throws Exception {
        var error = new ApiError(status, ApiError.SERVER, code, "Why it failed.", null, null);

        JsonNode body = MAPPER.readTree(AnthropicErrors.body(error).toString(StandardCharsets.UTF_8));

        assertThat(AnthropicErrors.status(error)).isEqualTo(anthropicStatus);
        assertThat(body.get("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo(type);
        assertThat(body.at("/error/message").asText()).isEqualTo("Why it failed.");
        assertThat(body.fieldNames()).toIterable().containsExactly("type", "error");
        assertThat(body.get("error").fieldNames()).toIterable().containsExactly("type", "message");
    }

    @Test
    void neverAnswersWithAServerErrorOtherThan529() {
        for (int status = 500; status <= 599; status++) {
            var error = new ApiError(status, ApiError.SERVER, "x", "m", null, Duration.ofSeconds(1));
            assertThat(AnthropicErrors.status(error)).isEqualTo(529);
        }
    }

    @Test
    void escapesTheMessage() throws Exception {
        var error = ApiError.invalidValue("max_tokens", "Bad \"value\"\n\u00e9");

        JsonNode body = MAPPER.readTree(AnthropicErrors.body(error).toString(StandardCharsets.UTF_8));

        assertThat(body.at("/error/message").asText()).isEqualTo("Bad \"value\"\n\u00e9");
    }

    @Test
    void knowsTheMessagesPaths() {
        assertThat(AnthropicErrors.isMessagesPath("/v1/messages")).isTrue();
        assertThat(AnthropicErrors.isMessagesPath("/v1/messages/count_tokens")).isTrue();
        assertThat(AnthropicErrors.isMessagesPath("/v1/messages/batches")).isTrue();
        assertThat(AnthropicErrors.isMessagesPath("/v1/messagesx")).isFalse();
        assertThat(AnthropicErrors.isMessagesPath("/v1/chat/completions")).isFalse();
        assertThat(AnthropicErrors.isMessagesPath(null)).isFalse();
    }
}
