package io.vgate.streaming;

import io.vertx.core.buffer.Buffer;
import io.vgate.api.AnthropicErrors;
import io.vgate.api.ApiError;

/**
 * An Anthropic Messages stream: {@code message_start} (the prompt's {@code input_tokens} in
 * {@code message.usage}), content blocks whose {@code content_block_delta} events carry the output, then
 * {@code message_delta} (the final {@code usage}: {@code output_tokens}, and with vLLM {@code input_tokens}
 * again) and {@code message_stop}, the end. vgate's own error is Anthropic's {@code event: error} with
 * {@code {"type":"error","error":{"type":…,"message":…}}}.
 */
final class MessagesStream extends NamedEventStream {

    private static final byte[] MESSAGE_START = ResponsesStream.ascii("message_start");
    private static final byte[] CONTENT_BLOCK_DELTA = ResponsesStream.ascii("content_block_delta");
    private static final byte[] MESSAGE_DELTA = ResponsesStream.ascii("message_delta");
    private static final byte[] MESSAGE_STOP = ResponsesStream.ascii("message_stop");
    private static final byte[] ERROR = ResponsesStream.ascii("error");

    private long inputTokens = -1;
    private UsageReader.Usage finalUsage;
    private boolean reported;

    @Override
    Kind kind(EventFields fields) {
        if (fields.nameIs(CONTENT_BLOCK_DELTA)) {
            return Kind.OUTPUT;
        }
        if (fields.nameIs(MESSAGE_START)) {
            Buffer data = fields.data();
            UsageReader.Usage start = data == null ? null : UsageReader.readIn(data, "message");
            if (start != null && start.promptTokens() >= 0) {
                inputTokens = start.promptTokens();
            }
            return Kind.OTHER;
        }
        if (fields.nameIs(MESSAGE_DELTA)) {
            Buffer data = fields.data();
            UsageReader.Usage delta = data == null ? null : UsageReader.readRaw(data);
            if (delta != null && delta.completionTokens() >= 0) {
                // Anthropic sends output_tokens here; vLLM also repeats input_tokens, which then wins.
                long prompt = delta.promptTokens() >= 0 ? delta.promptTokens() : inputTokens;
                finalUsage = new UsageReader.Usage(Math.max(prompt, 0), delta.completionTokens(), false);
            }
            return Kind.OTHER;
        }
        if (fields.nameIs(MESSAGE_STOP)) {
            return Kind.END;
        }
        if (fields.nameIs(ERROR)) {
            return Kind.ERROR;
        }
        return Kind.OTHER;
    }

    @Override
    String model(Buffer data) {
        return UsageReader.modelIn(data, "message");
    }

    @Override
    UsageReader.Usage takeUsage() {
        if (finalUsage == null || reported) {
            return null;
        }
        reported = true;
        return finalUsage;
    }

    @Override
    UsageReader.Usage leftoverUsage() {
        if (reported || inputTokens < 0) {
            return null;
        }
        reported = true;
        return new UsageReader.Usage(inputTokens, 0, false);
    }

    @Override
    Buffer errorEvent(ApiError error) {
        String type = AnthropicErrors.serverType(error);
        return event("error", json -> AnthropicErrors.write(json, type, error.message()));
    }
}
