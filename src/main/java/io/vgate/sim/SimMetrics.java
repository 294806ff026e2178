package io.vgate.sim;

import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.prometheus.client.SimpleCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * vLLM's engine metrics (V1 {@code PrometheusStatLogger}) with their exact names, types, help texts, label names and
 * buckets, in a registry of the simulator's own (not Quarkus's {@code /q/metrics}).
 *
 * <p>Metrics are kept with the Prometheus simpleclient (whose model mirrors Python's {@code prometheus_client}) and
 * written by {@link #scrape()} exactly as {@code prometheus_client.generate_latest} writes them: registration order,
 * counters as {@code _total}, histograms as {@code _bucket}/{@code _count}/{@code _sum}, {@code _created} samples as
 * separate gauges after each metric, labels sorted by name, values in Go float format. Labels are
 * {@code model_name} (first served name) and {@code engine="0"}.</p>
 */
final class SimMetrics {

    /** Content type of {@code /metrics}, as vLLM serves it. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final double[] TTFT_BUCKETS = {
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
        160.0, 640.0, 2560.0
    };
    private static final double[] ITL_BUCKETS = {
        0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0
    };
    private static final double[] REQUEST_LATENCY_BUCKETS = {
        0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0,
        1920.0, 7680.0
    };
    private static final double[] ITERATION_TOKEN_BUCKETS = {
        1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384
    };
    private static final double[] N_BUCKETS = {1, 2, 5, 10, 20};

    private static final List<String> FINISH_REASONS = List.of("stop", "length", "abort", "error");

    private final List<SimpleCollector<?>> collectors = new ArrayList<>();
    private final Counter success;

    final Counter.Child prefixCacheQueries;
    final Counter.Child prefixCacheHits;
    final Counter.Child preemptions;
    final Counter.Child promptTokens;
    final Counter.Child generationTokens;
    final Counter.Child successStop;
    final Counter.Child successLength;
    final Counter.Child successAbort;
    final Counter.Child successError;
    final Histogram.Child requestPromptTokens;
    final Histogram.Child requestGenerationTokens;
    final Histogram.Child iterationTokens;
    final Histogram.Child requestMaxNumGenerationTokens;
    final Histogram.Child requestParamsN;
    final Histogram.Child requestParamsMaxTokens;
    final Histogram.Child timeToFirstToken;
    final Histogram.Child interTokenLatency;
    final Histogram.Child requestTimePerOutputToken;
    final Histogram.Child e2eRequestLatency;
    final Histogram.Child requestQueueTime;
    final Histogram.Child requestInferenceTime;
    final Histogram.Child requestPrefillTime;
    final Histogram.Child requestDecodeTime;

    /**
     * @param modelName the {@code model_name} label: the first served name
     * @param maxModelLen sizes the 1-2-5 token buckets, as vLLM does
     * @param numGpuBlocks KV blocks, reported in {@code vllm:cache_config_info}
     * @param running current running sequences
     * @param waiting current waiting sequences
     * @param kvUsage current KV-cache usage, 0 to 1
     */
    SimMetrics(
            String modelName,
            int maxModelLen,
            int numGpuBlocks,
            DoubleSupplier running,
            DoubleSupplier waiting,
            DoubleSupplier kvUsage) {
        String[] labels = {modelName, "0"};
        gauge("vllm:num_requests_running", "Number of requests in model execution batches.", running, labels);
        gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", waiting, labels);
        gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", kvUsage, labels);

        prefixCacheQueries = counter(
                "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.", labels);
        prefixCacheHits =
                counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", labels);
        preemptions = counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.", labels);
        promptTokens = counter("vllm:prompt_tokens", "Number of prefill tokens processed.", labels);
        generationTokens = counter("vllm:generation_tokens", "Number of generation tokens processed.", labels);

        success = register(Counter.build()
                .name("vllm:request_success")
                .help("Count of successfully processed requests.")
                .labelNames("model_name", "engine", "finished_reason")
                .create());
        successStop = success.labels(modelName, "0", "stop");
        successLength = success.labels(modelName, "0", "length");
        successAbort = success.labels(modelName, "0", "abort");
        successError = success.labels(modelName, "0", "error");

        double[] tokenBuckets = oneTwoFiveBuckets(maxModelLen);
        requestPromptTokens =
                histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tokenBuckets, labels);
        requestGenerationTokens = histogram(
                "vllm:request_generation_tokens", "Number of generation tokens processed.", tokenBuckets, labels);
        iterationTokens = histogram(
                "vllm:iteration_tokens_total",
                "Histogram of number of tokens per engine_step.",
                ITERATION_TOKEN_BUCKETS,
                labels);
        requestMaxNumGenerationTokens = histogram(
                "vllm:request_max_num_generation_tokens",
                "Histogram of maximum number of requested generation tokens.",
                tokenBuckets,
                labels);
        requestParamsN = histogram("vllm:request_params_n", "Histogram of the n request parameter.", N_BUCKETS, labels);
        requestParamsMaxTokens = histogram(
                "vllm:request_params_max_tokens",
                "Histogram of the max_tokens request parameter.",
                tokenBuckets,
                labels);
        timeToFirstToken = histogram(
                "vllm:time_to_first_token_seconds",
                "Histogram of time to first token in seconds.",
                TTFT_BUCKETS,
                labels);
        interTokenLatency = histogram(
                "vllm:inter_token_latency_seconds",
                "Histogram of inter-token latency in seconds.",
                ITL_BUCKETS,
                labels);
        requestTimePerOutputToken = histogram(
                "vllm:request_time_per_output_token_seconds",
                "Histogram of time_per_output_token_seconds per request.",
                ITL_BUCKETS,
                labels);
        e2eRequestLatency = histogram(
                "vllm:e2e_request_latency_seconds",
                "Histogram of e2e request latency in seconds.",
                REQUEST_LATENCY_BUCKETS,
                labels);
        requestQueueTime = histogram(
                "vllm:request_queue_time_seconds",
                "Histogram of time spent in WAITING phase for request.",
                REQUEST_LATENCY_BUCKETS,
                labels);
        requestInferenceTime = histogram(
                "vllm:request_inference_time_seconds",
                "Histogram of time spent in RUNNING phase for request.",
                REQUEST_LATENCY_BUCKETS,
                labels);
        requestPrefillTime = histogram(
                "vllm:request_prefill_time_seconds",
                "Histogram of time spent in PREFILL phase for request.",
                REQUEST_LATENCY_BUCKETS,
                labels);
        requestDecodeTime = histogram(
                "vllm:request_decode_time_seconds",
                "Histogram of time spent in DECODE phase for request.",
                REQUEST_LATENCY_BUCKETS,
                labels);

        // An info-style gauge fixed at 1; labels are CacheConfig.metrics_info() in field order, then engine.
        register(Gauge.build()
                        .name("vllm:cache_config_info")
                        .help("Information of the LLMEngine CacheConfig")
                        .labelNames(
                                "block_size",
                                "cache_dtype",
                                "calculate_kv_scales",
                                "cpu_offload_gb",
                                "enable_prefix_caching",
                                "gpu_memory_utilization",
                                "is_attention_free",
                                "num_cpu_blocks",
                                "num_gpu_blocks",
                                "num_gpu_blocks_override",
                                "prefix_caching_hash_algo",
                                "sliding_window",
                                "swap_space",
                                "engine")
                        .create())
                .labels(
                        Integer.toString(SimEngine.BLOCK_SIZE),
                        "auto",
                        "False",
                        "0",
                        "True",
                        "0.9",
                        "False",
                        "None",
                        Integer.toString(numGpuBlocks),
                        "None",
                        "sha256",
                        "None",
                        "4",
                        "0")
                .set(1);
    }

    /** The Prometheus text exposition (format 0.0.4), byte for byte as Python's {@code generate_latest}. */
    String scrape() {
        StringBuilder sb = new StringBuilder(24576);
        for (SimpleCollector<?> collector : collectors) {
            for (MetricFamilySamples family : collector.collect()) {
                String name = family.type == Collector.Type.COUNTER ? family.name + "_total" : family.name;
                String help = family.help.replace("\\", "\\\\").replace("\n", "\\n");
                sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
                sb.append("# TYPE ")
                        .append(name)
                        .append(' ')
                        .append(typeName(family.type))
                        .append('\n');
                List<MetricFamilySamples.Sample> samples = new ArrayList<>(family.samples);
                if (collector == success) {
                    // Children in creation order (FinishReason order), as prometheus_client keeps them.
                    samples.sort(java.util.Comparator.comparingInt(
                            sample -> FINISH_REASONS.indexOf(sample.labelValues.get(2))));
                }
                List<MetricFamilySamples.Sample> created = new ArrayList<>();
                for (MetricFamilySamples.Sample sample : samples) {
                    if (sample.name.equals(family.name + "_created")) {
                        created.add(sample);
                    } else {
                        sampleLine(sb, sample);
                    }
                }
                if (!created.isEmpty()) {
                    sb.append("# HELP ")
                            .append(family.name)
                            .append("_created ")
                            .append(help)
                            .append('\n');
                    sb.append("# TYPE ").append(family.name).append("_created gauge\n");
                    created.forEach(sample -> sampleLine(sb, sample));
                }
            }
        }
        return sb.toString();
    }

    private static String typeName(Collector.Type type) {
        return switch (type) {
            case COUNTER -> "counter";
            case GAUGE -> "gauge";
            case HISTOGRAM -> "histogram";
            case SUMMARY -> "summary";
            default -> "untyped";
        };
    }

    /** One sample: labels sorted by name and escaped, value in Go float format, like {@code sample_line}. */
    private static void sampleLine(StringBuilder sb, MetricFamilySamples.Sample sample) {
        sb.append(sample.name);
        int n = sample.labelNames.size();
        if (n > 0) {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> sample.labelNames.get(a).compareTo(sample.labelNames.get(b)));
            sb.append('{');
            for (int i = 0; i < n; i++) {
                String label = sample.labelNames.get(order[i]);
                String value = sample.labelValues.get(order[i]);
                if (label.equals("le")) {
                    value = goFloat(value.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(value));
                }
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(label)
                        .append("=\"")
                        .append(value.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\""))
                        .append('"');
            }
            sb.append('}');
        }
        sb.append(' ').append(goFloat(sample.value)).append('\n');
    }

    /** {@code prometheus_client.utils.floatToGoString}. */
    static String goFloat(double d) {
        if (d == Double.POSITIVE_INFINITY) {
            return "+Inf";
        }
        if (d == Double.NEGATIVE_INFINITY) {
            return "-Inf";
        }
        if (Double.isNaN(d)) {
            return "NaN";
        }
        String s = Json.pyFloat(d);
        int dot = s.indexOf('.');
        if (d > 0 && dot > 6) {
            String mantissa = s.charAt(0) + "." + s.substring(1, dot) + s.substring(dot + 1);
            int end = mantissa.length();
            while (end > 0 && (mantissa.charAt(end - 1) == '0' || mantissa.charAt(end - 1) == '.')) {
                end--;
            }
            return mantissa.substring(0, end) + "e+0" + (dot - 1);
        }
        return s;
    }

    /** Records what vLLM records when a request's first token is out: time to first token, prompt and parameters. */
    void firstToken(Choice[] choices, double ttftSeconds, int paramN, int paramMaxTokens) {
        for (Choice c : choices) {
            timeToFirstToken.observe(ttftSeconds);
            promptTokens.inc(c.promptLen);
        }
        requestParamsN.observe(paramN);
        requestParamsMaxTokens.observe(paramMaxTokens);
    }

    /** Records a finished sequence: its finish reason, latencies and token counts ({@code firstTokenNanos < 0}: none). */
    void finished(Choice c, long arrivalNanos, long scheduledNanos, long firstTokenNanos) {
        success(c.finishReason);
        long end = c.finishNanos;
        e2eRequestLatency.observe(seconds(end - arrivalNanos));
        requestQueueTime.observe(seconds((scheduledNanos >= 0 ? scheduledNanos : end) - arrivalNanos));
        requestPromptTokens.observe(c.promptLen);
        requestGenerationTokens.observe(c.generated);
        requestMaxNumGenerationTokens.observe(c.maxTokens);
        if (firstTokenNanos >= 0) {
            requestPrefillTime.observe(seconds(firstTokenNanos - scheduledNanos));
            requestDecodeTime.observe(seconds(end - firstTokenNanos));
            requestInferenceTime.observe(seconds(end - scheduledNanos));
            if (c.generated > 1) {
                requestTimePerOutputToken.observe(seconds(end - firstTokenNanos) / (c.generated - 1));
            }
        }
    }

    private static double seconds(long nanos) {
        return Math.max(0, nanos) / 1e9;
    }

    /** Counts a finished sequence under its finish reason ({@code stop}, {@code length}, {@code abort}, {@code error}). */
    void success(String finishReason) {
        switch (finishReason) {
            case "stop" -> successStop.inc();
            case "length" -> successLength.inc();
            case "abort" -> successAbort.inc();
            default -> successError.inc();
        }
    }

    /** vLLM's {@code build_1_2_5_buckets}: 1, 2, 5, 10, 20, 50, … up to {@code max}. */
    static double[] oneTwoFiveBuckets(int max) {
        List<Double> buckets = new ArrayList<>();
        long exponent = 1;
        outer:
        while (true) {
            for (int mantissa : new int[] {1, 2, 5}) {
                long value = mantissa * exponent;
                if (value > max) {
                    break outer;
                }
                buckets.add((double) value);
            }
            exponent *= 10;
        }
        return buckets.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private void gauge(String name, String help, DoubleSupplier value, String[] labels) {
        Gauge gauge = register(Gauge.build()
                .name(name)
                .help(help)
                .labelNames("model_name", "engine")
                .create());
        gauge.setChild(
                new Gauge.Child() {
                    @Override
                    public double get() {
                        return value.getAsDouble();
                    }
                },
                labels);
    }

    private Counter.Child counter(String name, String help, String[] labels) {
        return register(Counter.build()
                        .name(name)
                        .help(help)
                        .labelNames("model_name", "engine")
                        .create())
                .labels(labels);
    }

    private Histogram.Child histogram(String name, String help, double[] buckets, String[] labels) {
        return register(Histogram.build()
                        .name(name)
                        .help(help)
                        .buckets(buckets)
                        .labelNames("model_name", "engine")
                        .create())
                .labels(labels);
    }

    private <C extends SimpleCollector<?>> C register(C collector) {
        collectors.add(collector);
        return collector;
    }
}
