package io.vgate.upstream;

import io.vgate.api.ApiRoute;
import io.vgate.api.InferenceRequest;
import io.vgate.streaming.ChunkFilter;
import io.vgate.streaming.UsageReader.Usage;

/**
 * vLLM's usage chunk, both halves in one place: asked for on the request side
 * ({@code stream_options.include_usage}, so streamed tokens can be counted and limited) and removed on the
 * relay side when vgate asked for it on the client's behalf, so the client sees the stream it asked for.
 */
final class UsageChunk {

    /**
     * Drops the usage-only chunk ({@code "choices":[]} before {@code usage}), which only exists because vgate
     * asked for it; usage that rides on a chunk with choices stays.
     */
    static final ChunkFilter ADDED_BY_VGATE = Usage::noChoices;

    private UsageChunk() {}

    /**
     * Asks for the usage chunk on a stream the client did not ask it for. Returns the filter that removes
     * it again from the relayed stream, or {@code null} when the request was left as it is.
     */
    static ChunkFilter askFor(InferenceRequest request, boolean includeUsage) {
        if (!includeUsage
                || !request.stream()
                || !request.route().generates()
                || request.route().usage() != ApiRoute.Usage.OPENAI
                || !request.hasBody()
                || request.clientAskedForUsage()) {
            return null;
        }
        request.askForUsage();
        return ADDED_BY_VGATE;
    }
}
