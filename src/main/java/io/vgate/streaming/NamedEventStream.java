package io.vgate.streaming;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiError;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads one stream of named SSE events ({@code event:} lines, no {@code [DONE]}) for the relay, which forwards
 * every event's bytes unchanged and asks this what each one was: the first output token, the stream's end
 * event, an error vLLM sent in the stream, and the usage. It also writes the event that tells the client
 * vgate ended the stream early. One instance per stream, used on the stream's event loop.
 */
abstract sealed class NamedEventStream permits ResponsesStream, MessagesStream {

    /** What an event means to the relay. */
    enum Kind {
        /** Generated output (a delta): the first of these is the time to first token. */
        OUTPUT,
        /** The stream's end event: the answer is whole. */
        END,
        /** vLLM's own error event: the stream will end without its end event, the client already told. */
        ERROR,
        /** Anything else. */
        OTHER
    }

    static final JsonFactory JSON = new JsonFactory();

    private boolean ended;
    private boolean upstreamError;
    /** The fields of the event {@link #see} last looked at, read again in place for each event. */
    private final EventFields current = new EventFields();

    private boolean seen;

    /** Looks at one complete event before it is forwarded, and says what it is. */
    final Kind see(Buffer event) {
        return see(event, 0, event.length());
    }

    /** {@link #see(Buffer)} for the event at {@code [start, end)} of {@code bytes}. */
    final Kind see(Buffer bytes, int start, int end) {
        EventFields fields = current.read(bytes, start, end);
        seen = true;
        Kind kind = kind(fields);
        if (kind == Kind.END) {
            ended = true;
        } else if (kind == Kind.ERROR) {
            upstreamError = true;
        }
        return kind;
    }

    /** Classifies an event, reading what it carries (usage, sequence numbers) on the way. */
    abstract Kind kind(EventFields fields);

    /** The model the event {@link #see} last looked at names, or {@code null}; call before the event is written. */
    final String model() {
        Buffer data = seen ? current.data() : null;
        return data == null ? null : model(data);
    }

    /** The served model in an event's JSON, or {@code null}. */
    abstract String model(Buffer data);

    /** Usage complete enough to charge and record, once, as soon as the stream has said it; else {@code null}. */
    abstract UsageReader.Usage takeUsage();

    /** Whatever usage the stream said but {@link #takeUsage()} did not hand out (a stream cut short), once. */
    abstract UsageReader.Usage leftoverUsage();

    /** True once the stream's end event was seen. */
    final boolean ended() {
        return ended;
    }

    /** True once vLLM itself sent an error event in the stream. */
    final boolean upstreamError() {
        return upstreamError;
    }

    /** The event that tells the client vgate ended the stream with {@code error}. */
    abstract Buffer errorEvent(ApiError error);

    /** {@code event: <name>\ndata: <json>\n\n}. */
    static Buffer event(String name, JsonBody body) {
        var bytes = Unpooled.buffer(256);
        bytes.writeCharSequence("event: " + name + "\ndata: ", StandardCharsets.US_ASCII);
        try (var out = new ByteBufOutputStream(bytes);
                JsonGenerator json = JSON.createGenerator((OutputStream) out)) {
            body.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        bytes.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
        return Buffer.buffer(bytes);
    }

    /** Writes one JSON value. */
    @FunctionalInterface
    interface JsonBody {
        void write(JsonGenerator json) throws IOException;
    }
}
