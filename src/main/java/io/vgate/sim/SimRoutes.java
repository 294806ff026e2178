package io.vgate.sim;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;

/**
 * The simulator's routes, as in vLLM: generation ({@link GenerateRoutes}, {@link ResponsesRoutes}, {@link MessagesRoutes}), embeddings
 * ({@link EmbeddingsRoute}),
 * tokenization ({@link TokenizeRoutes}), and here the small ones (models, health, version, load, metrics) and the
 * simulator-only settings routes. A {@link SimError} thrown while handling a request becomes vLLM's error body. Handlers
 * run on the connection's event loop and never block.
 */
final class SimRoutes {

    private static final Logger LOG = Logger.getLogger(SimRoutes.class);

    /** The vLLM version {@code /version} reports. */
    static final String VLLM_VERSION = "0.29.0";

    static final String JSON = "application/json";

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final SimEngine engine;
    private final SimSettings settings;
    private final SimMetrics metrics;
    private final List<String> servedNames;
    private final String modelRoot;
    private final GenerateRoutes generate;
    private final EmbeddingsRoute embeddings;
    private final TokenizeRoutes tokenize;
    private final ResponsesRoutes responses;
    private final MessagesRoutes messages;
    private final LoraAdapters adapters = new LoraAdapters();
    private final ScoreRoutes scoring;
    private final PoolingRoutes pooling;
    private final CohereEmbedRoute cohereEmbed;
    private final AudioRoutes audio;
    private final LoraRoutes lora;

    SimRoutes(SimEngine engine, SimSettings settings, SimMetrics metrics, List<String> servedNames, String modelRoot) {
        this.engine = engine;
        this.settings = settings;
        this.metrics = metrics;
        this.servedNames = List.copyOf(servedNames);
        this.modelRoot = modelRoot;
        VllmValidation validation = new VllmValidation(settings, servedNames, adapters);
        this.generate = new GenerateRoutes(engine, settings, metrics, servedNames, validation);
        this.embeddings = new EmbeddingsRoute(engine, settings, validation);
        this.tokenize = new TokenizeRoutes(settings, validation);
        this.responses = new ResponsesRoutes(engine, settings, metrics, servedNames, validation);
        this.messages = new MessagesRoutes(engine, settings, metrics, servedNames, validation);
        this.scoring = new ScoreRoutes(engine, settings, validation);
        this.pooling = new PoolingRoutes(engine, settings, validation);
        this.cohereEmbed = new CohereEmbedRoute(engine, settings, validation);
        this.audio = new AudioRoutes(engine, settings, metrics, servedNames.get(0), validation);
        this.lora = new LoraRoutes(adapters);
        settings.serving().onReset(adapters::clear);
    }

