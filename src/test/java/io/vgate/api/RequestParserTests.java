package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestParserTests {

    private final RequestParser parser = new RequestParser(new ObjectMapper());

    @Test
    void readsTheFieldsTheDataPathNeeds() {
        InferenceRequest request = parse(
                ApiRoute.CHAT_COMPLETIONS,
                "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":1}");

        assertThat(request.model()).isEqualTo("m");
        assertThat(request.stream()).isTrue();
        assertThat(request.clientAskedForUsage()).isFalse();
        assertThat(request.messages()).hasSize(1);
    }

    @Test
    void forwardsUntouchedBodiesAsTheClientsBytes() {
        String json = "{ \"prompt\" : \"hi\",  \"max_tokens\": 3 }";
        InferenceRequest request = parse(ApiRoute.COMPLETIONS, json);

        assertThat(request.bytesToSend(new ObjectMapper()).toString()).isEqualTo(json);
    }

    @Test
    void reserialisesOnlyEditedBodies() {
        InferenceRequest request = parse(ApiRoute.COMPLETIONS, "{ \"prompt\" : \"hi\" }");
        request.body().put("max_tokens", 5);
        request.markModified();

        assertThat(request.bytesToSend(new ObjectMapper()).toString())
                .isEqualTo("{\"prompt\":\"hi\",\"max_tokens\":5}");
    }

    @Test
    void includeUsageDefaultsToTrueOnceStreamOptionsIsPresent() {
        assertThat(parse(ApiRoute.COMPLETIONS, "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":{}}")
                        .clientAskedForUsage())
                .isTrue();
        assertThat(parse(
                                ApiRoute.COMPLETIONS,
                                "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}")
                        .clientAskedForUsage())
                .isFalse();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "CHAT_COMPLETIONS | {\"messages\":                  | invalid_json               | ",
                "CHAT_COMPLETIONS | [1,2]                            | invalid_json               | ",
                "CHAT_COMPLETIONS | {}                               | missing_required_parameter | messages",
                "CHAT_COMPLETIONS | {\"messages\":\"hi\"}            | invalid_type               | messages",
                "CHAT_COMPLETIONS | {\"messages\":[],\"model\":7}    | invalid_type               | model",
                "CHAT_COMPLETIONS | {\"messages\":[],\"stream\":\"yes\"} | invalid_type           | stream",
                "COMPLETIONS      | {\"prompt\":null}                | missing_required_parameter | prompt",
                "EMBEDDINGS       | {\"model\":\"m\"}                | missing_required_parameter | input",
                "COMPLETIONS      | {\"prompt\":\"a\",\"stream_options\":1} | invalid_type         | stream_options",
            })
    void rejectsBodiesItCannotRoute(ApiRoute route, String body, String code, String param) {
        assertThatThrownBy(() -> parse(route, body)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error().status()).isEqualTo(400);
            assertThat(e.error().code()).isEqualTo(code);
            assertThat(e.error().param()).isEqualTo(param);
        });
    }

    @Test
    void rejectsInvalidUtf8AsInvalidJson() {
        byte[] bytes = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};

        assertThatThrownBy(() -> parser.parse(ApiRoute.COMPLETIONS, "application/json", Buffer.buffer(bytes)))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.error().code()).isEqualTo("invalid_json"));
    }

    @Test
    void rejectsEmptyBodiesAndNonJsonContentTypes() {
        assertThatThrownBy(() -> parser.parse(ApiRoute.COMPLETIONS, "application/json", Buffer.buffer()))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.error().code()).isEqualTo("invalid_json"));
        assertThatThrownBy(() -> parser.parse(ApiRoute.COMPLETIONS, "text/plain", Buffer.buffer("{}")))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.error().status()).isEqualTo(415));
        assertThat(parser.parse(
                                ApiRoute.COMPLETIONS,
                                "Application/JSON; charset=utf-8",
                                Buffer.buffer("{\"prompt\":\"a\"}"))
                        .route())
                .isEqualTo(ApiRoute.COMPLETIONS);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"messages\":[],\"max_tokens\":1048577}          | invalid_value | max_tokens",
                "{\"messages\":[],\"max_tokens\":-1}               | invalid_value | max_tokens",
                "{\"messages\":[],\"max_tokens\":99999999999999999999999} | invalid_value | max_tokens",
                "{\"messages\":[],\"max_tokens\":1.5}              | invalid_type  | max_tokens",
                "{\"messages\":[],\"max_tokens\":\"10\"}         | invalid_type  | max_tokens",
                "{\"messages\":[],\"max_completion_tokens\":-2}    | invalid_value | max_completion_tokens",
                "{\"messages\":[],\"n\":17}                        | invalid_value | n",
                "{\"messages\":[],\"n\":0}                         | invalid_value | n",
                "{\"messages\":[],\"n\":true}                      | invalid_type  | n"
            })
    void rejectsCountsThatAreNotSane(String json, String code, String param) {
        assertThatThrownBy(() -> parse(ApiRoute.CHAT_COMPLETIONS, json))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error().code()).isEqualTo(code);
                    assertThat(e.error().param()).isEqualTo(param);
                });
    }

    @Test
    void leavesSaneCountsToVllm() {
        InferenceRequest request = parse(
                ApiRoute.CHAT_COMPLETIONS,
                "{\"messages\":[],\"max_tokens\":1000000,\"max_completion_tokens\":0,\"n\":16}");

        assertThat(request.body().get("max_tokens").asInt()).isEqualTo(1_000_000);
        assertThat(parse(ApiRoute.COMPLETIONS, "{\"prompt\":\"a\",\"max_tokens\":5.0,\"n\":null}")
                        .route())
                .isEqualTo(ApiRoute.COMPLETIONS);
    }

    @Test
    void rejectsMoreMessagesThanTheLimit() {
        var small = new RequestParser(new ObjectMapper(), new RequestParser.Limits(3, 16, 100));

        assertThat(small.parse(
                                ApiRoute.CHAT_COMPLETIONS,
                                "application/json",
                                Buffer.buffer("{\"messages\":[{},{},{}]}"))
                        .messages())
                .hasSize(3);
        assertThatThrownBy(() -> small.parse(
                        ApiRoute.CHAT_COMPLETIONS, "application/json", Buffer.buffer("{\"messages\":[{},{},{},{}]}")))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.error().code()).isEqualTo("invalid_value");
                    assertThat(e.error().param()).isEqualTo("messages");
                });
    }

    private InferenceRequest parse(ApiRoute route, String json) {
        return parser.parse(route, "application/json", Buffer.buffer(json));
    }
}
