package io.vgate.proxy;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vgate.api.ApiConfig;
import io.vgate.api.ApiError;
import io.vgate.api.ApiRoute;
import io.vgate.api.ContentLength;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Mounts the route table ({@link ApiRoute}) on Quarkus's HTTP router. Requests are served straight from Vert.x
 * (no JAX-RS layer) because the relay needs the raw request and response: bytes in, bytes out.
 * Each route runs: admission (limits and auth, before any body byte is read), the body read (bounded in
 * size by {@code vgate.api.max-body-size} and in time by {@code vgate.api.body-read-timeout}), then the
 * data path. Unknown {@code /v1} paths, vLLM's own routes ({@link #VLLM_ONLY_PATHS}) and wrong methods get
 * OpenAI-shaped 404/405 answers from vgate; nothing of them reaches vLLM.
 */
@ApplicationScoped
public class ProxyRoutes {

    private static final Logger LOG = Logger.getLogger(ProxyRoutes.class);

    private static final String BODY_TIMER = "vgate.body-timer";
    /** Set once the body's declared length was taken from the budget of held bodies. */
    private static final String BODY_HELD = "vgate.body-held";

    /**
     * Where vLLM serves routes vgate never forwards: everything under its API prefixes that is not in the route
     * table, and its control, utility and profiling routes at the root. vgate answers them with its own 404 (405
     * for a table path with another method); any other path is not vgate's either and gets the server's 404.
     */
    static final List<String> VLLM_ONLY_PATHS = List.of(
            "/v1/*",
            "/v2/*",
            "/inference/*",
            "/cohere/*",
            "/pause",
            "/resume",
            "/is_paused",
            "/sleep",
            "/wake_up",
            "/is_sleeping",
            "/collective_rpc",
            "/invocations",
            "/generative_scoring",
            "/reset_prefix_cache",
            "/reset_mm_cache",
            "/reset_encoder_cache",
            "/metrics",
            "/server_info",
            "/health",
            "/ping",
            "/version",
            "/load",
            "/scale_elastic_ep",
            "/is_scaling_elastic_ep",
            "/init_weight_transfer_engine",
            "/update_weights",
            "/get_world_size",
            "/abort_requests",
            "/tokenizer_info",
            "/start_profile",
            "/stop_profile",
            "/score/*",
            "/rerank/*",
            "/classify/*",
            "/pooling/*",
            "/tokenize/*",
            "/detokenize/*");

    /** When a request refused for the bodies held may come back: about when a held body's answer has ended. */
    private static final Duration BODIES_FULL_RETRY_AFTER = Duration.ofSeconds(1);

    /** How long a connection whose oversized body was refused stays open for the client to read the 413. */
    private static final long OVERSIZED_LINGER_MILLIS = 2_000;

    private final ProxyHandler proxy;
    private final long maxBodySize;
    private final long bodyReadTimeoutMillis;
    private final BodyBudget bodyBudget;

    public ProxyRoutes(ProxyHandler proxy, ApiConfig config) {
        this.proxy = proxy;
        this.maxBodySize = config.maxBodySize().asLongValue();
        this.bodyReadTimeoutMillis = Math.max(1, config.bodyReadTimeout().toMillis());
        this.bodyBudget = new BodyBudget(config.maxHeldBodies()
                .map(MemorySize::asLongValue)
                .orElse(Runtime.getRuntime().maxMemory() / 8));
    }

    void mount(@Observes Router router) {
        BodyHandler bodies = BodyHandler.create(false).setBodyLimit(maxBodySize);
        for (ApiRoute route : ApiRoute.values()) {
            for (String path : route.paths()) {
                mount(router, route, path, bodies);
            }
        }
        // vLLM's other routes (control, utility, SageMaker, profiling) are never forwarded: vgate answers them.
        for (String path : VLLM_ONLY_PATHS) {
            router.route(path).handler(this::unknown);
        }
    }

    /**
     * One path of a route: admission (limits and auth, before any body byte is read), then the body read for
     * JSON routes (bounded in size and time), then the data path. A multipart upload is not read here: the data
     * path streams it to vLLM once it holds a slot.
     */
    private void mount(Router router, ApiRoute route, String path, BodyHandler bodies) {
        // Admission is a route of its own: Vert.x allows no handler before a body handler on one route, and
        // Quarkus keeps the request paused until the body handler of the next route resumes it.
        var admission = router.route(route.method(), path).handler(context -> {
            context.put(ProxyHandler.PATH_TEMPLATE, path);
            proxy.admit(context, route);
        });
        var dataPath = router.route(route.method(), path);
        if (route.method() == HttpMethod.POST && !route.multipart()) {
            admission.handler(this::holdBody).handler(this::startBodyDeadline);
            dataPath.handler(bodies).handler(this::bodyRead);
        }
        admission.failureHandler(context -> failed(context, route));
        dataPath.handler(context -> proxy.handle(context, route)).failureHandler(context -> failed(context, route));
    }

