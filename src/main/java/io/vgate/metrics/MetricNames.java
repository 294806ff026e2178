package io.vgate.metrics;

/**
 * Names and label keys of vgate's request meters, as registered with Micrometer. Names follow the
 * OpenTelemetry GenAI semantic conventions where one applies and carry a {@code vgate.} prefix otherwise;
 * Micrometer's Prometheus naming turns dots into underscores and appends the unit ({@code _seconds}) and
 * the counter suffix ({@code _total}). The Prometheus name is given for each.
 * <p>
 * Every timing starts at {@link ExchangeRecord#startNanos()}, when the request reached
 * vgate's handler, so it includes vgate's own queueing as the client experiences it.
 */
public final class MetricNames {

    /**
     * End-to-end request latency, until the last byte went to the client (or the client left).
     * Prometheus: {@code gen_ai_server_request_duration_seconds}; labels route, model, stream, status_class.
     */
    public static final String REQUEST_DURATION = "gen_ai.server.request.duration";

    /**
     * Time to first token of a stream: until the first SSE event was forwarded (vLLM sends it with the
     * first generated token). Streams only: a non-streaming answer reveals no first token.
     * Prometheus: {@code gen_ai_server_time_to_first_token_seconds}; labels route, model.
     */
    public static final String TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token";

    /**
     * Mean time per output token after the first, per completed stream: (last event − first event) /
     * (completion tokens − 1). Prometheus: {@code gen_ai_server_time_per_output_token_seconds}; labels
     * route, model.
     */
    public static final String TIME_PER_OUTPUT_TOKEN = "gen_ai.server.time_per_output_token";

    /**
     * Longest pause between two consecutive events of one stream: stalls (preemption, a saturated GPU, a
     * slow client) that a mean hides. Prometheus: {@code vgate_stream_max_gap_seconds}; labels route,
     * model.
     */
    public static final String STREAM_MAX_GAP = "vgate.stream.max_gap";

    /**
     * Output tokens per second of one completed request: for streams the decode rate after the first
     * token, (completion tokens − 1) / (last event − first event); for non-streaming answers completion
     * tokens / request duration. Prometheus: {@code vgate_output_tokens_per_second}; labels route, model,
     * stream.
     */
    public static final String OUTPUT_TOKENS_PER_SECOND = "vgate.output_tokens_per_second";

    /**
     * Tokens per request as reported by vLLM's usage, by {@code gen_ai.token.type} ({@code input} /
     * {@code output}). Prometheus: {@code gen_ai_client_token_usage}; labels route, model,
     * gen_ai_token_type.
     */
    public static final String TOKEN_USAGE = "gen_ai.client.token.usage";

    /**
     * Tokens by tenant and model, for accounting. Prometheus: {@code vgate_tokens_total}; labels model,
     * tenant, gen_ai_token_type.
     */
    public static final String TOKENS = "vgate.tokens";

    /**
     * Requests, counted when they complete. Prometheus: {@code vgate_requests_total}; labels route, model,
     * tenant, status_class, outcome ({@code completed}, {@code client_gone}, {@code upstream_failed}: the
     * access line's outcome; a 200 stream that vLLM cut or ended with its in-band error event is
     * {@code upstream_failed}).
     */
    public static final String REQUESTS = "vgate.requests";

    /**
     * Generations vLLM ended, by the {@code finish_reason} of its answer (a stream's last chunk, a body's last
     * choice): {@code stop}, {@code length}, {@code tool_calls}, {@code content_filter}, {@code function_call},
     * {@code abort}, {@code error}, else {@code other}. Prometheus: {@code vgate_finish_reasons_total}; labels
     * route, model, finish_reason.
     */
    public static final String FINISH_REASONS = "vgate.finish_reasons";

    /**
     * Requests vgate answered with its own error. Prometheus: {@code vgate_rejections_total}; labels
     * route, model, tenant, reason, code.
     */
    public static final String REJECTIONS = "vgate.rejections";

    /**
     * Requests vLLM failed: unreachable, connection broken before or during the answer ({@code upstream_reset}),
     * its in-band error event after a 200 ({@code error_event}), too slow (vgate's timeout codes), or a 5xx of its
     * own ({@code status_5xx}). Never a client that left first. Prometheus: {@code vgate_upstream_errors_total};
     * labels route, model, error_type.
     */
    public static final String UPSTREAM_ERRORS = "vgate.upstream.errors";

