package io.vgate.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.vgate.testing.Json;
import java.net.URI;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Authentication and limits on Anthropic's Messages route, as deployed ({@link SecuredProfile}): Anthropic's
 * SDK authenticates with {@code x-api-key} or {@code Authorization: Bearer}, and gets vgate's 401 and 429 in
 * Anthropic's shape, as the exceptions it throws for Anthropic's own; the Responses routes' stored-response
 * calls need a credential too.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
class AnthropicAuthTests {

    @TestHTTPResource("/")
    URI gateway;

    private String model;

    @BeforeEach
    void findModel() {
        model = SecuredFixture.as(SecuredFixture.TEAM_A_KEY)
                .get("/v1/models")
                .jsonPath()
                .getString("data[0].id");
    }

    private AnthropicOkHttpClient.Builder sdk() {
        return AnthropicOkHttpClient.builder()
                .baseUrl(gateway.toString().replaceAll("/$", ""))
                .maxRetries(0)
                .putHeader("X-Forwarded-For", SecuredFixture.freshAddress());
    }

    private MessageCreateParams hello() {
        return MessageCreateParams.builder()
                .model(model)
                .maxTokens(4)
                .addUserMessage("Hello?")
                .build();
    }

    @Test
    void acceptsTheKeyAsXApiKey() {
        AnthropicClient client = sdk().apiKey(SecuredFixture.TEAM_A_KEY).build();

        Message message = client.messages().create(hello());

        assertThat(message.content()).isNotEmpty();
    }

    @Test
    void acceptsTheKeyAsABearerToken() {
        AnthropicClient client = sdk().authToken(SecuredFixture.TEAM_A_KEY).build();

        Message message = client.messages().create(hello());

        assertThat(message.content()).isNotEmpty();
    }

    @Test
    void answersAWrongKeyWithAnthropicsAuthenticationError() {
        AnthropicClient client = sdk().apiKey("vgk-not-a-key").build();

        UnauthorizedException failure = catchThrowableOfType(
                UnauthorizedException.class, () -> client.messages().create(hello()));

        assertThat(failure.statusCode()).isEqualTo(401);
        var missing = SecuredFixture.from(SecuredFixture.freshAddress())
                .contentType("application/json")
                .body("{}")
                .post("/v1/messages");
        assertAnthropicError(missing, 401, "authentication_error");
        assertThat(Json.parse(missing.asString()).at("/error/message").asText()).contains("x-api-key");
    }

    @Test
    void doesNotTakeXApiKeyOnOpenAiRoutes() {
        var response = SecuredFixture.from(SecuredFixture.freshAddress())
                .header("x-api-key", SecuredFixture.TEAM_A_KEY)
                .get("/v1/models");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(Json.parse(response.asString()).at("/error/code").asText()).isEqualTo("invalid_api_key");
    }

    @Test
    void answersTheRateLimitWithAnthropicsRateLimitErrorAndRetryAfter() {
        AnthropicClient client = sdk().apiKey(SecuredFixture.ANTHROPIC_RPM_KEY).build();
        client.messages().create(hello());

        RateLimitException failure = catchThrowableOfType(
                RateLimitException.class, () -> client.messages().create(hello()));

        assertThat(failure.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(failure.headers().values("retry-after").getFirst()))
                .isPositive();
        var raw = SecuredFixture.from(SecuredFixture.freshAddress())
                .header("x-api-key", SecuredFixture.ANTHROPIC_RPM_KEY)
                .contentType("application/json")
                .body("{}")
                .post("/v1/messages");
        assertAnthropicError(raw, 429, "rate_limit_error");
        assertThat(raw.header("Retry-After")).isNotBlank();
    }

    @Test
    void storedResponsesNeedACredential() {
        var get = SecuredFixture.from(SecuredFixture.freshAddress()).get("/v1/responses/resp_abc");
        var cancel = SecuredFixture.from(SecuredFixture.freshAddress()).post("/v1/responses/resp_abc/cancel");
        var allowed = SecuredFixture.as(SecuredFixture.TEAM_A_KEY).get("/v1/responses/resp_abc");

        assertThat(get.statusCode()).isEqualTo(401);
        assertThat(cancel.statusCode()).isEqualTo(401);
        assertThat(Json.parse(get.asString()).at("/error/type").asText()).isEqualTo("authentication_error");
        // With a key the lookup is authenticated, and answered 404: the caller created no such response.
        assertThat(allowed.statusCode()).isEqualTo(404);
        assertThat(Json.parse(allowed.asString()).at("/error/message").asText()).contains("resp_abc");
    }

    private static void assertAnthropicError(Response response, int status, String type) {
        assertThat(response.statusCode()).isEqualTo(status);
        JsonNode json = Json.parse(response.asString());
        assertThat(json.get("type").asText()).isEqualTo("error");
        assertThat(json.at("/error/type").asText()).isEqualTo(type);
        assertThat(json.at("/error/message").asText()).isNotBlank();
    }
}
