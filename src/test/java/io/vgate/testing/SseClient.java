package io.vgate.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vgate.streaming.SseFramer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A test client that records an HTTP response as it arrives: each SSE event with its arrival time, or a
 * plain body, and can drop the connection at any moment like a user closing a tab. Built on a bare
 * Vert.x client so that tests see exactly the bytes on the wire.
 */
public final class SseClient implements AutoCloseable {

    /** One event as received: its exact bytes and when it arrived. */
    public record Event(String text, long arrivalNanos) {}

    private final HttpClient client;

    public SseClient(Vertx vertx) {
        this.client = vertx.createHttpClient(
                new HttpClientOptions().setKeepAlive(false).setMaxPoolSize(64));
    }

    /** Starts a POST of {@code json} to {@code url}; the returned call fills in as bytes arrive. */
    public Call post(URI url, String json, MultiMap headers) {
        var call = new Call();
        var options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url.toString())
                .putHeader("Content-Type", "application/json");
        if (headers != null) {
            headers.forEach(options::putHeader);
        }
        client.request(options)
                .compose(request -> {
                    call.request = request;
                    return request.send(Buffer.buffer(json));
                })
                .onSuccess(response -> {
                    call.status.complete(response.statusCode());
                    call.headers.complete(response.headers());
                    var framer = new SseFramer(event ->
                            call.events.add(new Event(event.toString(StandardCharsets.UTF_8), System.nanoTime())));
                    response.handler(chunk -> {
                        call.body.appendBuffer(chunk);
                        framer.feed(chunk);
                    });
                    response.endHandler(ignored -> call.done.complete(call.body.toString(StandardCharsets.UTF_8)));
                    response.exceptionHandler(call.done::completeExceptionally);
                })
                .onFailure(failure -> {
                    call.status.completeExceptionally(failure);
                    call.done.completeExceptionally(failure);
                });
        return call;
    }

    @Override
    public void close() {
        client.close()
                .toCompletionStage()
                .toCompletableFuture()
                .orTimeout(5, TimeUnit.SECONDS)
                .join();
    }

    /** A response in progress. */
    public static final class Call {
        private volatile HttpClientRequest request;
        private final CompletableFuture<Integer> status = new CompletableFuture<>();
        private final CompletableFuture<MultiMap> headers = new CompletableFuture<>();
        private final CompletableFuture<String> done = new CompletableFuture<>();
        private final List<Event> events = new CopyOnWriteArrayList<>();
        private final Buffer body = Buffer.buffer();

        /** SSE events received so far. */
        public List<Event> events() {
            return events;
        }

        public int status() {
            return status.orTimeout(30, TimeUnit.SECONDS).join();
        }

        public MultiMap headers() {
            return headers.orTimeout(30, TimeUnit.SECONDS).join();
        }

        /** Waits for the whole body. */
        public String body() {
            return done.orTimeout(60, TimeUnit.SECONDS).join();
        }

        /** Completes when the response ends (or fails when the connection breaks). */
        public CompletableFuture<String> completion() {
            return done;
        }

        /** Drops the connection, as a client that goes away does. */
        public void disconnect() {
            HttpClientRequest current = request;
            if (current != null) {
                current.connection().close();
            }
        }
    }
}
