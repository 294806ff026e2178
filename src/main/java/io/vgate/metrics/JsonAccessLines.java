package io.vgate.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;

/**
 * Access lines as compact JSON, one object per line, built once on the access log's writer thread with
 * Jackson's streaming generator into a reused buffer and written to {@code out} in few system calls:
 * <pre>
 * {"timestamp":"2026-01-02T03:04:05.678Z","level":"INFO","loggerName":"io.vgate.access",
 *  "message":"POST /v1/chat/completions 200 completed 12.345ms model=m tokens=9/12 id=…","mdc":{"requestId":…}}
 * </pre>
 * (on one line). The shape is the console JSON format's (quarkus-logging-json) without the fields that say
 * nothing per request (sequence, host and process names, thread, ndc). The timestamp is UTC with milliseconds.
 * <p>
 * Lines are gathered and written together, whole lines only, at most {@value #MAX_WRITE} bytes per write (a
 * longer line alone): on a pipe (a container's stdout) a write of at most {@code PIPE_BUF} (4096) bytes is
 * atomic, so an access line never interleaves mid-line with another writer's output.
 */
final class JsonAccessLines implements AccessLogWriter.Lines {

    /** Largest write of several lines: Linux's {@code PIPE_BUF}. */
    static final int MAX_WRITE = 4096;

    private static final JsonFactory JSON = new JsonFactory();
    private static final SerializableString TIMESTAMP = new SerializedString("timestamp");
    private static final SerializableString LEVEL = new SerializedString("level");
    private static final SerializableString INFO = new SerializedString("INFO");
    private static final SerializableString LOGGER_NAME = new SerializedString("loggerName");
    private static final SerializableString CATEGORY = new SerializedString(AccessLog.CATEGORY);
    private static final SerializableString MESSAGE = new SerializedString("message");
    private static final SerializableString MDC = new SerializedString("mdc");
    private static final SerializableString[] KEYS =
            Arrays.stream(AccessLog.KEYS).map(SerializedString::new).toArray(SerializableString[]::new);

    private final OutputStream out;
    private final Buffer buffer = new Buffer(2 * MAX_WRITE);
    private final String[] values = new String[AccessLog.KEYS.length];
    private final StringBuilder message = new StringBuilder(256);
    private final char[] timestamp = "0000-00-00T00:00:00.000Z".toCharArray();
    private char[] chars = new char[256];
    private long timestampSecond = Long.MIN_VALUE;
    private JsonGenerator json;
    private int buffered;

    JsonAccessLines(OutputStream out) {
        this.out = out;
        this.json = generator(buffer);
    }

    @Override
    public void add(ExchangeRecord exchange, long epochMillis) throws IOException {
        buffered++;
        int start = buffer.size;
        AccessLog.values(exchange, values);
        message.setLength(0);
        AccessLog.message(exchange, values, message);

        json.writeStartObject();
        json.writeFieldName(TIMESTAMP);
        json.writeString(timestamp(epochMillis), 0, timestamp.length);
        json.writeFieldName(LEVEL);
        json.writeString(INFO);
        json.writeFieldName(LOGGER_NAME);
        json.writeString(CATEGORY);
        json.writeFieldName(MESSAGE);
        writeString(message);
        json.writeFieldName(MDC);
        json.writeStartObject();
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                json.writeFieldName(KEYS[i]);
                json.writeString(values[i]);
            }
        }
        json.writeEndObject();
        json.writeEndObject();
        json.flush();
        buffer.write('\n');

        if (buffer.size > MAX_WRITE) {
            if (start > 0) {
                out.write(buffer.bytes, 0, start);
                buffered = 1;
                buffer.dropFirst(start);
            }
            if (buffer.size > MAX_WRITE) {
                out.write(buffer.bytes, 0, buffer.size);
                buffered = 0;
                buffer.size = 0;
            }
        }
    }

    @Override
    public void flush() throws IOException {
        if (buffer.size > 0) {
            out.write(buffer.bytes, 0, buffer.size);
            buffered = 0;
            buffer.size = 0;
        }
        out.flush();
    }

    @Override
    public int discard() {
        int lost = buffered;
        buffered = 0;
        buffer.size = 0;
        // A failure may have left the generator inside an object: start a new one.
        json = generator(buffer);
        return lost;
    }

    private void writeString(StringBuilder text) throws IOException {
        int length = text.length();
        if (chars.length < length) {
            chars = new char[Math.max(length, 2 * chars.length)];
        }
        text.getChars(0, length, chars, 0);
        json.writeString(chars, 0, length);
    }

    /** {@code epochMillis} as ISO-8601 UTC with milliseconds; the date and time part is reused within a second. */
    char[] timestamp(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        if (second != timestampSecond) {
            timestampSecond = second;
            LocalDateTime time = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC);
            digits(time.getYear(), 0, 4);
            digits(time.getMonthValue(), 5, 2);
            digits(time.getDayOfMonth(), 8, 2);
            digits(time.getHour(), 11, 2);
            digits(time.getMinute(), 14, 2);
            digits(time.getSecond(), 17, 2);
        }
        digits((int) Math.floorMod(epochMillis, 1000), 20, 3);
        return timestamp;
    }

    private void digits(int value, int at, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            timestamp[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    private static JsonGenerator generator(Buffer buffer) {
        try {
            JsonGenerator generator = JSON.createGenerator(buffer);
            // Lines are separated by the newline written after each, not by Jackson's root separator.
            generator.setRootValueSeparator(null);
            return generator;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A growable byte buffer the generator writes into. */
    private static final class Buffer extends OutputStream {
        byte[] bytes;
        int size;

        Buffer(int capacity) {
            bytes = new byte[capacity];
        }

        @Override
        public void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        /** Removes the first {@code count} bytes. */
        void dropFirst(int count) {
            System.arraycopy(bytes, count, bytes, 0, size - count);
            size -= count;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + more, 2 * bytes.length));
            }
        }
    }
}
