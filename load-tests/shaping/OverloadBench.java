/*
 * Overload driver for vgate's request shaping (run with a JDK >= 21: `java OverloadBench.java ...`).
 *
 * Sends streaming chat completions and measures, per request, the time to the first SSE event (vLLM's
 * first token: the role chunk comes with the first engine output), the end, and for rejections the time
 * to the full error answer and its `code`. Two modes:
 *
 *   --mode closed --concurrency N --duration S   N workers back to back: measures capacity (requests/s).
 *   --mode open --rate R --duration S            open loop: a request every 1/R s whatever happens, as real
 *                                                users arrive; requests still running at the end are
 *                                                waited for (up to --drain S, default 300).
 *
 * Parameters (defaults): --url (required), --tokens 32 (max_tokens, with ignore_eos so every answer has
 * exactly that length), --warmup 0 (seconds of 4 concurrent requests first, not recorded: JIT of the
 * driver and of a freshly started server), --label run, --out (JSON summary file; printed too),
 * --auth (an Authorization header value, e.g. "Bearer KEY", for a gateway with authentication on),
 * --slo-ttft-ms 1000 (goodput: requests per second that completed with a time to first token within this).
 *
 * Mixed lengths and the engine's side (the adaptive-limit comparison of bench.sh):
 *   --prompt-tokens 100,2000   each request's prompt is about one of these many tokens (picked at random, seeded)
 *   --output-tokens 32-128     each request's max_tokens, uniform in this range (instead of --tokens)
 *   --sim URL                  the simulator: its /metrics is sampled every 250 ms during the run (running, waiting,
 *                              KV-cache usage, preemptions); --max-num-seqs N turns running into a busy fraction
 *   --slow-at S [--slow-speed 0.5]  S seconds after the first arrival, the simulated GPU's speed is set to 0.5
 *                              (POST /sim/settings {"gpu-speed": ...}): the GPU becomes 2x slower mid-run
 *   --gateway-metrics URL      vgate's Prometheus scrape, sampled too: vgate_in_flight_limit and vgate_queue_depth
 * With --drain, requests still running after it are cut (the client closes its connections, so the server aborts
 * them) and counted as failed, which keeps every run's length bounded.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class OverloadBench {

    record Result(long sentNanos, int status, long firstEventNanos, long endNanos, String code) {
        double ttftMillis() {
            return (firstEventNanos - sentNanos) / 1e6;
        }

        double totalMillis() {
            return (endNanos - sentNanos) / 1e6;
        }
    }

    private static String AUTH;

    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"?([A-Za-z0-9_]+)");

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        URI url = URI.create(opts.get("url") + "/v1/chat/completions");
        AUTH = opts.get("auth");
        String mode = opts.getOrDefault("mode", "open");
        int tokens = Integer.parseInt(opts.getOrDefault("tokens", "32"));
        double duration = Double.parseDouble(opts.getOrDefault("duration", "20"));
        double drain = Double.parseDouble(opts.getOrDefault("drain", "300"));
        String label = opts.getOrDefault("label", "run");
        String fixedBody = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about a lighthouse keeper.\"}],"
                + "\"stream\":true,\"max_tokens\":" + tokens + ",\"ignore_eos\":true}";
        Bodies bodies = Bodies.of(opts.get("prompt-tokens"), opts.get("output-tokens"), fixedBody);

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        double warmup = Double.parseDouble(opts.getOrDefault("warmup", "0"));
        if (warmup > 0) {
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            try (ExecutorService warm = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int w = 0; w < 4; w++) {
                    warm.submit(() -> {
                        while (System.nanoTime() < warmEnd) {
                            call(client, url, bodies.next());
                        }
                    });
                }
            }
        }
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long end = start + (long) (duration * 1e9);
        Sampler sampler = new Sampler(opts, start);
        sampler.start();

        if (mode.equals("closed")) {
            int concurrency = Integer.parseInt(opts.getOrDefault("concurrency", "16"));
            for (int w = 0; w < concurrency; w++) {
                threads.submit(() -> {
                    while (System.nanoTime() < end) {
                        results.add(call(client, url, bodies.next()));
                    }
                    return null;
                });
            }
            threads.shutdown();
            threads.awaitTermination((long) (duration + drain), TimeUnit.SECONDS);
        } else {
            double rate = Double.parseDouble(opts.get("rate"));
            long interval = (long) (1e9 / rate);
            long next = start;
            while (next < end) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                String requestBody = bodies.next();
                threads.submit(() -> results.add(call(client, url, requestBody)));
                next += interval;
            }
            threads.shutdown();
            if (!threads.awaitTermination((long) drain, TimeUnit.SECONDS)) {
                // Cut what still runs: closing the connections makes the server abort those requests.
                System.err.println("requests still running after the drain time; cut and counted as failed");
                client.shutdownNow();
                threads.awaitTermination(30, TimeUnit.SECONDS);
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        sampler.stop();
        String summary = summarise(label, mode, opts, new ArrayList<>(results), wall, duration);
        summary = summary.substring(0, summary.length() - 1) + sampler.json() + "}";
        System.out.println(summary);
        if (opts.containsKey("out")) {
            Files.writeString(Path.of(opts.get("out")), summary + "\n");
        }
        System.exit(0);
    }

    private static Result call(HttpClient client, URI url, String body) {
        long sent = System.nanoTime();
        HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(600))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (AUTH != null) {
            builder.header("Authorization", AUTH);
        }
        HttpRequest request = builder.build();
        try {
            HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            long first = 0;
            StringBuilder text = new StringBuilder();
            try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (first == 0 && line.startsWith("data: ")) {
                        first = System.nanoTime();
                    }
                    if (response.statusCode() != 200 || line.startsWith("data: {\"error\"")) {
                        text.append(line);
                    }
                }
            }
            long done = System.nanoTime();
            String code = null;
            if (text.length() > 0) {
                Matcher m = CODE.matcher(text);
                code = m.find() ? m.group(1) : "unknown";
            }
            return new Result(sent, response.statusCode(), first, done, code);
        } catch (Exception e) {
            return new Result(sent, -1, 0, System.nanoTime(), e.getClass().getSimpleName());
        }
    }

    private static String summarise(String label, String mode, Map<String, String> opts, List<Result> all, double wall,
            double duration) {
        List<Double> ttft = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        List<Double> rejectMillis = new ArrayList<>();
        Map<String, Integer> codes = new TreeMap<>();
        int ok = 0;
        int withinSlo = 0;
        double slo = Double.parseDouble(opts.getOrDefault("slo-ttft-ms", "1000"));
        for (Result r : all) {
            boolean streamedOk = r.status() == 200 && r.code() == null && r.firstEventNanos() > 0;
            if (streamedOk) {
                ok++;
                if (r.ttftMillis() <= slo) {
                    withinSlo++;
                }
                ttft.add(r.ttftMillis());
                total.add(r.totalMillis());
            } else {
                codes.merge(r.status() + ":" + r.code(), 1, Integer::sum);
                if (r.status() == 503 || r.status() == 429) {
                    rejectMillis.add(r.totalMillis());
                }
            }
        }
        int rejected = all.size() - ok;
        return "{\"label\":\"" + label + "\",\"mode\":\"" + mode + "\",\"rate\":" + opts.getOrDefault("rate", "null")
                + ",\"concurrency\":" + opts.getOrDefault("concurrency", "null")
                + ",\"duration_s\":" + num(duration) + ",\"wall_s\":" + num(wall)
                + ",\"requests\":" + all.size() + ",\"admitted_ok\":" + ok + ",\"rejected_or_failed\":" + rejected
                + ",\"rejected_share\":" + num(all.isEmpty() ? 0 : rejected / (double) all.size())
                + ",\"completed_per_s\":" + num(mode.equals("closed") ? ok / duration : ok / wall)
                + ",\"slo_ttft_ms\":" + num(slo) + ",\"within_slo\":" + withinSlo
                + ",\"goodput_per_s\":" + num(mode.equals("closed") ? withinSlo / duration : withinSlo / wall)
                + ",\"ttft_ms\":{\"p50\":" + num(pct(ttft, 50)) + ",\"p90\":" + num(pct(ttft, 90)) + ",\"p99\":"
                + num(pct(ttft, 99)) + ",\"max\":" + num(pct(ttft, 100)) + "}"
                + ",\"e2e_ms\":{\"p50\":" + num(pct(total, 50)) + ",\"p99\":" + num(pct(total, 99)) + "}"
                + ",\"rejection_ms\":{\"count\":" + rejectMillis.size() + ",\"p50\":" + num(pct(rejectMillis, 50))
                + ",\"p90\":" + num(pct(rejectMillis, 90)) + ",\"p99\":" + num(pct(rejectMillis, 99)) + ",\"max\":" + num(pct(rejectMillis, 100)) + "}"
                + ",\"outcomes\":" + toJson(codes) + "}";
    }

    private static String num(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.2f", value);
    }

    private static double pct(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String toJson(Map<String, Integer> codes) {
        StringBuilder sb = new StringBuilder("{");
        codes.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        return sb.append('}').toString();
    }

    /** The request bodies of a run: the fixed one, or prompts and answer lengths drawn from the given mix. */
    record Bodies(int[] prompts, int minOut, int maxOut, String fixed, java.util.Random random) {

        static Bodies of(String promptTokens, String outputTokens, String fixed) {
            if (promptTokens == null && outputTokens == null) {
                return new Bodies(null, 0, 0, fixed, null);
            }
            int[] prompts = promptTokens == null ? new int[] {10}
                    : java.util.Arrays.stream(promptTokens.split(",")).mapToInt(v -> Integer.parseInt(v.trim())).toArray();
            String[] out = (outputTokens == null ? "32" : outputTokens).split("-");
            int min = Integer.parseInt(out[0].trim());
            int max = out.length > 1 ? Integer.parseInt(out[1].trim()) : min;
            return new Bodies(prompts, min, max, null, new java.util.Random(42));
        }

        String next() {
            if (fixed != null) {
                return fixed;
            }
            int prompt;
            int out;
            synchronized (random) {
                prompt = prompts[random.nextInt(prompts.length)];
                out = minOut + random.nextInt(maxOut - minOut + 1);
            }
            // The simulator's tokenizer counts " sea" (a short word with its space) as one token: about `prompt` tokens.
            String content = "Tell me a story about a lighthouse keeper." + " sea".repeat(Math.max(0, prompt - 10));
            return "{\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],\"stream\":true,\"max_tokens\":"
                    + out + ",\"ignore_eos\":true}";
        }
    }

    /**
     * Samples the simulator's /metrics (and vgate's, when given) every 250 ms during the run; at --slow-at seconds
     * makes the simulated GPU slower.
     */
    static final class Sampler {
        private final String sim;
        private final String gateway;
        private final int maxNumSeqs;
        private final double slowAt;
        private final double slowSpeed;
        private final long origin;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<double[]> samples = new ArrayList<>(); // t, running, waiting, kv, preemptions, limit, queued
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        private Thread thread;

        Sampler(Map<String, String> opts, long origin) {
            this.sim = opts.get("sim");
            this.gateway = opts.get("gateway-metrics");
            this.maxNumSeqs = Integer.parseInt(opts.getOrDefault("max-num-seqs", "0"));
            this.slowAt = Double.parseDouble(opts.getOrDefault("slow-at", "-1"));
            this.slowSpeed = Double.parseDouble(opts.getOrDefault("slow-speed", "0.5"));
            this.origin = origin;
        }

        void start() {
            if (sim == null) {
                return;
            }
            thread = Thread.ofPlatform().daemon().start(() -> {
                boolean slowed = false;
                while (running.get()) {
                    double t = (System.nanoTime() - origin) / 1e9;
                    if (!slowed && slowAt >= 0 && t >= slowAt) {
                        slowed = true;
                        post(sim + "/sim/settings", "{\"gpu-speed\":" + slowSpeed + "}");
                    }
                    Map<String, Double> engine = scrape(sim + "/metrics");
                    Map<String, Double> gate = gateway == null ? Map.of() : scrape(gateway);
                    if (engine != null) {
                        synchronized (samples) {
                            samples.add(new double[] {t, engine.getOrDefault("vllm:num_requests_running", 0.0),
                                engine.getOrDefault("vllm:num_requests_waiting", 0.0),
                                engine.getOrDefault("vllm:kv_cache_usage_perc", 0.0),
                                engine.getOrDefault("vllm:num_preemptions_total", 0.0),
                                gate == null ? Double.NaN : gate.getOrDefault("vgate_in_flight_limit", Double.NaN),
                                gate == null ? Double.NaN : gate.getOrDefault("vgate_queue_depth", Double.NaN)});
                        }
                    }
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void stop() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(5000);
            }
        }

        private void post(String url, String json) {
            try {
                http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                        .build(), HttpResponse.BodyHandlers.discarding());
            } catch (Exception e) {
                System.err.println("could not change the simulator's settings: " + e);
            }
        }

        /** The samples of a scrape, summed over label sets, by series name; null when it failed. */
        private Map<String, Double> scrape(String url) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return null;
                }
                Map<String, Double> values = new HashMap<>();
                for (String line : r.body().split("\n")) {
                    if (line.isEmpty() || line.startsWith("#")) {
                        continue;
                    }
                    int nameEnd = 0;
                    while (nameEnd < line.length() && line.charAt(nameEnd) != '{' && line.charAt(nameEnd) != ' ') {
                        nameEnd++;
                    }
                    int valueStart = line.charAt(Math.min(nameEnd, line.length() - 1)) == '{'
                            ? line.indexOf('}', nameEnd) + 1 : nameEnd;
                    String[] rest = line.substring(valueStart).trim().split("\\s+");
                    try {
                        values.merge(line.substring(0, nameEnd), Double.parseDouble(rest[0]), Double::sum);
                    } catch (NumberFormatException e) {
                        // not a plain sample
                    }
                }
                return values;
            } catch (Exception e) {
                return null;
            }
        }

        /** ,"vllm":{...},"series":[...] or nothing when the simulator was not sampled. */
        String json() {
            if (sim == null) {
                return "";
            }
            List<double[]> all;
            synchronized (samples) {
                all = new ArrayList<>(samples);
            }
            double running = 0;
            double waiting = 0;
            double waitingMax = 0;
            double kv = 0;
            for (double[] x : all) {
                running += x[1];
                waiting += x[2];
                waitingMax = Math.max(waitingMax, x[2]);
                kv += x[3];
            }
            int n = Math.max(1, all.size());
            double preemptions = all.isEmpty() ? 0 : all.getLast()[4] - all.getFirst()[4];
            StringBuilder sb = new StringBuilder(",\"vllm\":{\"samples\":" + all.size()
                    + ",\"running_mean\":" + num(running / n)
                    + ",\"busy_fraction\":" + (maxNumSeqs > 0 ? num(running / n / maxNumSeqs) : "null")
                    + ",\"waiting_mean\":" + num(waiting / n) + ",\"waiting_max\":" + num(waitingMax)
                    + ",\"kv_cache_usage_mean\":" + num(kv / n) + ",\"preemptions\":" + num(preemptions)
                    + ",\"slow_at_s\":" + (slowAt >= 0 ? num(slowAt) : "null") + "},\"series\":[");
            for (int i = 0; i < all.size(); i++) {
                double[] x = all.get(i);
                sb.append(i == 0 ? "" : ",").append("[").append(num(x[0])).append(',').append(num(x[1])).append(',')
                        .append(num(x[2])).append(',').append(num(x[5])).append(',').append(num(x[6])).append(']');
            }
            return sb.append("]").toString();
        }
    }
}