    /** A router with every route of the simulator, for one server instance. */
    Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        // First: vLLM's API-key middleware, and which task routes exist for the model's task.
        router.route().handler(new ServingGate(settings.serving(), this::notFound));
        router.post("/v1/chat/completions").handler(rc -> withBody(rc, generate::chatCompletions));
        router.post("/v1/completions").handler(rc -> withBody(rc, generate::completions));
        router.post("/v1/embeddings").handler(rc -> withBody(rc, embeddings::embeddings));
        generateTaskRoutes(router);
        router.get("/v1/models").handler(this::models);
        for (String path : List.of("/rerank", "/v1/rerank", "/v2/rerank")) {
            router.post(path).handler(rc -> withBody(rc, scoring::rerank));
        }
        router.post("/score").handler(rc -> withBody(rc, scoring::score));
        router.post("/v1/score").handler(rc -> withBody(rc, scoring::score));
        router.post("/classify").handler(rc -> withBody(rc, pooling::classify));
        router.post("/pooling").handler(rc -> withBody(rc, pooling::pooling));
        router.post("/v2/embed").handler(rc -> withBody(rc, cohereEmbed::embed));
        router.post("/v1/audio/transcriptions").handler(rc -> audio.handle(rc, AudioRoutes.Kind.TRANSCRIPTION));
        router.post("/v1/audio/translations").handler(rc -> audio.handle(rc, AudioRoutes.Kind.TRANSLATION));
        router.post("/v1/load_lora_adapter").handler(rc -> withBody(rc, lora::load));
        router.post("/v1/unload_lora_adapter").handler(rc -> withBody(rc, lora::unload));
        router.post("/tokenize").handler(rc -> withBody(rc, tokenize::tokenize));
        router.post("/detokenize").handler(rc -> withBody(rc, tokenize::detokenize));
        router.get("/health").handler(this::health);
        router.route("/ping").method(HttpMethod.GET).method(HttpMethod.POST).handler(this::health);
        router.get("/version").handler(this::version);
        router.get("/load").handler(this::load);
        router.get("/metrics").handler(this::metrics);
        // Simulator-only administration; real vLLM has no such route.
        router.get("/sim/settings").handler(this::getSettings);
        router.post("/sim/settings").handler(this::postSettings);
        router.post("/sim/settings/reset").handler(this::resetSettings);
        router.errorHandler(404, this::notFound);
        router.errorHandler(405, this::methodNotAllowed);
        router.errorHandler(500, rc -> {
            LOG.warnf(rc.failure(), "Simulator route %s failed", rc.request().path());
            internalError(rc.response(), rc.failure());
        });
        return router;
    }

    /**
     * The routes vLLM registers only for a model whose task is {@code generate}, beyond chat and completions (registered
     * above): the Responses API and Anthropic Messages.
     */
    private void generateTaskRoutes(Router router) {
        router.post("/v1/responses").handler(rc -> withBody(rc, responses::create));
        router.get("/v1/responses/:response_id").handler(rc -> withoutBody(rc, responses::retrieve));
        router.post("/v1/responses/:response_id/cancel").handler(rc -> withoutBody(rc, responses::cancel));
        router.post("/v1/messages").handler(rc -> withBody(rc, messages::create));
        router.post("/v1/messages/count_tokens").handler(rc -> withBody(rc, messages::countTokens));
    }

    void models(RoutingContext rc) {
        echoRequestId(rc);
        long created = System.currentTimeMillis() / 1000;
        StringBuilder sb = new StringBuilder(512).append("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < servedNames.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"id\":");
            Json.str(sb, servedNames.get(i))
                    .append(",\"object\":\"model\",\"created\":")
                    .append(created)
                    .append(",\"owned_by\":\"vllm\",\"root\":");
            Json.str(sb, modelRoot)
                    .append(",\"parent\":null,\"max_model_len\":")
                    .append(settings.maxModelLen());
            permission(sb, created);
        }
        for (LoraAdapters.Adapter adapter : adapters.list()) {
            // vLLM's LoRA card: the adapter path as root, the base model as parent, no context length of its own.
            sb.append(",{\"id\":");
            Json.str(sb, adapter.name())
                    .append(",\"object\":\"model\",\"created\":")
                    .append(created)
                    .append(",\"owned_by\":\"vllm\",\"root\":");
            Json.str(sb, adapter.path()).append(",\"parent\":");
            Json.str(sb, servedNames.get(0)).append(",\"max_model_len\":null");
            permission(sb, created);
        }
        rc.response().putHeader("content-type", JSON).end(sb.append("]}").toString());
    }

    private static void permission(StringBuilder sb, long created) {
        sb.append(",\"permission\":[{\"id\":\"modelperm-")
                .append(randomHex())
                .append("\",\"object\":\"model_permission\",\"created\":")
                .append(created)
                .append(",\"allow_create_engine\":false,\"allow_sampling\":true,\"allow_logprobs\":true,"
                        + "\"allow_search_indices\":false,\"allow_view\":true,\"allow_fine_tuning\":false,"
                        + "\"organization\":\"*\",\"group\":null,\"is_blocking\":false}]}");
    }

    void health(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().end();
    }

    void version(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().putHeader("content-type", JSON).end("{\"version\":\"" + VLLM_VERSION + "\"}");
    }

    void load(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().putHeader("content-type", JSON).end("{\"server_load\":" + engine.inflight() + "}");
    }

    void metrics(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().putHeader("content-type", SimMetrics.CONTENT_TYPE).end(metrics.scrape());
    }

    void getSettings(RoutingContext rc) {
        rc.response().putHeader("content-type", JSON).end(SettingsJson.write(settings));
    }

    void postSettings(RoutingContext rc) {
        rc.request().body().onSuccess(raw -> {
            try {
                JsonNode node = Json.MAPPER.readTree(raw.getBytes());
                SettingsJson.apply(settings, node);
                getSettings(rc);
            } catch (IllegalArgumentException | java.io.IOException e) {
                rc.response()
                        .setStatusCode(400)
                        .putHeader("content-type", JSON)
                        .end("{\"detail\":" + Json.quote(String.valueOf(e.getMessage())) + "}");
            }
        });
    }

    void resetSettings(RoutingContext rc) {
        settings.reset();
        getSettings(rc);
    }

    /** FastAPI's answer for a path no route serves. */
    void notFound(RoutingContext rc) {
        echoRequestId(rc);
        rc.response().setStatusCode(404).putHeader("content-type", JSON).end("{\"detail\":\"Not Found\"}");
    }

    /** FastAPI's answer for a known path with the wrong method. */
    void methodNotAllowed(RoutingContext rc) {
        if (SimTask.taskRoute(rc.request().path())
                && !SimTask.served(settings.serving().tasks(), rc.request().path())) {
            // The path is not registered at all for this model's task.
            notFound(rc);
            return;
        }
        echoRequestId(rc);
        rc.response().setStatusCode(405).putHeader("content-type", JSON).end("{\"detail\":\"Method Not Allowed\"}");
    }

    /** The request id vLLM uses: the {@code X-Request-Id} header, else the body's {@code request_id}, else random. */
    static String requestId(HttpServerRequest request, String bodyRequestId) {
        String header = request.getHeader("x-request-id");
        if (header != null) {
            return header;
        }
        return bodyRequestId != null ? bodyRequestId : randomHex();
    }

    /** A uuid4-style id: 32 hex digits, as vLLM's request and item ids carry. */
    static String randomHex() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[32];
        long a = random.nextLong();
        long b = random.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) (a >>> (60 - 4 * i)) & 0xF];
            out[16 + i] = HEX[(int) (b >>> (60 - 4 * i)) & 0xF];
        }
        return new String(out);
    }

    private static void echoRequestId(RoutingContext rc) {
        String id = rc.request().getHeader("x-request-id");
        if (id != null) {
            rc.response().putHeader("x-request-id", id);
        }
    }

    /** Collects the body, then runs the handler; a {@link SimError} becomes vLLM's error response. */
    private static void withBody(RoutingContext rc, BiConsumer<RoutingContext, Buffer> handler) {
        echoRequestId(rc);
        rc.request().body().onComplete(ar -> {
            if (ar.failed()) {
                return;
            }
            try {
                handler.accept(rc, ar.result());
            } catch (SimError e) {
                sendError(rc.response(), e);
            } catch (RuntimeException e) {
                LOG.warnf(e, "Simulator route %s failed", rc.request().path());
                internalError(rc.response(), e);
            }
        });
    }

    /** Runs a handler that reads no body; a {@link SimError} becomes vLLM's error response. */
    private static void withoutBody(RoutingContext rc, java.util.function.Consumer<RoutingContext> handler) {
        echoRequestId(rc);
        try {
            handler.accept(rc);
        } catch (SimError e) {
            sendError(rc.response(), e);
        } catch (RuntimeException e) {
            LOG.warnf(e, "Simulator route %s failed", rc.request().path());
            internalError(rc.response(), e);
        }
    }

    static void sendError(HttpServerResponse response, SimError e) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(e.status).putHeader("content-type", JSON).end(e.body());
    }

    /** Shared with the verticle so unknown exceptions still answer like vLLM's catch-all handler. */
    static void internalError(HttpServerResponse response, Throwable t) {
        if (!response.headWritten() && !response.closed()) {
            sendError(response, new SimError(500, "InternalServerError", String.valueOf(t.getMessage()), null));
        } else if (!response.closed()) {
            response.reset();
        }
    }
}
