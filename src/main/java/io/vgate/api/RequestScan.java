package io.vgate.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.Arrays;

/**
 * One streaming pass over the top level of a request body, reading only the fields vgate routes by and skipping
 * the rest without building anything: what each routing field holds (last occurrence wins, as in a JSON tree),
 * where each top-level value lies in the bytes (so small edits can be spliced in), and, for a chat, what the
 * cheap bound of context fitting adds up over the messages and tools.
 * <p>
 * It judges only syntax; {@link RequestParser} judges the values.
 */
public final class RequestScan {

    /** A float's text as a JSON tree writes it back is at most this long ({@code -2.2250738585072014E-308}). */
    static final int MAX_FLOAT_TEXT = 24;

    /** The top-level fields vgate reads. */
    enum Key {
        MODEL,
        STREAM,
        STREAM_OPTIONS,
        MESSAGES,
        PROMPT,
        INPUT,
        MAX_TOKENS,
        MAX_COMPLETION_TOKENS,
        MAX_OUTPUT_TOKENS,
        N,
        PREVIOUS_RESPONSE_ID,
        REQUEST_ID,
        CHAT_TEMPLATE,
        TOOLS;

        static Key of(String name) {
            return switch (name) {
                case "model" -> MODEL;
                case "stream" -> STREAM;
                case "stream_options" -> STREAM_OPTIONS;
                case "messages" -> MESSAGES;
                case "prompt" -> PROMPT;
                case "input" -> INPUT;
                case "max_tokens" -> MAX_TOKENS;
                case "max_completion_tokens" -> MAX_COMPLETION_TOKENS;
                case "max_output_tokens" -> MAX_OUTPUT_TOKENS;
                case "n" -> N;
                case "previous_response_id" -> PREVIOUS_RESPONSE_ID;
                case "request_id" -> REQUEST_ID;
                case "chat_template" -> CHAT_TEMPLATE;
                case "tools" -> TOOLS;
                default -> null;
            };
        }
    }

    /**
     * What one routing field holds: its first token, the text of a string, a number's value, and for
     * {@code stream_options} whether it asks for usage.
     */
    static final class Value {
        final JsonToken token;
        String text;
        JsonParser.NumberType numberType;
        long integer;
        double real;
        boolean includeUsage;

        Value(JsonToken token) {
            this.token = token;
        }

        boolean isNull() {
            return token == JsonToken.VALUE_NULL;
        }

        boolean isNumber() {
            return token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT;
        }
    }

    private final Value[] values = new Value[Key.values().length];

    // Every top-level field in order: its name, where its value starts, and where the next token starts.
    private String[] names = new String[16];
    private int[] valueStarts = new int[16];
    private int[] nextStarts = new int[16];
    private int fieldCount;
    private boolean duplicateNames;
    private int closingBrace;

    // What the bound of context fitting adds up (a chat's messages and tools; a completion's prompt).
    private int messageCount;
    private boolean boundable = true;
    private int images;
    private int audios;
    private int videos;
    private int toolCalls;
    private long toolsLength = -1;
    private int promptTokenIds = -1;

    private RequestScan() {}

