/**
 * The vLLM simulator: an in-process stand-in for {@code vllm serve} that behaves like vLLM on the wire. It is the
 * upstream for dev mode, tests and benchmarks, and knows nothing of the gateway, which reaches it only over HTTP.
 *
 * <p>Entry points: {@link io.vgate.sim.VllmSimulator} (the bean: base URI, live settings, counters),
 * {@link io.vgate.sim.SimulatorAddress} (its address as configuration, {@code vgate.simulator.url}),
 * {@link io.vgate.sim.SimulatorConfig} ({@code vgate.simulator.*}), {@link io.vgate.sim.SimSettings} (runtime
 * changes) and {@link io.vgate.sim.SimTokenizer} (the token counts it reports).</p>
 *
 * <p>Routes on the simulator port, as in vLLM: {@code POST /v1/chat/completions}, {@code POST /v1/completions},
 * {@code POST /v1/embeddings}, {@code GET /v1/models}, {@code POST /tokenize}, {@code POST /detokenize},
 * {@code GET /health}, {@code GET|POST /ping}, {@code GET /version}, {@code GET /load}, {@code GET /metrics}; by the
 * model's task ({@link io.vgate.sim.ServingConfig#task()}) the pooling routes ({@code /rerank}, {@code /v1/rerank},
 * {@code /v2/rerank}, {@code /score}, {@code /v1/score}, {@code /classify}, {@code /pooling}, {@code /v2/embed}) and
 * the audio routes ({@code /v1/audio/transcriptions}, {@code /v1/audio/translations}); with runtime LoRA updating,
 * {@code /v1/load_lora_adapter} and {@code /v1/unload_lora_adapter}. An API key guards {@code /v1} and {@code /v2}
 * as {@code --api-key} does.
 * Simulator-only (real vLLM has no such routes): {@code GET /sim/settings} returns the live settings as JSON,
 * {@code POST /sim/settings} changes the keys it is given (same names as the configuration, durations as
 * {@code "20ms"} or ISO-8601; {@code faults.refuse-connections-for} closes the port for a while), and
 * {@code POST /sim/settings/reset} restores the configuration. They let a separate
 * simulator process ({@code VGATE_SIMULATOR_ENABLED=true java -jar target/quarkus-app/quarkus-run.jar}, port 8000) be
 * reconfigured during load tests.</p>
 *
 * <p>Known simplifications: no tool calls, logprobs, {@code echo} or beam search (requests asking for them are
 * answered with plain text and null fields); the prefix cache models block hits and {@code cache_salt} for timing
 * and metrics only; audio is not decoded (its size, bytes and WAV header decide the answer); no {@code http_*}
 * instrumentator metrics;
 * {@code /load} always tracks in-flight requests (like {@code --enable-server-load-tracking}).</p>
 */
package io.vgate.sim;
