package io.vgate.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client request as vgate understands it: the route, the few fields the data path reads (from one
 * {@link RequestScan} of the bytes), and the JSON body as a tree, built only when a step asks for it.
 * <p>
 * Steps that change the request set top-level fields with {@link #set}: without a tree those edits are
 * spliced into the client's bytes when the request is sent. Steps that need more ({@link #body()}) edit the
 * tree and call {@link #markModified()}. An untouched body is forwarded as the client's original bytes.
 */
public final class InferenceRequest {

    private final ApiRoute route;
    private final Buffer originalBytes;
    private final RequestScan scan;
    private final ObjectMapper mapper;
    private ObjectNode body;
    // Top-level fields set while there is no tree, in order; folded into the tree if one is built.
    private Map<String, JsonNode> edits;
    private final long[] tokenCounts = {-1, -1, -1};
    private String model;
    private boolean stream;
    private final boolean clientAskedForUsage;
    private boolean modified;
    private String upstreamPath;
    private final PromptDialect promptDialect;
    private ArrayNode chatForm;

    InferenceRequest(
            ApiRoute route,
            Buffer originalBytes,
            RequestScan scan,
            ObjectMapper mapper,
            String model,
            boolean stream,
            boolean clientAskedForUsage) {
        this.route = route;
        this.originalBytes = originalBytes;
        this.scan = scan;
        this.mapper = mapper;
        this.model = model;
        this.stream = stream;
        this.clientAskedForUsage = clientAskedForUsage;
        this.promptDialect = PromptDialect.of(route);
    }

    /** A request without a body ({@code GET /v1/models}). */
    public static InferenceRequest withoutBody(ApiRoute route) {
        return new InferenceRequest(route, null, null, null, null, false, false);
    }

    /**
     * A {@code multipart/form-data} upload, streamed to vLLM rather than held: no body here, and the model is
     * learnt ({@link #model(String)}) while the upload passes through.
     */
    public static InferenceRequest upload(ApiRoute route) {
        return new InferenceRequest(route, null, null, null, null, false, false);
    }

    public ApiRoute route() {
        return route;
    }

    /** Size in bytes of the body as the client sent it; 0 for routes without one. */
    public int originalSize() {
        return originalBytes == null ? 0 : originalBytes.length();
    }

    /** True when the request has a JSON body. */
    public boolean hasBody() {
        return scan != null;
    }

    /**
     * The body as a tree, built on the first call (with the edits made so far); {@code null} for routes without
     * one. Costs a parse of the whole body: the common path reads {@link #scan()} instead.
     */
    public ObjectNode body() {
        if (body == null && scan != null) {
            try {
                body = (ObjectNode) mapper.readTree(originalBytes.getBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e); // the scan has read these bytes as a JSON object already
            }
            if (edits != null) {
                edits.forEach(body::set);
                edits = null;
            }
        }
        return body;
    }

    /** True once {@link #body()} has built the tree. */
    boolean treeBuilt() {
        return body != null;
    }

    /** The body as the client sent it. */
    Buffer originalBytes() {
        return originalBytes;
    }

    /** What the scan of the body found, for the cheap bound of context fitting; {@code null} without a body. */
    public RequestScan scan() {
        return scan;
    }

    /**
     * The completion limit in {@code field} ({@code max_tokens}, {@code max_completion_tokens} or
     * {@code max_output_tokens}) as the parser checked it, a whole number; -1 when the request does not set it.
     */
    public long tokenCount(String field) {
        int index = tokenCountIndex(field);
        return index < 0 ? -1 : tokenCounts[index];
    }

    void tokenCount(RequestScan.Key key, long value) {
        tokenCounts[tokenCountIndex(key)] = value;
    }

    private static int tokenCountIndex(String field) {
        return switch (field) {
            case "max_tokens" -> 0;
            case "max_completion_tokens" -> 1;
            case "max_output_tokens" -> 2;
            default -> -1;
        };
    }

    private static int tokenCountIndex(RequestScan.Key key) {
        return switch (key) {
            case MAX_TOKENS -> 0;
            case MAX_COMPLETION_TOKENS -> 1;
            case MAX_OUTPUT_TOKENS -> 2;
            default -> throw new IllegalArgumentException(key.name());
        };
    }

    /** A top-level string field as the client sent it, or {@code null} when absent or not a string. */
    public String text(String field) {
        if (body != null) {
            JsonNode value = body.get(field);
            return value != null && value.isTextual() ? value.textValue() : null;
        }
        RequestScan.Key key = switch (field) {
            case "previous_response_id" -> RequestScan.Key.PREVIOUS_RESPONSE_ID;
            case "request_id" -> RequestScan.Key.REQUEST_ID;
            default -> throw new IllegalArgumentException(field + " is not scanned");
        };
        JsonNode edited = edits == null ? null : edits.get(field);
        if (edited != null) {
            return edited.isTextual() ? edited.textValue() : null;
        }
        RequestScan.Value value = scan == null ? null : scan.value(key);
        return value == null ? null : value.text;
    }

    /** Sets top-level {@code field} to a number, replacing any value the client sent. */
    public void set(String field, long value) {
        set(field, JsonNodeFactory.instance.numberNode(value));
    }

    /** Sets top-level {@code field} to a string, replacing any value the client sent. */
    public void set(String field, String value) {
        set(field, JsonNodeFactory.instance.textNode(value));
    }

    private void set(String field, JsonNode value) {
        if (scan == null) {
            return;
        }
        if (body != null) {
            body.set(field, value);
        } else {
            if (edits == null) {
                edits = new LinkedHashMap<>();
            }
            edits.put(field, value);
        }
        markModified();
    }

    /**
     * Asks vLLM for the usage chunk ({@code stream_options.include_usage}), keeping the client's other stream
     * options.
     */
    public void askForUsage() {
        if (scan == null) {
            return;
        }
        RequestScan.Value options = scan.value(RequestScan.Key.STREAM_OPTIONS);
        if (body == null && (options == null || options.isNull())) {
            set("stream_options", JsonNodeFactory.instance.objectNode().put("include_usage", true));
            return;
        }
        ObjectNode tree = body();
        var existing =
                tree.get("stream_options") instanceof ObjectNode object ? object : tree.putObject("stream_options");
        existing.put("include_usage", true);
        markModified();
    }

    /** The {@code model} field, or {@code null} when the client left it to vLLM's default. */
    public String model() {
        return model;
    }

    /**
     * Sends the request to {@code served} instead of the model it named (a model alias): the body's
     * {@code model} is rewritten, and {@link #model()} names the served model from now on.
     */
    public void rewriteModel(String served) {
        this.model = served;
        set("model", served);
    }

    /** Records whether an upload asked for a stream ({@code stream} form field). */
    public void stream(boolean stream) {
        this.stream = stream;
    }

    /** Records the model an upload named, read from its form fields as they pass through. */
    public void model(String named) {
        this.model = named;
    }

    /** The path (and query) to send to vLLM: the path the client used, parameters checked; else the route's. */
    public String upstreamPath() {
        return upstreamPath != null ? upstreamPath : route.path();
    }

    /** Sets the path to send to vLLM, as {@link ApiRoute#upstreamPath} built it. */
    public void upstreamPath(String path) {
        this.upstreamPath = path;
    }

    /** True when the client asked for an SSE stream. */
    public boolean stream() {
        return stream;
    }

    /** True when the client itself asked for the usage chunk ({@code stream_options.include_usage}). */
    public boolean clientAskedForUsage() {
        return clientAskedForUsage;
    }

    /**
     * The prompt as chat messages: a chat's own {@code messages} (the body's node itself); for the Responses and
     * Anthropic Messages routes their prompt converted to chat form, for counting only ({@link ChatForm}); else
     * {@code null}, as it is when a prompt cannot be put in chat form.
     */
    public ArrayNode messages() {
        ObjectNode body = body();
        if (body == null) {
            return null;
        }
        if (promptDialect != null) {
            if (chatForm == null) {
                chatForm = promptDialect == PromptDialect.RESPONSES
                        ? ChatForm.ofResponses(body)
                        : ChatForm.ofAnthropic(body);
            }
            return chatForm;
        }
        JsonNode messages = body.get("messages");
        return messages instanceof ArrayNode array ? array : null;
    }

    /**
     * True when {@link #messages()} is a copy in chat form (Responses, Anthropic Messages): counted like a chat's,
     * never trimmed, since trimming would edit the copy and not the request.
     */
    public boolean convertedPrompt() {
        return promptDialect != null;
    }

    /**
     * The field that limits the completion when it is not chat's or completions' own: {@code max_output_tokens}
     * (Responses), {@code max_tokens} (Anthropic Messages, where it is required); else {@code null}.
     */
    public String completionLimitField() {
        if (promptDialect == null) {
            return null;
        }
        return promptDialect == PromptDialect.RESPONSES ? "max_output_tokens" : "max_tokens";
    }

    /** The API a route's prompt is written in, when it is not chat's own. */
    private enum PromptDialect {
        RESPONSES,
        ANTHROPIC;

        static PromptDialect of(ApiRoute route) {
            if (route == ApiRoute.RESPONSES) {
                return RESPONSES;
            }
            return route == ApiRoute.MESSAGES ? ANTHROPIC : null;
        }
    }

    /** Records that {@link #body()} was edited, so it must be serialised again before forwarding. */
    public void markModified() {
        modified = true;
    }

    public boolean modified() {
        return modified;
    }

    /**
     * The bytes to send to vLLM: the original bytes; the original bytes with the fields set spliced in; or, once
     * there is a tree, the edited tree serialised once.
     */
    public Buffer bytesToSend(ObjectMapper mapper) {
        if (scan == null) {
            return null;
        }
        if (!modified) {
            return originalBytes;
        }
        if (body == null) {
            Buffer spliced = edits == null ? originalBytes : Splice.apply(originalBytes, scan, edits, mapper);
            if (spliced != null) {
                return spliced;
            }
        }
        try {
            return Buffer.buffer(mapper.writeValueAsBytes(body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
