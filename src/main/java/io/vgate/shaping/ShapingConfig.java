package io.vgate.shaping;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Request shaping ({@code vgate.shaping.*}): how many requests vgate lets through to vLLM at once, how
 * the rest wait (fair across tenants, by priority class), the timeouts that guard a generation, context
 * fitting, and the drain on shutdown.
 */
@ConfigMapping(prefix = "vgate.shaping")
public interface ShapingConfig {

    /**
     * The most requests that may be in flight to vLLM at once (generation and embeddings; {@code /v1/models} is
     * not counted). With the adaptive limit (the default) it is the upper bound of a limit learned from vLLM's own
     * load, so it need not be exact: vLLM's {@code --max-num-seqs} is a good value. With
     * {@code adaptive.enabled=false} it is the static limit: match it to what the GPU runs at once, so the batch
     * stays full while the waiting happens here, where it is fair, bounded and visible. Defaults to {@code 64},
     * the sidecar's {@code --max-num-seqs 64}.
     */
    @WithDefault("64")
    int maxInFlight();

    /**
     * Requests one tenant may have in flight and queued together; more get {@code 429
     * concurrency_limit_exceeded} with {@code Retry-After}, so one tenant's long streams cannot hold every GPU
     * slot. A key's {@code limits.max-concurrency} in the keys file, or a token's {@code max_concurrency} claim,
     * overrides it for that caller's tenant. At least 1; no cap by default.
     */
    OptionalInt tenantMaxConcurrency();

    /** The adaptive in-flight limit. */
    Adaptive adaptive();

    /**
     * Requests that may wait for a slot, all tenants and priority classes together. A request arriving at a
     * full queue gets {@code 503 queue_full} at once, unless a lower-priority or over-represented request can
     * be shed for it. Defaults to {@code 256}.
     */
    @WithDefault("256")
    int maxQueue();

    /**
     * Longest a request waits for a slot before it gets {@code 503 queue_timeout}. Defaults to {@code 30s}.
     */
    @WithDefault("30s")
    Duration maxQueueWait();

    /**
     * On shutdown (SIGTERM), how long in-flight requests may take to finish before they are ended with a
     * {@code shutting_down} error. The pod's {@code terminationGracePeriodSeconds} must be longer. Defaults to
     * {@code 120s}.
     */
    @WithDefault("120s")
    Duration drainTimeout();

    /** Timeouts of a request once it has been sent to vLLM. */
    Timeouts timeouts();

    /** Priority classes. */
    Priority priority();

    /** Fair sharing of the queue across tenants. */
    Fairness fairness();

    /** Callers allowed to set their own priority class or tenant with request headers. */
    Trusted trusted();

    /** Making requests fit the model's context window. */
    Context context();

    /**
     * Timeouts of a request once it has been sent to vLLM. None of them cuts a healthy long generation: a
     * stream that keeps producing tokens runs as long as it needs unless {@link #total()} is set. A timed-out
     * request is closed upstream, so vLLM aborts it and frees its slot.
     */
    interface Timeouts {

        /**
         * Streaming: longest wait from sending the request until vLLM's first event (prefill of a long prompt
         * included) before the client gets a {@code first_token_timeout} error. Defaults to {@code 60s}.
         */
        @WithDefault("60s")
        Duration timeToFirstToken();

        /**
         * Streaming: longest silence between two events of a stream that has begun before the client gets a
         * {@code stream_idle_timeout} error. Defaults to {@code 30s}.
         */
        @WithDefault("30s")
        Duration idleBetweenEvents();

        /**
         * Non-streaming: longest wait for vLLM's whole answer, which only arrives when the generation ends,
         * before the client gets {@code 504 upstream_timeout}. Clients with long answers should stream.
         * Defaults to {@code 10m}.
         */
        @WithDefault("10m")
        Duration nonStreamingResponse();

        /**
         * Optional cap on a request's whole life in vgate (queue wait included); {@code request_timeout} when
         * exceeded. Off by default, so long generations are never cut.
         */
        Optional<Duration> total();
    }

    /**
     * Priority classes. A request's class comes from its API key (set by the auth step) or from the
     * {@code X-Vgate-Priority} header of a trusted caller; without either it is {@code interactive}. A lower
     * class waits while any higher one waits, and is shed first when the queue is full.
     */
    interface Priority {

        /**
         * The classes, highest first. A request naming a class not listed is treated as the lowest one.
         * Defaults to {@code interactive,batch}.
         */
        @WithDefault("interactive,batch")
        List<String> classes();

