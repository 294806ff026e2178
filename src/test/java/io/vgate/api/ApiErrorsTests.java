package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ApiErrorsTests {

    @Test
    void writesOpenAiShapeWithAStringCodeAndNullParam() throws Exception {
        JsonNode json = new ObjectMapper()
                .readTree(ApiErrors.toJson(ApiError.upstreamFailed()).getBytes());

        JsonNode error = json.get("error");
        assertThat(json.size()).isEqualTo(1);
        assertThat(error.get("message").isTextual()).isTrue();
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(error.get("param").isNull()).isTrue();
        assertThat(error.get("code").asText()).isEqualTo("upstream_error");
    }

    @Test
    void escapesMessagesSafely() throws Exception {
        var error = ApiError.invalidValue("x", "bad \"quote\" and </script>\n");
        JsonNode json = new ObjectMapper().readTree(ApiErrors.toJson(error).getBytes());

        assertThat(json.at("/error/message").asText()).isEqualTo("bad \"quote\" and </script>\n");
        assertThat(json.at("/error/param").asText()).isEqualTo("x");
    }

    @Test
    void framesTheErrorAsOneSseEvent() {
        String event = ApiErrors.toSseEvent(ApiError.upstreamResetMidStream()).toString();

        assertThat(event).startsWith("data: {\"error\":{").endsWith("}}\n\n");
        assertThat(event.substring(0, event.length() - 2)).doesNotContain("\n");
    }

    @Test
    void roundsRetryAfterUpToWholeSeconds() {
        assertThat(ApiError.upstreamUnavailable(Duration.ofMillis(1200)).retryAfterSeconds())
                .isEqualTo(2);
        assertThat(ApiError.upstreamUnavailable(Duration.ofMillis(10)).retryAfterSeconds())
                .isEqualTo(1);
        assertThat(ApiError.upstreamFailed().retryAfterSeconds()).isEqualTo(-1);
    }
}
