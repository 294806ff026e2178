package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The route table: what each route is to the data path, and which paths it answers. */
class ApiRouteTests {

    @Test
    void everyPathAndLabelBelongsToOneRoute() {
        Set<String> keys = new HashSet<>();
        Set<String> labels = new HashSet<>();
        for (ApiRoute route : ApiRoute.values()) {
            assertThat(labels.add(route.label())).as(route.label()).isTrue();
            for (String path : route.paths()) {
                assertThat(keys.add(route.method() + " " + path)).as(path).isTrue();
            }
        }
    }

    @Test
    void inferenceRoutesAreQueuedAndTheOthersAreNot() {
        Set<ApiRoute> queued =
                Arrays.stream(ApiRoute.values()).filter(ApiRoute::queued).collect(java.util.stream.Collectors.toSet());

        assertThat(queued)
                .containsExactlyInAnyOrder(
                        ApiRoute.CHAT_COMPLETIONS,
                        ApiRoute.COMPLETIONS,
                        ApiRoute.RESPONSES,
                        ApiRoute.MESSAGES,
                        ApiRoute.TRANSCRIPTIONS,
                        ApiRoute.TRANSLATIONS,
                        ApiRoute.EMBEDDINGS,
                        ApiRoute.COHERE_EMBED,
                        ApiRoute.RERANK,
                        ApiRoute.SCORE,
                        ApiRoute.CLASSIFY,
                        ApiRoute.POOLING);
    }

    @Test
    void describesWhatTheDataPathNeedsPerRoute() {
        assertThat(ApiRoute.RERANK.paths()).containsExactly("/v1/rerank", "/rerank", "/v2/rerank");
        assertThat(ApiRoute.SCORE.paths()).containsExactly("/v1/score", "/score");
        assertThat(ApiRoute.MESSAGES.errorDialect()).isEqualTo(ApiRoute.ErrorDialect.ANTHROPIC);
        assertThat(ApiRoute.MESSAGES_COUNT_TOKENS.errorDialect()).isEqualTo(ApiRoute.ErrorDialect.ANTHROPIC);
        assertThat(ApiRoute.RESPONSES.errorDialect()).isEqualTo(ApiRoute.ErrorDialect.OPENAI);
        assertThat(ApiRoute.TRANSCRIPTIONS.bodyType()).isEqualTo(ApiRoute.BodyType.MULTIPART);
        assertThat(ApiRoute.TRANSCRIPTIONS.generates()).isTrue();
        assertThat(ApiRoute.TRANSCRIPTIONS.fitted()).isFalse();
        assertThat(ApiRoute.RERANK.generates()).isFalse();
        assertThat(ApiRoute.COHERE_EMBED.usage()).isEqualTo(ApiRoute.Usage.COHERE);
        assertThat(ApiRoute.RESPONSES.usage()).isEqualTo(ApiRoute.Usage.RESPONSES);
        assertThat(ApiRoute.MESSAGES.usage()).isEqualTo(ApiRoute.Usage.ANTHROPIC);
        assertThat(ApiRoute.CHAT_COMPLETIONS.fitted()).isTrue();
        assertThat(ApiRoute.LOAD_LORA_ADAPTER.access()).isEqualTo(ApiRoute.Access.ADMIN);
        assertThat(ApiRoute.TOKENIZE.access()).isEqualTo(ApiRoute.Access.CALLER);
        assertThat(ApiRoute.RESPONSES_GET.method()).isEqualTo(HttpMethod.GET);
        assertThat(ApiRoute.RESPONSES_CANCEL.bodyType()).isEqualTo(ApiRoute.BodyType.NONE);
    }

    @Test
    void fillsPathParametersAndRefusesOddOnes() {
        var id = Map.of("response_id", "resp_0123abcd");

        assertThat(ApiRoute.RESPONSES_CANCEL.upstreamPath("/v1/responses/:response_id/cancel", id::get))
                .isEqualTo("/v1/responses/resp_0123abcd/cancel");
        assertThat(ApiRoute.RERANK.upstreamPath("/v2/rerank", name -> null)).isEqualTo("/v2/rerank");
        assertThat(ApiRoute.RESPONSES_GET.upstreamPath(
                        "/v1/responses/:response_id", Map.of("response_id", "../pause")::get))
                .isNull();
        assertThat(ApiRoute.RESPONSES_GET.upstreamPath("/v1/responses/:response_id", name -> null))
                .isNull();
    }

    @Test
    void knowsItsPathsForTheMethodNotAllowedAnswer() {
        assertThat(ApiRoute.RESPONSES_GET.servesPath("/v1/responses/resp_1")).isTrue();
        assertThat(ApiRoute.RESPONSES_GET.servesPath("/v1/responses/")).isFalse();
        assertThat(ApiRoute.RESPONSES_CANCEL.servesPath("/v1/responses/resp_1/cancel"))
                .isTrue();
        assertThat(ApiRoute.RERANK.servesPath("/v2/rerank")).isTrue();
        assertThat(ApiRoute.RERANK.servesPath("/v3/rerank")).isFalse();
    }
}
