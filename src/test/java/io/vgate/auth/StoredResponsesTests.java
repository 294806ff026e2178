package io.vgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiException;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StoredResponsesTests {

    private final StoredResponses store = new StoredResponses(new StoredResponsesConfig() {
        @Override
        public long maxEntries() {
            return 100;
        }

        @Override
        public Duration retention() {
            return Duration.ofMinutes(5);
        }
    });

    private static InferenceRequest responses(String json) {
        return new RequestParser(new ObjectMapper()).parse(ApiRoute.RESPONSES, "application/json", Buffer.buffer(json));
    }

    @Test
    void givesEachNewResponseAnIdOfItsOwnAndRemembersItsCreator() {
        var request = responses("{\"input\":\"hi\"}");

        store.checkNew(request, "team-a");
        store.claim(request, "team-a");

        String id = request.body().get("request_id").asText();
        assertThat(id).matches("resp_[0-9a-f]{32}");
        assertThat(request.modified()).isTrue();
        assertThatCode(() -> store.checkOwner(id, "team-a")).doesNotThrowAnyException();
        ApiException other = catchThrowableOfType(ApiException.class, () -> store.checkOwner(id, "team-b"));
        assertThat(other.error().status()).isEqualTo(404);
        assertThat(other.error().message()).isEqualTo("Response with id '" + id + "' not found.");
    }

    @Test
    void refusesAFollowUpOnAnotherTenantsResponseAndOnAnUnknownOne() {
        var first = responses("{\"input\":\"hi\"}");
        store.claim(first, "team-a");
        String id = first.body().get("request_id").asText();

        var own = responses("{\"input\":\"more\",\"previous_response_id\":\"" + id + "\"}");
        var foreign = responses("{\"input\":\"more\",\"previous_response_id\":\"" + id + "\"}");
        var unknown = responses("{\"input\":\"more\",\"previous_response_id\":\"resp_0000\"}");

        assertThatCode(() -> store.checkNew(own, "team-a")).doesNotThrowAnyException();
        assertThat(catchThrowableOfType(ApiException.class, () -> store.checkNew(foreign, "team-b"))
                        .error()
                        .param())
                .isEqualTo("previous_response_id");
        assertThat(catchThrowableOfType(ApiException.class, () -> store.checkNew(unknown, "team-a"))
                        .error()
                        .status())
                .isEqualTo(404);
    }

    @Test
    void keepsAClientsOwnIdUnlessAnotherTenantHasIt() {
        var mine = responses("{\"input\":\"hi\",\"request_id\":\"my-id\"}");
        store.checkNew(mine, "team-a");
        store.claim(mine, "team-a");

        var theirs = responses("{\"input\":\"hi\",\"request_id\":\"my-id\"}");

        assertThat(mine.body().get("request_id").asText()).isEqualTo("my-id");
        assertThat(catchThrowableOfType(ApiException.class, () -> store.checkNew(theirs, "team-b"))
                        .error()
                        .status())
                .isEqualTo(400);
        assertThatCode(() -> store.checkOwner("my-id", "team-a")).doesNotThrowAnyException();
    }

    @Test
    void doesNothingWithoutTenants() {
        var request = responses("{\"input\":\"hi\"}");

        store.checkNew(request, null);
        store.claim(request, null);
        store.checkOwner("resp_anything", null);

        assertThat(request.body().has("request_id")).isFalse();
    }
}
