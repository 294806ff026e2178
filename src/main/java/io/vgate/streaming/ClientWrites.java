package io.vgate.streaming;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * The relay's writes to the client: chunked, or close-delimited for a client that cannot take chunked encoding,
 * with the client's pace setting vLLM's, and a backlog of events written in two writes rather than one per event.
 * <p>
 * Events are written the moment they are whole. An event that follows a write within moments (vLLM's later HTTP
 * chunks that one socket read brought, which Vert.x hands over one by one) is held with the rest of the turn's and
 * written when the event loop ends the turn, so a backlog costs two writes and flushes, not one per event, and
 * nothing is held past the turn; an event arriving alone costs one write and no task. Writes carry no completion handler: a write that fails
 * closes the client's connection, whose close the exchange reports to the relay.
 * <p>
 * When the client's write queue fills, reading from vLLM pauses until it drains. One instance per response, used
 * on the client request's event loop.
 */
final class ClientWrites {

    private static final CharSequence CLOSE = HttpHeaders.createOptimized("close");
    /**
     * An event this soon after the last write most likely came in the same socket read from vLLM (Vert.x hands a
     * read's chunks over back to back, microseconds apart); one alone at a model's pace is milliseconds apart.
     * Only a likely backlog pays for marking the end of the turn; a wrong guess either way costs a task or a
     * write, never a delay.
     */
    private static final long SAME_READ_NANOS = 100_000;

    private final HttpClientResponse upstream;
    private final HttpServerResponse client;
    private final Handler<Void> drained;
    /** The event loop the relay runs on, where the end of a turn is marked; {@code null} off a Vert.x thread. */
    private final Context context;

    private final Handler<Void> turnEnded = ignored -> endTurn();
    /** Events forwarded soon after a write, written together when the event loop ends the turn. */
    private Buffer held;
    /** {@link System#nanoTime()} of the last write to the client. */
    private long lastWrite = System.nanoTime() - 2 * SAME_READ_NANOS;
    /** The body ends with the connection: the client cannot take chunked encoding (HTTP/1.0). */
    private boolean closeDelimited;

    ClientWrites(HttpClientResponse upstream, HttpServerResponse client) {
        this.upstream = upstream;
        this.client = client;
        this.drained = ignored -> upstream.resume();
        this.context = Vertx.currentContext();
    }

    /**
     * Chunked encoding for a body of unknown length, or, for a client that cannot take it (HTTP/1.0, where
     * Vert.x ignores {@code setChunked}), a body that ends when the connection closes.
     */
    void chunkOrDelimitByClose() {
        client.setChunked(true);
        if (!client.isChunked()) {
            closeDelimited = true;
            client.headers().set(HttpHeaders.CONNECTION, CLOSE);
        }
    }

    /** Sends the response head now, before any event: the client knows the stream is open before the first token. */
    void sendHead() {
        if (closeDelimited) {
            // writeHead insists on a length or chunked encoding, even for HTTP/1.0; an empty write sends the head.
            client.write(Buffer.buffer(), null);
        } else {
            client.writeHead();
        }
    }

    /** Forwards the whole events at {@code [start, end)} of {@code bytes}: at once, or with the turn's others. */
    void forward(Buffer bytes, int start, int end) {
        if (client.closed() || client.ended()) {
            return;
        }
        if (held == null) {
            if (context == null || System.nanoTime() - lastWrite > SAME_READ_NANOS) {
                write(start == 0 && end == bytes.length() ? bytes : bytes.slice(start, end));
                return;
            }
            held = Buffer.buffer(Math.max(256, 2 * (end - start)));
            context.runOnContext(turnEnded);
        }
        held.appendBuffer(bytes, start, end - start);
    }

    /** Writes {@code bytes} now, after whatever events are held. */
    void write(Buffer bytes) {
        if (client.closed() || client.ended()) {
            held = null;
            return;
        }
        Buffer out = bytes;
        if (held != null) {
            out = held.appendBuffer(bytes);
            held = null;
        }
        client.write(out, null);
        lastWrite = System.nanoTime();
        if (client.writeQueueFull()) {
            upstream.pause();
            client.drainHandler(drained);
        }
    }

    /** Ends the response after whatever events are held; a close-delimited one by closing the connection. */
    void end() {
        if (held != null) {
            write(Buffer.buffer());
        }
        if (!client.closed() && !client.ended()) {
            client.end();
            if (closeDelimited) {
                // The connection's close is the body's end; Vert.x would keep an HTTP/1.0 keep-alive one open.
                client.close();
            }
        }
    }

    /** The event loop finished the turn: what was held goes out now, in one write. */
    private void endTurn() {
        if (held != null) {
            write(Buffer.buffer());
        }
    }
}
