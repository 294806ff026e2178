package io.vgate.sim;

import java.util.List;

/**
 * How a generation is written in an API that vLLM builds on top of its chat path (the Responses API, Anthropic
 * Messages): named SSE events instead of chat chunks, and a body of its own. The {@link GenerationJob} still runs the
 * request through the engine (scheduling, timeline, metrics, disconnect → abort) and asks its dialect for the bytes.
 * A dialect answers one request of a single choice, and is called on the job's event loop only.
 */
interface Dialect {

    /** Events a stream sends right after its headers, before the engine runs the request. */
    void opening(List<CharSequence> events);

    /**
     * Events of one engine step of the choice: called at every step of a stream until the choice finished.
     *
     * @param delta new answer text (may be empty; reasoning and calls are read from {@link Choice#output})
     * @param last whether the choice finished with this step: the dialect ends its stream
     */
    void step(Choice c, String delta, boolean last, List<CharSequence> events);

    /**
     * The bytes that end a stream that fails after its headers (the {@code error-after-events} fault); nothing
     * follows them.
     */
    void failure(List<CharSequence> events);

    /** The JSON body of a non-streaming answer, once the choice finished. */
    String body(Choice c);

    /**
     * The request left the engine: it finished ({@code aborted} false; the choice's finish reason tells how) or it was
     * aborted (client gone, cancelled).
     */
    void ended(Choice c, boolean aborted);
}
