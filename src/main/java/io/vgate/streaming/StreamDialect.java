package io.vgate.streaming;

import io.vgate.api.AnthropicErrors;

/**
 * The kind of answer a route streams, which decides how the relay reads it: where the stream ends, where the
 * first token is, where the usage is, and how vgate itself tells the client of a failure.
 * <ul>
 * <li>{@link #OPENAI}: chat and text completions, {@code data:}-only events ending with {@code data: [DONE]},
 * usage in the usage chunk, errors as {@code data: {"error":…}} then {@code [DONE]}.</li>
 * <li>{@link #RESPONSES}: OpenAI's Responses API, named events ({@code event:} lines) and no {@code [DONE]};
 * the stream ends with {@code response.completed} (or OpenAI's other terminal events,
 * {@code response.incomplete} and {@code response.failed}), whose {@code response.usage} has the tokens;
 * vgate's error is a Responses {@code error} event.</li>
 * <li>{@link #MESSAGES}: Anthropic's Messages API, named events ending with {@code message_stop}; tokens
 * from {@code message_start} and {@code message_delta}; vgate's error is Anthropic's {@code event: error}.</li>
 * </ul>
 */
public enum StreamDialect {
    OPENAI(false),
    RESPONSES(false),
    MESSAGES(true);

    private static final String RESPONSES_PATH = "/v1/responses";

    private final boolean anthropicErrors;

    StreamDialect(boolean anthropicErrors) {
        this.anthropicErrors = anthropicErrors;
    }

    /**
     * The dialect of the route at {@code path} (the route's own path, a template such as
     * {@code /v1/responses/{id}} included): Responses for {@code /v1/responses} and below, Messages for
     * {@code /v1/messages} and below, OpenAI's otherwise.
     */
    public static StreamDialect forPath(String path) {
        if (AnthropicErrors.isMessagesPath(path)) {
            return MESSAGES;
        }
        if (path != null
                && path.startsWith(RESPONSES_PATH)
                && (path.length() == RESPONSES_PATH.length() || path.charAt(RESPONSES_PATH.length()) == '/')) {
            return RESPONSES;
        }
        return OPENAI;
    }

    /** True when vgate's own errors on this dialect's routes take Anthropic's shape ({@link AnthropicErrors}). */
    public boolean anthropicErrors() {
        return anthropicErrors;
    }

    /** The reader of one stream of named events; {@code null} for {@link #OPENAI}, which the relay reads itself. */
    NamedEventStream open() {
        return switch (this) {
            case OPENAI -> null;
            case RESPONSES -> new ResponsesStream();
            case MESSAGES -> new MessagesStream();
        };
    }
}
