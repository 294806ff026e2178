package io.vgate.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A client request as vgate understands it: the route, the few fields the data path reads, and the
 * JSON body. Steps that change the request (usage injection, context fitting) edit {@link #body()} and
 * call {@link #markModified()}; an untouched body is forwarded as the client's original bytes.
 */
public final class InferenceRequest {

    private final ApiRoute route;
    private final Buffer originalBytes;
    private final ObjectNode body;
    private String model;
    private final boolean stream;
    private final boolean clientAskedForUsage;
    private boolean modified;
    private String upstreamPath;
    private final PromptDialect promptDialect;
    private ArrayNode chatForm;

    InferenceRequest(
            ApiRoute route,
            Buffer originalBytes,
            ObjectNode body,
            String model,
            boolean stream,
            boolean clientAskedForUsage) {
        this.route = route;
        this.originalBytes = originalBytes;
        this.body = body;
        this.model = model;
        this.stream = stream;
        this.clientAskedForUsage = clientAskedForUsage;
        this.promptDialect = PromptDialect.of(route);
    }

    /** A request without a body ({@code GET /v1/models}). */
    public static InferenceRequest withoutBody(ApiRoute route) {
        return new InferenceRequest(route, null, null, null, false, false);
    }

    /**
     * A {@code multipart/form-data} upload, streamed to vLLM rather than held: no body here, and the model is
     * learnt ({@link #model(String)}) while the upload passes through.
     */
    public static InferenceRequest upload(ApiRoute route) {
        return new InferenceRequest(route, null, null, null, false, false);
    }

    public ApiRoute route() {
        return route;
    }

    /** Size in bytes of the body as the client sent it; 0 for routes without one. */
    public int originalSize() {
        return originalBytes == null ? 0 : originalBytes.length();
    }

    /** The parsed body; {@code null} for routes without one. */
    public ObjectNode body() {
        return body;
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
        if (body != null) {
            body.put("model", served);
            markModified();
        }
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

    /** The bytes to send to vLLM: the original bytes, or the edited body serialised once. */
    public Buffer bytesToSend(ObjectMapper mapper) {
        if (body == null) {
            return null;
        }
        if (!modified) {
            return originalBytes;
        }
        try {
            return Buffer.buffer(mapper.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