        /**
         * Per-class override of {@link ShapingConfig#maxQueueWait()}, e.g.
         * {@code vgate.shaping.priority.max-queue-wait."batch"=5m}. None by default.
         */
        Map<String, Duration> maxQueueWait();

        /**
         * Whether each request is sent to vLLM with its class as vLLM's {@code priority} field (lower is served
         * first), so that inside vLLM's batch too, batch requests yield to interactive ones. Needs vLLM started
         * with {@code --scheduling-policy priority}; vLLM's default FCFS policy accepts and ignores the field.
         * A {@code priority} the client sent itself is replaced. Defaults to {@code false}.
         */
        @WithDefault("false")
        boolean toVllm();

        /**
         * With {@link #toVllm()}: the {@code priority} value sent for each class, e.g.
         * {@code vgate.shaping.priority.vllm-values."batch"=10}. A class not listed sends its position in
         * {@link #classes()} ({@code 0} for the highest).
         */
        Map<String, Integer> vllmValues();
    }

    /**
     * The adaptive in-flight limit: vgate reads vLLM's {@code /metrics} (running and waiting requests, KV-cache
     * usage, preemptions) over localhost every {@link #interval()} and moves its limit between {@link #min()} and
     * {@link ShapingConfig#maxInFlight()}: up while vLLM's own waiting queue is empty, its KV cache below
     * {@link #kvCacheThreshold()} and vgate has requests to send; down at once when vLLM queues or preempts. The
     * rule and why it is stable are documented on {@link AdaptiveLimit}. When the metrics cannot be read, the last
     * limit holds. Admission enforces the limit; it is exported as {@code vgate_in_flight_limit} with the signals
     * it was computed from.
     */
    interface Adaptive {

        /**
         * Whether the limit is computed from vLLM's load. {@code false} makes {@link ShapingConfig#maxInFlight()}
         * a static limit. Defaults to {@code true}.
         */
        @WithDefault("true")
        boolean enabled();

        /** How often vLLM's load is read and the limit adjusted. Defaults to {@code 250ms}. */
        @WithDefault("250ms")
        Duration interval();

        /**
         * The lowest the limit goes, and where it starts (it reaches a few hundred within seconds under load).
         * Lowered to {@code max-in-flight} when above it. Defaults to {@code 8}.
         */
        @WithDefault("8")
        int min();

        /**
         * KV-cache usage (0 to 1) at or above which the limit stops growing: more sequences would soon be
         * preempted. Defaults to {@code 0.9}.
         */
        @WithDefault("0.9")
        double kvCacheThreshold();

        /** Additive growth per interval near the last measured capacity. Defaults to {@code 1}. */
        @WithDefault("1")
        int increase();

        /**
         * Fast growth per interval before the capacity is known, as a fraction of the requests vLLM is running.
         * Defaults to {@code 0.25}.
         */
        @WithDefault("0.25")
        double growthFraction();

        /**
         * Multiplicative decrease when vLLM preempts, or queues while running no fewer than the limit (a queue
         * it reports while running fewer takes the limit straight down to what it runs). Defaults to {@code 0.9}.
         */
        @WithDefault("0.9")
        double backoff();

        /**
         * Path of vLLM's Prometheus metrics, on the upstream's address. Defaults to {@code /metrics}.
         */
        @WithDefault("/metrics")
        String metricsPath();
    }

    /**
     * Fair queuing: waiting requests of one priority class are admitted in weighted round robin over the
     * tenants that have requests waiting, so a tenant that floods the queue only delays itself.
     */
    interface Fairness {

        /** Weight of tenants not listed in {@link #weights()}. Defaults to {@code 1}. */
        @WithDefault("1")
        int defaultWeight();

        /**
         * Per-tenant weights: a tenant of weight 3 gets three admissions per round for every one of a tenant
         * of weight 1, e.g. {@code vgate.shaping.fairness.weights."team-a"=3}. Keys are tenant ids (the API
         * key's tenant, else the client address). None by default.
         */
        Map<String, Integer> weights();
    }

    /**
     * Callers trusted to set {@code X-Vgate-Priority} (and, when enabled, {@code X-Vgate-Tenant}): those whose
     * TCP peer address is in {@link #cidrs()}. Only the direct peer counts, never {@code X-Forwarded-For}; do not
     * list an ingress proxy here, or everyone behind it becomes trusted.
     */
    interface Trusted {

        /**
         * Trusted peer networks, e.g. {@code 10.0.12.0/24,127.0.0.1/32}. Empty by default: the headers are
         * ignored.
         */
        Optional<List<String>> cidrs();

