package io.vgate.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/**
 * vgate's own errors in Anthropic's shape, for the Messages routes ({@code /v1/messages*}), whose clients (the
 * Anthropic SDKs, Claude Code) read {@code {"type":"error","error":{"type":…,"message":…}}} and decide on
 * retries by Anthropic's statuses:
 * <ul>
 * <li>400 {@code invalid_request_error}, 401 {@code authentication_error}, 403 {@code permission_error},
 * 404 {@code not_found_error}, 413 {@code request_too_large}, 429 {@code rate_limit_error} (with
 * {@code retry-after}); any other 4xx keeps its status, typed {@code invalid_request_error} as Anthropic
 * does;</li>
 * <li>every 5xx of vgate's own becomes <b>529</b>, the status Anthropic's SDKs retry as "overloaded": typed
 * {@code overloaded_error} when vgate or vLLM is out of capacity (queue full, waited too long or shed,
 * draining, breaker open, vLLM unreachable), {@code api_error} otherwise (timeouts, a broken upstream
 * connection, a bug). vgate never answers these routes with another 5xx of its own.</li>
 * </ul>
 * The {@link ApiError} stays as the data path decided it (its {@code code} is what the metrics and the access
 * log record); only its rendering differs. vLLM's own errors are never rendered here: they reach the client
 * unchanged.
 */
public final class AnthropicErrors {

    /** Anthropic's overloaded status, which its SDKs retry like a 5xx. */
    public static final int OVERLOADED = 529;

    private static final JsonFactory JSON = new JsonFactory();
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
    private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");
    private static final String MESSAGES_PATH = "/v1/messages";

    /** vgate's codes that mean "no capacity right now", for which Anthropic says {@code overloaded_error}. */
    private static final Set<String> CAPACITY = Set.of(
            "queue_full",
            "queue_timeout",
            "queue_shed",
            "shutting_down",
            "circuit_open",
            "upstream_unavailable",
            "overloaded");

    private AnthropicErrors() {}

    /** True for {@code /v1/messages} and the paths below it, where vgate speaks Anthropic's dialect. */
    public static boolean isMessagesPath(String path) {
        return path != null
                && path.startsWith(MESSAGES_PATH)
                && (path.length() == MESSAGES_PATH.length() || path.charAt(MESSAGES_PATH.length()) == '/');
    }

    /** The HTTP status the client gets for {@code error}: its own, or 529 for a 5xx. */
    public static int status(ApiError error) {
        return error.status() >= 500 ? OVERLOADED : error.status();
    }

    /** The error's Anthropic {@code type}. */
    public static String type(ApiError error) {
        return switch (error.status()) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            default -> error.status() >= 500 ? serverType(error) : "invalid_request_error";
        };
    }

    /** The type of a server-side failure: {@code overloaded_error} for a lack of capacity, else {@code api_error}. */
    public static String serverType(ApiError error) {
        return CAPACITY.contains(error.code()) ? "overloaded_error" : "api_error";
    }

    /** The JSON error body. */
    public static Buffer body(ApiError error) {
        return body(type(error), error.message());
    }

    /** {@code {"type":"error","error":{"type":type,"message":message}}}. */
    public static Buffer body(String type, String message) {
        var bytes = Unpooled.buffer(64 + message.length());
        try (var out = new ByteBufOutputStream(bytes);
                JsonGenerator json = JSON.createGenerator((OutputStream) out)) {
            write(json, type, message);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Buffer.buffer(bytes);
    }

    /** Writes {@code {"type":"error","error":{"type":type,"message":message}}} to {@code json}. */
    public static void write(JsonGenerator json, String type, String message) throws IOException {
        json.writeStartObject();
        json.writeStringField("type", "error");
        json.writeObjectFieldStart("error");
        json.writeStringField("type", type);
        json.writeStringField("message", message);
        json.writeEndObject();
        json.writeEndObject();
    }

    /**
     * Ends the response with the error: status, JSON body and {@code Retry-After} when the error has one. Does
     * nothing if the response has already ended or its connection is gone; resets a response whose head is
     * already out (too late for a status line), as {@link ApiErrors#send} does.
     */
    public static void send(HttpServerResponse response, ApiError error) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            response.reset();
            return;
        }
        int status = status(error);
        response.setStatusCode(status);
        if (status == OVERLOADED) {
            response.setStatusMessage("Overloaded");
        }
        response.headers().set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        long retryAfter = error.retryAfterSeconds();
        if (retryAfter > 0) {
            response.headers().set(RETRY_AFTER, Long.toString(retryAfter));
        }
        response.end(body(error));
    }

    /** Ends the response with {@code error} in Anthropic's shape when {@code anthropic}, else in OpenAI's. */
    public static void send(HttpServerResponse response, ApiError error, boolean anthropic) {
        if (anthropic) {
            send(response, error);
        } else {
            ApiErrors.send(response, error);
        }
    }
}