    /**
     * Takes the body's declared length from the budget of held bodies until the answer ends, or refuses the
     * request with 503 before reading its body. A chunked body declares nothing: it is bounded by the size limit
     * while it is read, and counted once it has been ({@link #bodyRead}).
     */
    private void holdBody(RoutingContext context) {
        long declared = ContentLength.of(context.request().getHeader(HttpHeaders.CONTENT_LENGTH));
        if (declared <= 0 || context.request().isEnded()) {
            context.next();
        } else if (bodyBudget.take(declared)) {
            context.put(BODY_HELD, Boolean.TRUE);
            context.addEndHandler(ignored -> bodyBudget.give(declared));
            context.next();
        } else {
            refuseUnread(context, ApiError.requestBodiesFull(BODIES_FULL_RETRY_AFTER));
        }
    }

    /**
     * Answers a request whose body vgate will not read. Over HTTP/1.x the connection cannot carry another request:
     * the rest of the body is read and dropped meanwhile (the client is not left writing into a full window), and
     * the connection is closed a moment after the answer, so the client reads it instead of a broken pipe.
     */
    private void refuseUnread(RoutingContext context, ApiError error) {
        var request = context.request();
        if (request.version() != HttpVersion.HTTP_2) {
            var connection = request.connection();
            var vertx = context.vertx();
            context.response().headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
            context.addBodyEndHandler(ignored -> vertx.setTimer(OVERSIZED_LINGER_MILLIS, id -> connection.close()));
            request.handler(ignored -> {});
            request.resume();
        }
        fail(context, null, error);
    }

    private void startBodyDeadline(RoutingContext context) {
        if (!context.request().isEnded()) {
            long timer = context.vertx().setTimer(bodyReadTimeoutMillis, id -> bodyTooSlow(context));
            context.put(BODY_TIMER, timer);
        }
        context.next();
    }

    /**
     * The body is in. One that was not counted before it was read (chunked, or already in when its route began)
     * is counted now, by its length, until the answer ends; 503 when the budget has no room for it.
     */
    private void bodyRead(RoutingContext context) {
        cancelBodyDeadline(context);
        if (context.get(BODY_HELD) == null) {
            long read = context.body().length();
            if (read > 0) {
                if (!bodyBudget.take(read)) {
                    fail(context, null, ApiError.requestBodiesFull(BODIES_FULL_RETRY_AFTER));
                    return;
                }
                context.addEndHandler(ignored -> bodyBudget.give(read));
            }
        }
        context.next();
    }

    private static void cancelBodyDeadline(RoutingContext context) {
        Long timer = context.remove(BODY_TIMER);
        if (timer != null) {
            context.vertx().cancelTimer(timer);
        }
    }

    /** The body did not arrive in time: answer 408 and close the connection, whose remaining input is unread. */
    private void bodyTooSlow(RoutingContext context) {
        context.remove(BODY_TIMER);
        if (context.response().ended() || context.response().closed()) {
            return;
        }
        var connection = context.request().connection();
        if (context.request().version() != HttpVersion.HTTP_2) {
            context.addBodyEndHandler(ignored -> connection.close());
        }
        fail(
                context,
                null,
                new ApiError(
                        408,
                        ApiError.INVALID_REQUEST,
                        "request_timeout",
                        "The request body did not arrive within " + bodyReadTimeoutMillis + " ms.",
                        null,
                        null));
    }

    private void unknown(RoutingContext context) {
        String method = context.request().method().name();
        String path = context.request().path();
        boolean known = Arrays.stream(ApiRoute.values()).anyMatch(route -> route.servesPath(path));
        proxy.reject(
                context, null, known ? ApiError.methodNotAllowed(method, path) : ApiError.unknownRoute(method, path));
    }

    private void failed(RoutingContext context, ApiRoute route) {
        cancelBodyDeadline(context);
        if (context.response().ended() || context.response().closed()) {
            // Already answered (a 408 whose connection vgate closed, a client that left): nothing went wrong.
            LOG.debug("Request ended before its body was read: its connection was closed");
            return;
        }
        if (context.statusCode() == 413 && context.request().version() != HttpVersion.HTTP_2) {
            // The rest of an oversized body is never parsed: the connection cannot carry another request. It
            // lingers a moment first, so a client still uploading reads the 413 instead of a broken pipe.
            var connection = context.request().connection();
            var vertx = context.vertx();
            context.response().headers().set("Connection", "close");
            context.addBodyEndHandler(ignored -> vertx.setTimer(OVERSIZED_LINGER_MILLIS, id -> connection.close()));
        }
        ApiError error = switch (context.statusCode()) {
            case 413 -> ApiError.bodyTooLarge(maxBodySize);
            case 400 -> ApiError.invalidJson("The request body could not be read.");
            default -> ApiError.internal();
        };
        if (context.failure() != null && error.status() == 500) {
            LOG.error("Request failed before reaching the data path", context.failure());
        }
        fail(context, route, error);
    }

    /** Ends the request with {@code error}, through its exchange (or a new one) so observers see it. */
    private void fail(RoutingContext context, ApiRoute route, ApiError error) {
        ProxyExchange exchange = context.get(ProxyHandler.EXCHANGE);
        if (exchange != null) {
            exchange.fail(error);
        } else {
            proxy.reject(context, route, error);
        }
    }
}
