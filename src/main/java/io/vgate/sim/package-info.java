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
 * {@code POST /v1/responses}, {@code GET /v1/responses/{id}}, {@code POST /v1/responses/{id}/cancel},
 * {@code POST /v1/embeddings}, {@code GET /v1/models}, {@code POST /tokenize}, {@code POST /detokenize},
 * {@code GET /health}, {@code GET|POST /ping}, {@code GET /version}, {@code GET /load}, {@code GET /metrics}.
 * Simulator-only (real vLLM has no such routes): {@code GET /sim/settings} returns the live settings as JSON,
 * {@code POST /sim/settings} changes the keys it is given (same names as the configuration, durations as
 * {@code "20ms"} or ISO-8601; {@code faults.refuse-connections-for} closes the port for a while), and
 * {@code POST /sim/settings/reset} restores the configuration. They let a separate
 * simulator process ({@code VGATE_SIMULATOR_ENABLED=true java -jar target/quarkus-app/quarkus-run.jar}, port 8000) be
 * reconfigured during load tests.</p>
 *
 * <p>Known simplifications: no tool calls, logprobs, {@code echo} or beam search (requests asking for them are
 * answered with plain text and null fields); no prefix-cache hits ({@code vllm:prefix_cache_queries_total} counts
 * prompt tokens, {@code vllm:prefix_cache_hits_total} stays 0); no {@code http_*} instrumentator metrics;
 * {@code /load} always tracks in-flight requests (like {@code --enable-server-load-tracking}).</p>
 */
package io.vgate.sim;