        /**
         * Whether trusted callers may also name the tenant with {@code X-Vgate-Tenant} (a front end queuing on
         * behalf of its users). Defaults to {@code false}.
         */
        @WithDefault("false")
        boolean tenantHeader();
    }

    /**
     * Context fitting: before a generation goes to vLLM, make sure prompt plus completion fit the model's
     * {@code max_model_len} (read from vLLM's {@code /v1/models}) instead of letting vLLM answer 400.
     */
    interface Context {

        /**
         * What to do when a request does not fit: {@code off} (leave it to vLLM), {@code clamp} (lower
         * {@code max_tokens}/{@code max_completion_tokens} to the room left) or {@code trim} (also drop the
         * oldest turns of a chat, keeping system messages and the last user turn, until the prompt leaves room
         * for {@link #minCompletionTokens()}). Defaults to {@code clamp}.
         */
        @WithDefault("clamp")
        ContextPolicy policy();

        /**
         * With {@code trim}: the completion budget the prompt must leave room for (or the request's own
         * {@code max_tokens} when smaller). Defaults to {@code 256}.
         */
        @WithDefault("256")
        int minCompletionTokens();

        /**
         * Per-model overrides, keyed by the model name the client sends, e.g.
         * {@code vgate.shaping.context.models."llama-3-70b".policy=trim}.
         */
        Map<String, ModelContext> models();

        /**
         * How often the model list ({@code max_model_len}) is read again from vLLM. It is also read again when
         * vLLM comes back after being unreachable. Defaults to {@code 5m}.
         */
        @WithDefault("5m")
        Duration refreshInterval();

        /**
         * Cheap bound, fixed part: tokens the chat template may add to a conversation (default system prompt,
         * generation prompt). A request whose body size in bytes plus this plus
         * {@link #templateTokensPerMessage()} per message, plus the completion, fits the context is sent without
         * counting its tokens, since a byte-level tokenizer never makes more tokens than bytes. Raise it for
         * models whose template injects long default text. Defaults to {@code 256}.
         */
        @WithDefault("256")
        int templateTokens();

        /** Cheap bound: tokens the chat template may add per message. Defaults to {@code 16}. */
        @WithDefault("16")
        int templateTokensPerMessage();

        /**
         * Prompt tokens one image takes ({@code image_url}, {@code image_embeds} parts). vLLM's {@code /tokenize}
         * sees an image as one placeholder, so vgate counts this per image instead. Set it to what the served
         * model's processor makes of its largest accepted image. Defaults to {@code 576} (a 336-pixel
         * ViT-L/14 encoder, as LLaVA-style models use; the simulator's value).
         */
        @WithDefault("576")
        int imageTokens();

        /**
         * Prompt tokens one audio clip takes ({@code input_audio}, {@code audio_url}, {@code audio_embeds} parts).
         * Defaults to {@code 188} (about 7.5 s at Qwen2-Audio's 25 tokens per second; the simulator's value).
         */
        @WithDefault("188")
        int audioTokens();

        /**
         * Prompt tokens one video takes ({@code video_url} parts). Defaults to {@code 1024} (16 frames of 64
         * tokens; the simulator's value).
         */
        @WithDefault("1024")
        int videoTokens();
    }

    /** Context fitting settings of one model. */
    interface ModelContext {

        /** This model's policy. Defaults to {@code vgate.shaping.context.policy}. */
        Optional<ContextPolicy> policy();

        /** This model's minimum completion budget. Defaults to {@code vgate.shaping.context.min-completion-tokens}. */
        @WithName("min-completion-tokens")
        OptionalInt minCompletionTokens();
    }

    /** Prefix-cache isolation between tenants. */
    CacheSalt cacheSalt();

    /**
     * Prefix-cache isolation ({@code vgate.shaping.cache-salt.*}): each generation request is sent with vLLM's
     * {@code cache_salt} set to a keyed hash of its tenant, replacing the client's own, so tenants never share
     * prefix-cache blocks and none can probe another's prompts through time to first token.
     */
    interface CacheSalt {

        /** Whether requests get their tenant's salt. Defaults to {@code false}. */
        @WithDefault("false")
        boolean enabled();

        /**
         * The secret key of the salts' HMAC-SHA256, the same on every replica in front of one vLLM (e.g. 32
         * random bytes, base64, from a Secret). Required when {@link #enabled()}; no default.
         */
        Optional<String> key();
    }
}
