package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReasonsTests {

    @ParameterizedTest
    @CsvSource({
        "invalid_api_key, auth",
        "rate_limit_exceeded, rate_limit",
        "tokens_per_minute_exceeded, rate_limit",
        "concurrency_limit_exceeded, rate_limit",
        "queue_full, capacity",
        "queue_timeout, capacity",
        "queue_shed, capacity",
        "shutting_down, capacity",
        "circuit_open, capacity",
        "first_token_timeout, timeout",
        "stream_idle_timeout, timeout",
        "upstream_timeout, timeout",
        "context_length_exceeded, context",
        "upstream_unavailable, upstream",
        "upstream_error, upstream",
        "upstream_reset, upstream",
        "invalid_json, bad_request",
        "invalid_type, bad_request",
        "missing_required_parameter, bad_request",
        "unsupported_media_type, bad_request",
        "request_too_large, bad_request",
        "unknown_url, bad_request",
        "method_not_allowed, bad_request",
        "internal_error, internal",
        "something_new, other",
    })
    void groupsEachCodeIntoItsReason(String code, String reason) {
        assertThat(Reasons.of(code)).isEqualTo(reason);
    }

    @org.junit.jupiter.api.Test
    void hasAReasonForNoCode() {
        assertThat(Reasons.of(null)).isEqualTo("other");
    }
}
