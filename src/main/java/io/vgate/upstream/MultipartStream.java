package io.vgate.upstream;

import io.vertx.core.buffer.Buffer;
import io.vgate.api.ApiError;
import io.vgate.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body on its way to vLLM, rewritten as it streams: file parts pass straight
 * through, chunk by chunk, so an upload is never held in memory; the few small form fields vgate must read
 * ({@link #HELD}: {@code model}, {@code stream}) are held back, handed to {@link Fields} once complete (which may
 * rewrite them or refuse the request), and sent last, just before the closing boundary.
 * <p>
 * Holding them back makes the order of the client's parts irrelevant: the {@code model} field may come after a
 * 25 MB file, and vLLM still never receives a complete body (its server parses the whole form before running
 * anything) until vgate has checked the model. Preamble and epilogue are dropped; everything else keeps its
 * bytes. One instance per request; not thread-safe.
 */
public final class MultipartStream {

    /** The form fields held back until the end and shown to {@link Fields}. */
    public static final Set<String> HELD = Set.of("model", "stream");

    /** Largest value of a held field. */
    static final int MAX_FIELD_BYTES = 1024;
    /** Largest header block of one part. */
    static final int MAX_HEADER_BYTES = 16 * 1024;

    private static final Pattern BOUNDARY = Pattern.compile(
            "(?i)^\\s*multipart/form-data\\s*;(?:.*;)?\\s*boundary\\s*=\\s*(\"([^\"]{1,70})\"|([^\\s;\"]{1,70}))");
    private static final Pattern NAME = Pattern.compile("(?i)(?:^|;)\\s*name\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;]+))");
    private static final Pattern FILENAME = Pattern.compile("(?i)(?:^|;)\\s*filename\\*?\\s*=");
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};

    /** Reads (and may rewrite) the held fields. */
    @FunctionalInterface
    public interface Fields {
        /**
         * A held field, complete. Returns the value to send to vLLM.
         *
         * @throws ApiException to refuse the request
         */
        String field(String name, String value);
    }

    private enum State {
        PREAMBLE,
        AFTER_DELIMITER,
        HEADERS,
        CONTENT,
        END
    }

    private final String boundary;
    private final byte[] delimiter;
    private final Fields fields;
    private final List<Buffer> held = new ArrayList<>();
    private Buffer pending = Buffer.buffer(CRLF); // the first boundary has no CRLF before it: lend it one
    private State state = State.PREAMBLE;
    private String heldName;
    private Buffer heldValue;

    private MultipartStream(String boundary, Fields fields) {
        this.boundary = boundary;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
        this.fields = fields;
    }

    /**
     * The stream for a request of {@code contentType}.
     *
     * @throws ApiException (415) when the request is not {@code multipart/form-data} with a boundary
     */
    public static MultipartStream of(String contentType, Fields fields) {
        String boundary = boundary(contentType);
        if (boundary == null) {
            throw new ApiException(new ApiError(
                    415,
                    ApiError.INVALID_REQUEST,
                    "unsupported_media_type",
                    "Content-Type must be multipart/form-data with a boundary.",
                    null,
                    null));
        }
        return new MultipartStream(boundary, fields);
    }

    /** The boundary of a {@code multipart/form-data} content type, or {@code null}. */
    static String boundary(String contentType) {
        if (contentType == null) {
            return null;
        }
        Matcher matcher = BOUNDARY.matcher(contentType);
        if (!matcher.find()) {
            return null;
        }
        return matcher.group(2) != null ? matcher.group(2) : matcher.group(3);
    }

    /** The content type of what is sent to vLLM: the same boundary. */
    public String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /**
     * Takes the next bytes of the client's body; returns what can go to vLLM now (possibly nothing).
     *
     * @throws ApiException (400) for a malformed body or an oversized held field, or what {@link Fields} threw
     */
    public Buffer feed(Buffer chunk) {
        pending.appendBuffer(chunk);
        Buffer out = Buffer.buffer();
        boolean progress = true;
        while (progress) {
            progress = switch (state) {
                case PREAMBLE -> preamble();
                case AFTER_DELIMITER -> afterDelimiter(out);
                case HEADERS -> headers(out);
                case CONTENT -> content(out);
                case END -> {
                    pending = Buffer.buffer();
                    yield false;
                }
            };
        }
        return out;
    }

    /**
     * The client's body has ended: returns the held fields and the closing boundary, the last bytes for vLLM.
     *
     * @throws ApiException (400) when the body ended before its closing boundary
     */
    public Buffer finish() {
        if (state != State.END) {
            throw malformed("The multipart body ended before its closing boundary.");
        }
        Buffer out = Buffer.buffer();
        held.forEach(out::appendBuffer);
        return out.appendString("--" + boundary + "--\r\n");
    }

    private boolean preamble() {
        int at = indexOf(pending, delimiter, 0);
        if (at < 0) {
            // Keep only what may be the start of the delimiter.
            pending = tail(pending, delimiter.length - 1);
            return false;
        }
        pending = pending.getBuffer(at + delimiter.length, pending.length());
        state = State.AFTER_DELIMITER;
        return true;
    }

    private boolean afterDelimiter(Buffer out) {
        if (pending.length() < 2) {
            return false;
        }
        if (pending.getByte(0) == '-' && pending.getByte(1) == '-') {
            state = State.END;
            return true;
        }
        int lineEnd = indexOf(pending, CRLF, 0);
        if (lineEnd < 0) {
            if (pending.length() > 256) {
                throw malformed("A multipart boundary line is malformed.");
            }
            return false;
        }
        for (int i = 0; i < lineEnd; i++) {
            byte b = pending.getByte(i);
            if (b != ' ' && b != '\t') {
                throw malformed("A multipart boundary line is malformed.");
            }
        }
        pending = pending.getBuffer(lineEnd + 2, pending.length());
        state = State.HEADERS;
        return true;
    }

    private boolean headers(Buffer out) {
        int end = pending.length() >= 2 && pending.getByte(0) == '\r' && pending.getByte(1) == '\n'
                ? -2 // no headers at all
                : indexOf(pending, HEADER_END, 0);
        if (end == -1) {
            if (pending.length() > MAX_HEADER_BYTES) {
                throw malformed("A multipart part's headers are too large.");
            }
            return false;
        }
        String headers = end == -2 ? "" : pending.getString(0, end, "ISO-8859-1");
        pending = pending.getBuffer(end == -2 ? 2 : end + HEADER_END.length, pending.length());
        String disposition = disposition(headers);
        String name = disposition == null ? null : name(disposition);
        if (name != null
                && HELD.contains(name)
                && !FILENAME.matcher(disposition).find()) {
            heldName = name;
            heldValue = Buffer.buffer();
        } else {
            heldName = null;
            out.appendString("--" + boundary + "\r\n");
            if (!headers.isEmpty()) {
                out.appendString(headers, "ISO-8859-1").appendBytes(CRLF);
            }
            out.appendBytes(CRLF);
        }
        state = State.CONTENT;
        return true;
    }

    private boolean content(Buffer out) {
        int at = indexOf(pending, delimiter, 0);
        int upTo = at >= 0 ? at : Math.max(0, pending.length() - (delimiter.length - 1));
        if (upTo > 0) {
            Buffer part = pending.getBuffer(0, upTo);
            if (heldName != null) {
                if (heldValue.length() + part.length() > MAX_FIELD_BYTES) {
                    throw malformed("The form field '" + heldName + "' is longer than " + MAX_FIELD_BYTES + " bytes.");
                }
                heldValue.appendBuffer(part);
            } else {
                out.appendBuffer(part);
            }
        }
        if (at < 0) {
            pending = pending.getBuffer(upTo, pending.length());
            return false;
        }
        pending = pending.getBuffer(at + delimiter.length, pending.length());
        if (heldName != null) {
            hold(heldName, heldValue.toString(StandardCharsets.UTF_8));
        } else {
            out.appendBytes(CRLF);
        }
        state = State.AFTER_DELIMITER;
        return true;
    }

    private void hold(String name, String value) {
        String sent = fields.field(name, value);
        held.add(Buffer.buffer("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n")
                .appendString(sent == null ? value : sent, "UTF-8")
                .appendBytes(CRLF));
    }

    /** The value of the {@code Content-Disposition} header in a part's header block, or {@code null}. */
    private static String disposition(String headers) {
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0
                    && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-disposition")) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String name(String disposition) {
        Matcher matcher = NAME.matcher(disposition);
        if (!matcher.find()) {
            return null;
        }
        return matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
    }

    private static ApiException malformed(String message) {
        return new ApiException(new ApiError(400, ApiError.INVALID_REQUEST, "invalid_multipart", message, null, null));
    }

    private static Buffer tail(Buffer buffer, int keep) {
        return buffer.length() <= keep ? buffer : buffer.getBuffer(buffer.length() - keep, buffer.length());
    }

    static int indexOf(Buffer buffer, byte[] needle, int from) {
        int last = buffer.length() - needle.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buffer.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
