package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiError;
import java.nio.charset.StandardCharsets;

/**
 * A Responses API stream: every event is named, output arrives in {@code *.delta} events (text, reasoning,
 * function-call arguments), and the stream ends with {@code response.completed} (vLLM's only terminal event;
 * OpenAI's {@code response.incomplete} and {@code response.failed} end it as well), whose {@code response.usage}
 * carries {@code input_tokens} and {@code output_tokens}. Each event has a {@code sequence_number}, counting up
 * from 0; vgate's own {@code error} event takes the next one.
 */
final class ResponsesStream extends NamedEventStream {

    private static final byte[] DELTA = ascii(".delta");
    private static final byte[] COMPLETED = ascii("response.completed");
    private static final byte[] INCOMPLETE = ascii("response.incomplete");
    private static final byte[] FAILED = ascii("response.failed");
    private static final byte[] ERROR = ascii("error");
    private static final byte[] SEQUENCE = ascii("\"sequence_number\":");
    /** How far from the end of an event's JSON its {@code sequence_number} is looked for (keys are sorted). */
    private static final int SEQUENCE_WINDOW = 160;

    private long lastSequence = -1;
    private UsageReader.Usage usage;

    @Override
    Kind kind(EventFields fields) {
        Buffer data = fields.dataBytes();
        lastSequence = data == null
                ? lastSequence + 1
                : sequenceNumber(data, fields.dataFrom(), fields.dataTo(), lastSequence + 1);
        if (fields.nameEndsWith(DELTA)) {
            return Kind.OUTPUT;
        }
        if (fields.nameIs(COMPLETED) || fields.nameIs(INCOMPLETE) || fields.nameIs(FAILED)) {
            Buffer json = fields.data();
            usage = json == null ? null : UsageReader.readIn(json, "response");
            return Kind.END;
        }
        if (fields.nameIs(ERROR)) {
            return Kind.ERROR;
        }
        return Kind.OTHER;
    }

    @Override
    String model(Buffer data) {
        return UsageReader.modelIn(data, "response");
    }

    @Override
    UsageReader.Usage takeUsage() {
        UsageReader.Usage found = usage;
        usage = null;
        return found == null || found.promptTokens() < 0
                ? null
                : new UsageReader.Usage(found.promptTokens(), Math.max(0, found.completionTokens()), false);
    }

    @Override
    UsageReader.Usage leftoverUsage() {
        return null;
    }

    /**
     * {@code event: error} with OpenAI's {@code ResponseErrorEvent}: {@code code}, {@code message}, {@code param},
     * {@code sequence_number} (the next one) and {@code type}, keys sorted as vLLM sorts an event's.
     */
    @Override
    Buffer errorEvent(ApiError error) {
        long sequence = lastSequence + 1;
        return event("error", json -> {
            json.writeStartObject();
            json.writeStringField("code", error.code());
            json.writeStringField("message", error.message());
            json.writeStringField("param", error.param());
            json.writeNumberField("sequence_number", sequence);
            json.writeStringField("type", "error");
            json.writeEndObject();
        });
    }

    /** The event's {@code sequence_number}, or {@code otherwise} when it has none near its end. */
    static long sequenceNumber(Buffer data, long otherwise) {
        return data == null ? otherwise : sequenceNumber(data, 0, data.length(), otherwise);
    }

    /** {@link #sequenceNumber(Buffer, long)} of the JSON at {@code [start, end)} of {@code bytes}. */
    static long sequenceNumber(Buffer data, int start, int end, long otherwise) {
        int from = Math.max(start, end - SEQUENCE_WINDOW);
        int at = -1;
        for (int i = end - SEQUENCE.length; i >= from; i--) {
            if (matches(data, i) && (i == start || data.getByte(i - 1) != '\\')) {
                at = i + SEQUENCE.length;
                break;
            }
        }
        if (at < 0) {
            return otherwise;
        }
        while (at < end && data.getByte(at) == ' ') {
            at++;
        }
        long value = 0;
        int digits = 0;
        while (at < end && digits < 18) {
            byte b = data.getByte(at);
            if (b < '0' || b > '9') {
                break;
            }
            value = value * 10 + (b - '0');
            digits++;
            at++;
        }
        return digits == 0 ? otherwise : value;
    }

    private static boolean matches(Buffer data, int at) {
        for (int j = 0; j < SEQUENCE.length; j++) {
            if (data.getByte(at + j) != SEQUENCE[j]) {
                return false;
            }
        }
        return true;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
