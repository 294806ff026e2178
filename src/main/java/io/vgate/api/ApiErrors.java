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

/**
 * Serialises {@link ApiError}s: as a JSON response, or as one SSE {@code data:} event for a stream that
 * has already started. Written with Jackson's streaming generator, so no reflection is involved (native
 * friendly) and field order is fixed: message, type, param, code.
 */
public final class ApiErrors {

    private static final JsonFactory JSON = new JsonFactory();
    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
    private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");

    private ApiErrors() {}

    /** The error body {@code {"error":{…}}}. */
    public static Buffer toJson(ApiError error) {
        var bytes = Unpooled.buffer(128 + error.message().length());
        try (var out = new ByteBufOutputStream(bytes);
                JsonGenerator json = JSON.createGenerator((OutputStream) out)) {
            json.writeStartObject();
            json.writeObjectFieldStart("error");
            json.writeStringField("message", error.message());
            json.writeStringField("type", error.type());
            json.writeStringField("param", error.param());
            json.writeStringField("code", error.code());
            json.writeEndObject();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Buffer.buffer(bytes);
    }

    /** The error as one SSE event, {@code data: {"error":{…}}} and a blank line. */
    public static Buffer toSseEvent(ApiError error) {
        return Buffer.buffer("data: ").appendBuffer(toJson(error)).appendString("\n\n");
    }

    /**
     * Ends the response with the error: status, JSON body and {@code Retry-After} when the error has one.
     * Does nothing if the response has already ended or its connection is gone.
     */
    public static void send(HttpServerResponse response, ApiError error) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            // Too late for a status line: the caller should have used an SSE event instead.
            response.reset();
            return;
        }
        response.setStatusCode(error.status());
        response.headers().set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        long retryAfter = error.retryAfterSeconds();
        if (retryAfter > 0) {
            response.headers().set(RETRY_AFTER, Long.toString(retryAfter));
        }
        response.end(toJson(error));
    }
}
