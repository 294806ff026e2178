package io.vgate.streaming;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads token usage from vLLM's JSON (a response body or one stream chunk) with Jackson's streaming
 * parser: it skips everything but the top-level {@code choices} and {@code usage}, so even a large
 * embeddings body costs no object tree.
 */
public final class UsageReader {

    /**
     * Usage found in a JSON object.
     *
     * @param promptTokens {@code usage.prompt_tokens}
     * @param completionTokens {@code usage.completion_tokens} (0 for embeddings)
     * @param noChoices true when {@code "choices":[]} came before the usage: a stream's usage-only chunk
     */
    public record Usage(long promptTokens, long completionTokens, boolean noChoices) {}

    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] USAGE_KEY = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    private UsageReader() {}

    /**
     * The usage of a JSON object, or {@code null} when it has none or is not valid JSON. Reads OpenAI's
     * names ({@code prompt_tokens}, {@code completion_tokens}) and those of the Responses and Anthropic
     * Messages APIs ({@code input_tokens}, {@code output_tokens}; Anthropic's cache reads and writes, which
     * its {@code input_tokens} leaves out, count as prompt tokens too).
     */
    public static Usage read(Buffer json) {
        return counted(readRaw(json));
    }

    /** A raw usage as {@link #read} returns it: none without a prompt count, a missing completion count 0. */
    private static Usage counted(Usage usage) {
        if (usage == null || usage.promptTokens() < 0) {
            return null;
        }
        return usage.completionTokens() >= 0 ? usage : new Usage(usage.promptTokens(), 0, usage.noChoices());
    }

    /** The top-level usage with -1 for a count it lacks, or {@code null} when there is no usage object. */
    static Usage readRaw(Buffer json) {
        return scan(json, false).usage();
    }

    /**
     * A whole JSON answer's top-level {@code model} and usage (as {@link #read} and {@link #model} find them),
     * read in one pass over its bytes.
     */
    public static Answer readAnswer(Buffer json) {
        Answer raw = scan(json, true);
        return new Answer(raw.model(), counted(raw.usage()));
    }

    /**
     * The model and usage of a JSON answer.
     *
     * @param model the top-level {@code model}, or {@code null}
     * @param usage the usage, or {@code null}
     */
    public record Answer(String model, Usage usage) {}

    /**
     * Walks the top-level fields for the usage (raw: -1 for a count it lacks) and, when {@code withModel}, the
     * model; without it, stops at the usage. What was found before a parse error is kept.
     */
    private static Answer scan(Buffer json, boolean withModel) {
        String model = null;
        Usage usage = null;
        try (JsonParser parser = parser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return new Answer(null, null);
            }
            boolean emptyChoices = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (usage == null && "usage".equals(field) && value == JsonToken.START_OBJECT) {
                    usage = readUsage(parser, emptyChoices);
                } else if (usage == null && "meta".equals(field) && value == JsonToken.START_OBJECT) {
                    usage = readBilledUnits(parser);
                } else if (withModel && model == null && "model".equals(field) && value == JsonToken.VALUE_STRING) {
                    model = parser.getText();
                } else if ("choices".equals(field) && value == JsonToken.START_ARRAY) {
                    emptyChoices = parser.nextToken() == JsonToken.END_ARRAY;
                    if (!emptyChoices) {
                        do {
                            parser.skipChildren();
                        } while (parser.nextToken() != JsonToken.END_ARRAY);
                    }
                } else {
                    parser.skipChildren();
                }
                if (usage != null && (!withModel || model != null)) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON, or cut short: what was read before stands.
        }
        return new Answer(model, usage);
    }

    /** A parser over the buffer's bytes: its backing array when it has one (no copy), else a stream over them. */
    private static JsonParser parser(Buffer json) throws IOException {
        ByteBuf bytes = json.getByteBuf();
        if (bytes.hasArray()) {
            return JSON.createParser(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
        }
        return JSON.createParser((InputStream) new ByteBufInputStream(bytes));
    }

    /**
     * The top-level {@code model} of a JSON object (the model that served the request), or {@code null} when
     * it has none or is not valid JSON. Stops at the field, which vLLM writes near the start.
     */
    public static String model(Buffer json) {
        try (JsonParser parser = parser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(field)) {
                    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The usage in the last few kilobytes of a large JSON body, where vLLM writes it; {@code null} when
     * the tail holds no complete usage object.
     */
    public static Usage readTail(Buffer tail) {
        int key = lastIndexOf(tail, USAGE_KEY);
        if (key < 0) {
            return null;
        }
        for (int i = key + USAGE_KEY.length; i < tail.length(); i++) {
            byte b = tail.getByte(i);
            if (b == '{') {
                return read(Buffer.buffer("{\"usage\":").appendBuffer(tail.slice(i, tail.length())));
            }
            if (b != ':' && b != ' ') {
                return null;
            }
        }
        return null;
    }

    /**
     * Cohere's embed format ({@code /v2/embed}) reports its tokens as {@code meta.billed_units.input_tokens};
     * reads the rest of the {@code meta} object.
     */
    private static Usage readBilledUnits(JsonParser parser) throws IOException {
        long input = -1;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("billed_units".equals(key) && value == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String unit = parser.currentName();
                    JsonToken count = parser.nextToken();
                    if (count == JsonToken.VALUE_NUMBER_INT && "input_tokens".equals(unit)) {
                        input = parser.getLongValue();
                    } else {
                        parser.skipChildren();
                    }
                }
            } else {
                parser.skipChildren();
            }
        }
        return input < 0 ? null : new Usage(input, 0, false);
    }

    private static Usage readUsage(JsonParser parser, boolean emptyChoices) throws IOException {
        long prompt = -1;
        long completion = -1;
        long cached = 0;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value != JsonToken.VALUE_NUMBER_INT) {
                parser.skipChildren();
                continue;
            }
            switch (key) {
                case "prompt_tokens", "input_tokens" -> prompt = parser.getLongValue();
                case "completion_tokens", "output_tokens" -> completion = parser.getLongValue();
                case "cache_read_input_tokens", "cache_creation_input_tokens" -> cached += parser.getLongValue();
                default -> {
                    // Details and totals: the two counts above are what limits and metrics need.
                }
            }
        }
        return new Usage(prompt >= 0 ? prompt + cached : -1, completion, emptyChoices);
    }

    /**
     * The usage inside the top-level object {@code outer} ({@code response.usage} of a Responses event,
     * {@code message.usage} of Anthropic's {@code message_start}), with -1 for a count it lacks; {@code null}
     * when there is none.
     */
    static Usage readIn(Buffer json, String outer) {
        try (JsonParser parser = parser(json)) {
            if (!enter(parser, outer)) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("usage".equals(field) && value == JsonToken.START_OBJECT) {
                    return readUsage(parser, false);
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The {@code model} inside the top-level object {@code outer}, or {@code null}. */
    static String modelIn(Buffer json, String outer) {
        try (JsonParser parser = parser(json)) {
            if (!enter(parser, outer)) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(field)) {
                    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Moves the parser into the top-level object field {@code outer}; false when there is none. */
    private static boolean enter(JsonParser parser, String outer) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            return false;
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            if (outer.equals(field) && value == JsonToken.START_OBJECT) {
                return true;
            }
            parser.skipChildren();
        }
        return false;
    }

    private static int lastIndexOf(Buffer buffer, byte[] needle) {
        outer:
        for (int i = buffer.length() - needle.length; i >= 0; i--) {
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