    /**
     * Scans {@code bytes} with {@code mapper}'s parser settings, reading the messages of a chat and the prompt of
     * a completion as well when {@code route} is one.
     *
     * @throws IOException when the bytes are not JSON (Jackson's message says where)
     * @return the scan, or {@code null} when the body is not a JSON object
     */
    static RequestScan of(ObjectMapper mapper, ApiRoute route, byte[] bytes) throws IOException {
        try (JsonParser p = mapper.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                // Read the value to its end, so that a broken one is reported as broken JSON, as a tree reader would.
                if (p.currentToken() != null) {
                    p.finishToken();
                    p.skipChildren();
                }
                return null;
            }
            var scan = new RequestScan();
            scan.readTopLevel(p, route);
            return scan;
        }
    }

    private void readTopLevel(JsonParser p, ApiRoute route) throws IOException {
        JsonToken token = p.nextToken();
        while (token == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken first = p.nextToken();
            int start = offset(p);
            Key key = Key.of(name);
            if (key == null) {
                p.skipChildren();
            } else {
                values[key.ordinal()] = read(p, key, first, route);
            }
            token = p.nextToken();
            record(name, start, offset(p));
        }
        closingBrace = offset(p);
    }

    private static int offset(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    private void record(String name, int start, int next) {
        if (fieldCount == names.length) {
            names = Arrays.copyOf(names, fieldCount * 2);
            valueStarts = Arrays.copyOf(valueStarts, fieldCount * 2);
            nextStarts = Arrays.copyOf(nextStarts, fieldCount * 2);
        }
        for (int i = 0; i < fieldCount; i++) {
            if (names[i].equals(name)) {
                duplicateNames = true;
            }
        }
        names[fieldCount] = name;
        valueStarts[fieldCount] = start;
        nextStarts[fieldCount] = next;
        fieldCount++;
    }

    private Value read(JsonParser p, Key key, JsonToken first, ApiRoute route) throws IOException {
        var value = new Value(first);
        switch (first) {
            case VALUE_STRING -> {
                if (key == Key.MODEL || key == Key.PREVIOUS_RESPONSE_ID || key == Key.REQUEST_ID) {
                    value.text = p.getText();
                }
            }
            case VALUE_NUMBER_INT -> {
                value.numberType = p.getNumberType();
                if (value.numberType != JsonParser.NumberType.BIG_INTEGER) {
                    value.integer = p.getLongValue();
                }
            }
            case VALUE_NUMBER_FLOAT -> value.real = p.getDoubleValue();
            case START_OBJECT -> {
                if (key == Key.STREAM_OPTIONS) {
                    value.includeUsage = includeUsage(p);
                } else {
                    p.skipChildren();
                }
            }
            case START_ARRAY -> {
                if (key == Key.MESSAGES && route == ApiRoute.CHAT_COMPLETIONS) {
                    readMessages(p);
                } else if (key == Key.PROMPT) {
                    readPrompt(p);
                } else if (key == Key.TOOLS) {
                    readTools(p);
                } else {
                    p.skipChildren();
                }
            }
            default -> {}
        }
        if (key == Key.TOOLS && first != JsonToken.START_ARRAY) {
            toolsLength = -1;
        }
        if (key == Key.PROMPT && first != JsonToken.START_ARRAY) {
            promptTokenIds = -1;
        }
        return value;
    }

    /**
     * {@code stream_options.include_usage} read as a JSON tree's {@code asBoolean(false)} reads it, absent or
     * null meaning vLLM's default, true.
     */
    private static boolean includeUsage(JsonParser p) throws IOException {
        boolean include = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken token = p.nextToken();
            if (!name.equals("include_usage")) {
                p.skipChildren();
                continue;
            }
            include = switch (token) {
                case VALUE_NULL, VALUE_TRUE -> true;
                case VALUE_STRING -> p.getText().trim().equals("true");
                case VALUE_NUMBER_INT ->
                    p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                            ? p.getBigIntegerValue().signum() != 0
                            : p.getLongValue() != 0;
                default -> {
                    p.skipChildren();
                    yield false;
                }
            };
        }
        return include;
    }

    private static int countElements(JsonParser p) throws IOException {
        int count = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            p.skipChildren();
            count++;
        }
        return count;
    }

    /** A chat's messages: how many, their tool calls, their media parts, and whether all content is boundable. */
    private void readMessages(JsonParser p) throws IOException {
        messageCount = 0;
        boundable = true;
        images = audios = videos = toolCalls = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            messageCount++;
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            // The last "content" and "tool_calls" count, as a tree keeps the last of duplicate keys.
            Content content = Content.TEXT;
            int calls = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken token = p.nextToken();
                if (name.equals("content")) {
                    content = readContent(p, token);
                } else if (name.equals("tool_calls")) {
                    calls = token == JsonToken.START_ARRAY ? countElements(p) : 0;
                    p.skipChildren();
                } else {
                    p.skipChildren();
                }
            }
            if (!content.boundable) {
                boundable = false;
            }
            images += content.images;
            audios += content.audios;
            videos += content.videos;
            toolCalls += calls;
        }
    }

    /** One message's content, as the bound sees it. */
    private record Content(boolean boundable, int images, int audios, int videos) {
        static final Content TEXT = new Content(true, 0, 0, 0);
        static final Content OTHER = new Content(false, 0, 0, 0);
    }

    private static Content readContent(JsonParser p, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_NULL || token == JsonToken.VALUE_STRING) {
            return Content.TEXT;
        }
        if (token != JsonToken.START_ARRAY) {
            p.skipChildren();
            return Content.OTHER;
        }
        boolean boundable = true;
        int images = 0;
        int audios = 0;
        int videos = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            JsonToken part = p.currentToken();
            if (part == JsonToken.VALUE_STRING) {
                continue;
            }
            if (part != JsonToken.START_OBJECT) {
                p.skipChildren();
                boundable = false;
                continue;
            }
            switch (partType(p)) {
                case "text" -> {}
                case "image_url", "image_embeds" -> images++;
                case "input_audio", "audio_url", "audio_embeds" -> audios++;
                case "video_url" -> videos++;
                default -> boundable = false;
            }
        }
        return new Content(boundable, images, audios, videos);
    }

    /** A content part's (last) {@code type} when it is a string, else {@code ""}; reads the part to its end. */
    private static String partType(JsonParser p) throws IOException {
        String type = "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken token = p.nextToken();
            if (name.equals("type")) {
                type = token == JsonToken.VALUE_STRING ? p.getText() : "";
            }
            p.skipChildren();
        }
        return type;
    }

    /**
     * Tool definitions: their length as written, plus room for each float to be written back longer (a tree
     * writes {@code 1e2} as {@code 100.0}), so the length is never less than the definitions' compact text.
     */
    private void readTools(JsonParser p) throws IOException {
        int start = offset(p);
        int elements = 0;
        long floats = 0;
        int depth = 1;
        while (depth > 0) {
            JsonToken token = p.nextToken();
            if (depth == 1 && token != JsonToken.END_ARRAY) {
                elements++;
            }
            switch (token) {
                case START_ARRAY, START_OBJECT -> depth++;
                case END_ARRAY, END_OBJECT -> depth--;
                case VALUE_NUMBER_FLOAT -> floats++;
                default -> {}
            }
        }
        long written = p.currentLocation().getByteOffset() - start;
        toolsLength = elements == 0 ? -1 : written + floats * MAX_FLOAT_TEXT;
    }

    /** A completion's prompt: the number of token ids when it is a list of them, else -1. */
    private void readPrompt(JsonParser p) throws IOException {
        int count = 0;
        boolean ids = false;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            JsonToken token = p.currentToken();
            if (count == 0) {
                ids = token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT;
            }
            p.skipChildren();
            count++;
        }
        promptTokenIds = ids ? count : -1;
    }

    // -- what the scan found ----------------------------------------------------------------------

    /** The routing field's value, or {@code null} when the body does not have it. */
    Value value(Key key) {
        return values[key.ordinal()];
    }

    /** The number of messages (the last {@code messages} array). */
    public int messageCount() {
        return messageCount;
    }

    /**
     * True when every message's content is text or text and media parts, so that the body's size bounds its
     * tokens (chat only).
     */
    public boolean boundable() {
        return boundable;
    }

    /** Image parts over all messages (chat only). */
    public int images() {
        return images;
    }

    /** Audio parts over all messages (chat only). */
    public int audios() {
        return audios;
    }

    /** Video parts over all messages (chat only). */
    public int videos() {
        return videos;
    }

    /** Tool calls over all messages (chat only). */
    public int toolCalls() {
        return toolCalls;
    }

    /**
     * At least the length of the tool definitions written compactly; -1 when there are none (no {@code tools},
     * not an array, or empty).
     */
    public long toolsLength() {
        return toolsLength;
    }

    /** True when the body has {@code chat_template}, even as {@code null}. */
    public boolean hasChatTemplate() {
        return values[Key.CHAT_TEMPLATE.ordinal()] != null;
    }

    /** How many token ids a completion's prompt is, when it is a list of them; else -1. */
    public int promptTokenIds() {
        return promptTokenIds;
    }

    // -- where the values lie, for splicing -------------------------------------------------------

    /** True when some top-level name occurs more than once, so a splice could edit the wrong one. */
    boolean duplicateNames() {
        return duplicateNames;
    }

    /** The index of the top-level field {@code name}, or -1. */
    int field(String name) {
        for (int i = 0; i < fieldCount; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Where field {@code index}'s value starts. */
    int valueStart(int index) {
        return valueStarts[index];
    }

    /**
     * Where field {@code index}'s value ends: the token after it starts past the separator and whitespace, so
     * step back over them.
     */
    int valueEnd(int index, Buffer bytes) {
        int end = nextStarts[index];
        end = skipWhitespaceBack(bytes, end);
        if (bytes.getByte(end - 1) == ',') {
            end = skipWhitespaceBack(bytes, end - 1);
        }
        return end;
    }

    private static int skipWhitespaceBack(Buffer bytes, int end) {
        while (end > 0 && isWhitespace(bytes.getByte(end - 1))) {
            end--;
        }
        return end;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /** Where the top-level object's closing brace is. */
    int closingBrace() {
        return closingBrace;
    }

    /** True when the top-level object has no fields. */
    boolean empty() {
        return fieldCount == 0;
    }
}
