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
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about a lighthouse keeper.\"}],"
                + "\"stream\":true,\"max_tokens\":" + tokens + ",\"ignore_eos\":true}";

        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        double warmup = Double.parseDouble(opts.getOrDefault("warmup", "0"));
        if (warmup > 0) {
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            try (ExecutorService warm = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int w = 0; w < 4; w++) {
                    warm.submit(() -> {
                        while (System.nanoTime() < warmEnd) {
                            call(client, url, body);
                        }
                    });
                }
            }
        }
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long end = start + (long) (duration * 1e9);

        if (mode.equals("closed")) {
            int concurrency = Integer.parseInt(opts.getOrDefault("concurrency", "16"));
            for (int w = 0; w < concurrency; w++) {
                threads.submit(() -> {
                    while (System.nanoTime() < end) {
                        results.add(call(client, url, body));
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
                threads.submit(() -> results.add(call(client, url, body)));
                next += interval;
            }
            threads.shutdown();
            if (!threads.awaitTermination((long) drain, TimeUnit.SECONDS)) {
                System.err.println("requests still running after the drain time; they are not counted");
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        String summary = summarise(label, mode, opts, new ArrayList<>(results), wall, duration);
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
}
