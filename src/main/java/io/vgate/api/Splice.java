package io.vgate.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Sets top-level fields in a JSON object's bytes without parsing it again: a field the body has gets its value
 * replaced where the {@link RequestScan} found it, a field it lacks is added before the closing brace. Every
 * other byte stays as the client wrote it.
 */
final class Splice {

    private Splice() {}

    /**
     * The body with {@code edits} made, or {@code null} when a splice could be wrong (a name the body has twice,
     * where a tree keeps only the last) and the caller must edit a tree instead.
     */
    static Buffer apply(Buffer original, RequestScan scan, Map<String, JsonNode> edits, ObjectMapper mapper) {
        if (scan.duplicateNames()) {
            return null;
        }
        int count = edits.size();
        int[] starts = new int[count];
        int[] ends = new int[count];
        byte[][] values = new byte[count][];
        int replaced = 0;
        Buffer added = Buffer.buffer();
        boolean comma = !scan.empty();
        for (var edit : edits.entrySet()) {
            byte[] value = json(mapper, edit.getValue());
            int field = scan.field(edit.getKey());
            if (field < 0) {
                if (comma) {
                    added.appendByte((byte) ',');
                }
                added.appendBytes(json(mapper, edit.getKey()))
                        .appendByte((byte) ':')
                        .appendBytes(value);
                comma = true;
                continue;
            }
            // Kept in order of position, for one pass over the original.
            int start = scan.valueStart(field);
            int at = replaced;
            while (at > 0 && starts[at - 1] > start) {
                starts[at] = starts[at - 1];
                ends[at] = ends[at - 1];
                values[at] = values[at - 1];
                at--;
            }
            starts[at] = start;
            ends[at] = scan.valueEnd(field, original);
            values[at] = value;
            replaced++;
        }
        Buffer out = Buffer.buffer(original.length() + added.length() + 64);
        int position = 0;
        for (int i = 0; i < replaced; i++) {
            out.appendBuffer(original, position, starts[i] - position).appendBytes(values[i]);
            position = ends[i];
        }
        int brace = scan.closingBrace();
        out.appendBuffer(original, position, brace - position)
                .appendBuffer(added)
                .appendBuffer(original, brace, original.length() - brace);
        return out;
    }

    private static byte[] json(ObjectMapper mapper, Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
