package io.vgate.shaping;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.api.RequestParser;
import io.vgate.sim.VllmSimulator;
import io.vgate.upstream.VllmClient;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tenant's {@code cache_salt} rides on the fitting's edits: on a request that fits untouched (no count
 * needed), on one that is trimmed against the simulator's real {@code /tokenize}, and never on a route that
 * does not take it.
 */
@QuarkusTest
@TestProfile(ShapingTestProfile.class)
class CacheSaltFittingTests {

    private static final PrefixCacheIsolation ISOLATION =
            new PrefixCacheIsolation(true, Optional.of("a-key-only-this-test-knows-about"));
    private static final RequestParser PARSER = new RequestParser(new ObjectMapper());

    @Inject
    VllmSimulator sim;

    @Inject
    ModelCatalog catalog;

    @Inject
    VllmClient vllm;

    @Inject
    ShapingMetrics metrics;

    @Inject
    ShapingConfig config;

    ContextFitter fitter;

    @BeforeEach
    void saltingFitter() {
        fitter = new ContextFitter(catalog, vllm, metrics, config, ISOLATION);
    }

    @AfterEach
    void restore() {
        sim.settings().reset();
        catalog.reload().await().indefinitely();
    }

    @Test
    void aRequestThatFitsUntouchedStillGetsItsTenantsSalt() throws Exception {
        InferenceRequest request = request(ApiRoute.CHAT_COMPLETIONS, """
                {"model":"%s","cache_salt":"mine","max_tokens":5,
                 "messages":[{"role":"user","content":"Hi!"}]}""".formatted(ShapingTestProfile.CLAMP_MODEL));

        Fitting fitting = fit(request, "team-a");
        fitting.applyTo(request);

        assertThat(fitting.adjustment()).isNull();
        assertThat(fitting.promptTokens()).as("no count was needed").isEqualTo(-1);
        assertThat(request.body().get("cache_salt").asText())
                .isEqualTo(ISOLATION.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a"));
    }

    @Test
    void aTrimmedRequestCarriesBothTheTrimAndTheSalt() throws Exception {
        String old = "Tell me something about the sea. ".repeat(30);
        InferenceRequest request =
                request(ApiRoute.CHAT_COMPLETIONS, """
                {"model":"%s",
                 "messages":[{"role":"user","content":"%s"},{"role":"assistant","content":"%s"},
                             {"role":"user","content":"Now briefly."}]}""".formatted(ShapingTestProfile.TRIM_MODEL, old, old));
        sim.settings().maxModelLen(200);
        catalog.reload().await().indefinitely();

        Fitting fitting = fit(request, "team-b");
        fitting.applyTo(request);

        assertThat(fitting.adjustment()).isEqualTo("trimmed");
        assertThat(request.messages()).hasSize(1);
        assertThat(request.body().get("cache_salt").asText())
                .isEqualTo(ISOLATION.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-b"))
                .isNotEqualTo(ISOLATION.saltFor(ApiRoute.CHAT_COMPLETIONS, "team-a"));
    }

    @Test
    void aResponsesRequestGetsItsTenantsSaltToo() throws Exception {
        InferenceRequest request = request(ApiRoute.RESPONSES, """
                {"model":"%s","cache_salt":"mine","max_output_tokens":5,"input":"Hi!"}""".formatted(ShapingTestProfile.CLAMP_MODEL));

        fit(request, "team-a").applyTo(request);

        assertThat(request.body().get("cache_salt").asText())
                .isEqualTo(ISOLATION.saltFor(ApiRoute.RESPONSES, "team-a"))
                .isNotEqualTo("mine");
    }

    @Test
    void embeddingsAreLeftAsTheClientSentThem() throws Exception {
        InferenceRequest request =
                request(ApiRoute.EMBEDDINGS, "{\"model\":\"%s\",\"input\":\"hello\"}".formatted(sim.modelName()));

        Fitting fitting = fit(request, "team-a");
        fitting.applyTo(request);

        assertThat(fitting.cacheSalt()).isNull();
        assertThat(request.modified()).isFalse();
        assertThat(request.body().has("cache_salt")).isFalse();
    }

    private Fitting fit(InferenceRequest request, String tenant) throws Exception {
        return fitter.fit(request, tenant)
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    private static InferenceRequest request(ApiRoute route, String body) {
        return PARSER.parse(route, "application/json", Buffer.buffer(body));
    }
}