    /**
     * Clients that left before their answer was complete; vLLM was told to abort. Prometheus:
     * {@code vgate_client_disconnects_total}; labels route, model, phase ({@code waiting}: before the
     * first token, {@code streaming}: mid-stream).
     */
    public static final String CLIENT_DISCONNECTS = "vgate.client.disconnects";

    /**
     * Access-log lines dropped because the access log's buffer ({@code vgate.metrics.access-log-buffer}) was
     * full: the log output was slower than the requests. Prometheus: {@code vgate_access_log_dropped_total}.
     */
    public static final String ACCESS_LOG_DROPPED = "vgate.access_log.dropped";

    /** Requests vgate has admitted to vLLM and not yet finished (gauge). */
    public static final String IN_FLIGHT_REQUESTS = "vgate.in.flight.requests";
    /** Requests waiting in the admission queue, by {@link #PRIORITY} (gauge). */
    public static final String QUEUE_DEPTH = "vgate.queue.depth";
    /** Time requests spent in the admission queue, by {@link #PRIORITY} and {@link #OUTCOME}. */
    public static final String QUEUE_WAIT = "vgate.queue.wait";
    /** Requests changed by context fitting, by {@link #MODEL} and {@link #ACTION}. */
    public static final String CONTEXT_ADJUSTMENTS = "vgate.context.adjustments";
    /** 1 while rate-limit buckets are shared through Redis, 0 while this replica limits alone (gauge). */
    public static final String RATE_LIMIT_REDIS_UP = "vgate.rate_limit.redis.up";
    /** Rate-limit decisions taken from local buckets because Redis could not be used, by {@link #REASON}. */
    public static final String RATE_LIMIT_FALLBACK = "vgate.rate_limit.fallback";
    /** API keys vgate currently accepts (gauge). */
    public static final String AUTH_KEYS_LOADED = "vgate.auth.keys.loaded";
    /** Reads of a changed keys file, by {@link #RESULT}. */
    public static final String AUTH_KEY_RELOADS = "vgate.auth.keys.reloads";

    /** Label: the route's short name ({@code chat}, {@code completions}, {@code embeddings}, {@code models}, {@code unknown}). */
    public static final String ROUTE = "route";
    /** Label: the requested model, bounded (see {@link MetricsConfig#models()}); {@code none} when unnamed. */
    public static final String MODEL = "model";
    /** Label: {@code true} when the client asked for a stream. */
    public static final String STREAM = "stream";
    /** Label: {@code 2xx}, {@code 3xx}, {@code 4xx}, {@code 5xx}, or {@code none} when no status was sent. */
    public static final String STATUS_CLASS = "status_class";
    /** Label: the tenant, bounded (see {@link MetricsConfig#tenants()}); {@code anonymous} when unauthenticated. */
    public static final String TENANT = "tenant";
    /** Label: the reason class of a rejection (auth, rate_limit, capacity, timeout, context, upstream, bad_request, internal, other). */
    public static final String REASON = "reason";
    /** Label: vgate's error code of a rejection. */
    public static final String CODE = "code";
    /** Label: why vLLM ended a generation (a fixed set, else {@code other}). */
    public static final String FINISH_REASON = "finish_reason";
    /** Label: what went wrong upstream. */
    public static final String ERROR_TYPE = "error_type";
    /** Label: when a client left. */
    public static final String PHASE = "phase";
    /** Label (semantic conventions): {@code input} or {@code output}. */
    public static final String TOKEN_TYPE = "gen_ai.token.type";

    /** Label: a priority class. */
    public static final String PRIORITY = "priority";
    /** Label: how a wait in the queue ended; how a request ended ({@link #REQUESTS}). */
    public static final String OUTCOME = "outcome";
    /** Label: what context fitting did ({@code clamped}, {@code trimmed}). */
    public static final String ACTION = "action";
    /** Label: {@code success} or {@code failure}. */
    public static final String RESULT = "result";

    private MetricNames() {}
}
