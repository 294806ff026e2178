package io.vgate.sim;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Configuration of the in-process vLLM simulator ({@link VllmSimulator}).
 *
 * <p>These values are the simulator's starting point. Everything that shapes behaviour (latencies, limits, mode,
 * faults) can be changed while it runs through {@link VllmSimulator#settings()} or {@code POST /sim/settings}; host,
 * port, model names and event loops are fixed at startup.</p>
 */
@ConfigMapping(prefix = "vgate.simulator")
public interface SimulatorConfig {

    /**
     * Whether the simulator starts with the application. Environment variable {@code VGATE_SIMULATOR_ENABLED}.
     * <p>Defaults to {@code false}.</p>
     */
    @WithDefault("false")
    boolean enabled();

    /**
     * Interface the simulator listens on.
     * <p>Defaults to {@code 127.0.0.1}.</p>
     */
    @WithDefault("127.0.0.1")
    String host();

    /**
     * Port the simulator listens on; {@code 0} picks a free port (read it from {@link VllmSimulator#baseUri()}).
     * <p>Defaults to {@code 8000}, vLLM's own default.</p>
     */
    @WithDefault("8000")
    int port();

    /**
     * The "loaded" model, like {@code vllm serve <model>}: the {@code root} of every model card and the served name
     * when {@link #servedModelNames()} is empty.
     * <p>Defaults to {@code vgate-sim-llama-3-8b}.</p>
     */
    @WithDefault("vgate-sim-llama-3-8b")
    String model();

    /**
     * Names the model is served under, like {@code --served-model-name a b}. Requests may use any of them; responses
     * and the {@code model_name} metric label always carry the first.
     * <p>Defaults to just {@link #model()}.</p>
     */
    Optional<List<String>> servedModelNames();

    /**
     * Context length: prompt plus generated tokens, like {@code --max-model-len}.
     * <p>Defaults to {@code 4096}.</p>
     */
    @WithDefault("4096")
    int maxModelLen();

    /**
     * Sequences running at once, like {@code --max-num-seqs}; further requests wait in an unbounded queue, ordered
     * by {@link #schedulingPolicy()}.
     * <p>Defaults to {@code 256}.</p>
     */
    @WithDefault("256")
    int maxNumSeqs();

    /**
     * How waiting requests are ordered, like {@code --scheduling-policy}: {@code fcfs} (arrival order; a request's
     * {@code priority} is accepted and ignored) or {@code priority} (lower {@code priority} first, arrival order
     * among equals; when the KV cache runs out the running request with the highest {@code priority} value, latest
     * arrival among equals, is preempted).
     * <p>Defaults to {@code fcfs}.</p>
     */
    @WithDefault("fcfs")
    SchedulingPolicy schedulingPolicy();

    /**
     * Speed of the simulated GPU: every prefill and decode step takes {@code 1 / gpu-speed} of its configured time,
     * so {@code 0.5} makes the GPU twice as slow. Changed at run time, it applies from the next step on.
     * <p>Defaults to {@code 1.0}.</p>
     */
    @WithDefault("1.0")
    double gpuSpeed();

    /**
     * Token budget of one engine step, like {@code --max-num-batched-tokens}: a longer prompt is prefilled in several
     * steps (chunked prefill), sharing the budget with running decodes.
     * <p>Defaults to {@code 2048}.</p>
     */
    @WithDefault("2048")
    int maxNumBatchedTokens();

    /**
     * Fixed part of the time to first token, counted from admission (queue time comes on top).
     * <p>Defaults to {@code 25ms}.</p>
     */
    @WithDefault("25ms")
    Duration timeToFirstToken();

    /**
     * Prefill time per prompt token, added to the time to first token.
     * <p>Defaults to {@code PT0.0001S} (0.1 ms, about 10k prompt tokens per second).</p>
     */
    @WithDefault("PT0.0001S")
    Duration prefillTimePerToken();

    /**
     * Time between two generated tokens (one engine step) for a lone request.
     * <p>Defaults to {@code 12ms}.</p>
     */
    @WithDefault("12ms")
    Duration interTokenLatency();

    /**
     * Latency multiplier reached when the batch is full ({@code max-num-seqs} running); it grows linearly from 1 with
     * one running sequence. Must be at least 1.
     * <p>Defaults to {@code 3.0}.</p>
     */
    @WithDefault("3.0")
    double timeFactorUnderLoad();

    /**
     * Mean length of an answer when the model stops on its own (end of sequence) before {@code max_tokens}. Lengths
     * vary between half and one and a half times this, ending on a sentence.
     * <p>Defaults to {@code 128}.</p>
     */
    @WithDefault("128")
    int meanOutputTokens();

    /**
     * What the model answers: {@code random} (deterministic sentences seeded by {@code seed}, else by the prompt) or
     * {@code echo} (the last user message, or the prompt).
     * <p>Defaults to {@code random}.</p>
     */
    @WithDefault("random")
    Mode mode();

    /**
     * Length of the vectors {@code /v1/embeddings} returns.
     * <p>Defaults to {@code 4096}.</p>
     */
    @WithDefault("4096")
    int embeddingDimensions();

    /**
     * KV-cache capacity in tokens (kept in blocks of 16). Running sequences hold their prompt and generated tokens;
     * admission waits while it is full and a growing sequence preempts the newest one, as vLLM does.
     * <p>Defaults to {@code 262144}.</p>
     */
    @WithDefault("262144")
    int kvCacheTokens();

    /**
     * Standard deviation of the time to first token: each request's fixed part is drawn from a normal distribution
     * around {@link #timeToFirstToken()} (never below zero).
     * <p>Defaults to {@code 0s} (every request the same).</p>
     */
    @WithDefault("0s")
    Duration timeToFirstTokenStdDev();

    /**
     * Standard deviation of the inter-token latency: each engine step's time is drawn from a normal distribution
     * around {@link #interTokenLatency()} (never below zero).
     * <p>Defaults to {@code 0s}.</p>
     */
    @WithDefault("0s")
    Duration interTokenLatencyStdDev();

    /**
     * Plays a model served with a reasoning parser ({@code --reasoning-parser}): {@code off} (never thinks),
     * {@code on-request} (thinks when the request sets {@code chat_template_kwargs.enable_thinking: true} or a
     * {@code reasoning_effort} other than {@code none}) or {@code always} (thinks unless the request turns it off).
     * <p>Defaults to {@code on-request}.</p>
     */
    @WithDefault("on-request")
    String reasoning();

    /**
     * The key reasoning travels under in messages and deltas: {@code reasoning} (vLLM 0.16 and later) or
     * {@code reasoning_content} (older releases).
     * <p>Defaults to {@code reasoning}.</p>
     */
    @WithDefault("reasoning")
    String reasoningField();

    /**
     * Plays a server started with {@code --enable-auto-tool-choice --tool-call-parser}: tool calls for
     * {@code tool_choice} {@code auto}, {@code required} and named functions. When false, requests with tools get
     * vLLM's 400 for a server without a tool parser.
     * <p>Defaults to {@code true}.</p>
     */
    @WithDefault("true")
    boolean toolParser();

    /**
     * Probability (0 to 1) that the model calls a tool under {@code tool_choice: "auto"} when the conversation does
     * not end with tool results (it then answers them in text). Drawn from the request's {@code seed}, else its
     * prompt, so one request always gets the same answer.
     * <p>Defaults to {@code 1.0}.</p>
     */
    @WithDefault("1.0")
    double autoToolCallRate();

    /**
     * Whether the model takes images, audio and video ({@code image_url}, {@code input_audio}, {@code audio_url},
     * {@code video_url} parts); a text-only model answers them with vLLM's 400 "is not a multimodal model".
     * <p>Defaults to {@code true}.</p>
     */
    @WithDefault("true")
    boolean multimodal();

    /**
     * Plays a server started with {@code VLLM_ENABLE_RESPONSES_API_STORE=1}: the Responses API keeps responses in
     * this process for {@code GET /v1/responses/{id}}, {@code previous_response_id}, background mode and cancel. When
     * false (vLLM's own default), {@code store} is ignored, those lookups get 404 and background requests 400.
     * <p>Defaults to {@code true}.</p>
     */
    @WithDefault("true")
    boolean responsesStore();

    /**
     * Number of HTTP server instances (each on its own event loop) sharing the port.
     * <p>Defaults to the number of available processors.</p>
     */
    OptionalInt eventLoops();

    /**
     * Fault injection.
     */
    Faults faults();

    /**
     * How the simulated model chooses its answer.
     */
    /** vLLM's {@code --scheduling-policy}. */
    enum SchedulingPolicy {
        /** First come, first served. */
        FCFS,
        /** Lower {@code priority} value first, then first come, first served. */
        PRIORITY
    }

    enum Mode {
        /** Deterministic sentences, seeded by the request's {@code seed} or else by its prompt. */
        RANDOM,
        /** The last user message (chat) or the prompt (completions). */
        ECHO
    }

    /**
     * Faults the simulator can inject, all off by default.
     */
    interface Faults {

        /**
         * Fraction (0 to 1) of chat and completion requests answered with {@link #errorStatus()} and vLLM's error
         * body instead of being generated.
         * <p>Defaults to {@code 0}.</p>
         */
        @WithDefault("0")
        double errorRate();

        /**
         * HTTP status of injected errors.
         * <p>Defaults to {@code 500}.</p>
         */
        @WithDefault("500")
        int errorStatus();

        /**
         * Typed injected errors: when set, each injected error is one of these types (drawn at random), answered
         * with vLLM's status and body for it instead of {@link #errorStatus()}: {@code rate_limit} (429),
         * {@code invalid_api_key} (401), {@code context_length} (400), {@code server_error} (500),
         * {@code invalid_request} (400), {@code model_not_found} (404).
         * <p>Defaults to none (the {@link #errorStatus()} error).</p>
         */
        Optional<List<String>> errorTypes();

        /**
         * Extra delay before the first token of every generation.
         * <p>Defaults to {@code 0s}.</p>
         */
        @WithDefault("0s")
        Duration slowFirstToken();

        /**
         * Close the connection abruptly (no {@code [DONE]}) after this many SSE events of a stream; {@code 0} closes
         * right after the headers, and non-streaming requests then get no response at all.
         * <p>Defaults to off.</p>
         */
        OptionalInt resetAfterEvents();

        /**
         * Simulator addition: end a stream after this many SSE events with vLLM's in-stream error event
         * ({@code data: {"error":...}} then {@code data: [DONE]}), the way vLLM reports failures after the headers
         * went out.
         * <p>Defaults to off.</p>
         */
        OptionalInt errorAfterEvents();

        /**
         * Refuse connections: the port stays reserved but nothing listens, like vLLM while the model loads.
         * <p>Defaults to {@code false}.</p>
         */
        @WithDefault("false")
        boolean refuseConnections();

        /**
         * Start listening only this long after startup (the port is reserved, and known, at once).
         * <p>Defaults to {@code 0s}.</p>
         */
        @WithDefault("0s")
        Duration startupDelay();
    }
}
