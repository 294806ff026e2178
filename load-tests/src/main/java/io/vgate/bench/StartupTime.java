package io.vgate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Start-up time and memory of a freshly started gateway process, measured from outside: the clock starts just before
 * the process is spawned ({@code fork/exec} of {@code java}) and stops when {@code --ready} first answers 200, then
 * when a first real request ({@code --request}, a POST) is served with 200. Both URLs are polled every
 * {@code --poll} (default 2 ms) by a client that was warmed up beforehand, so what is measured is the gateway's
 * start, not this driver's. RSS is read from {@code /proc} at ready, after the first request, and after
 * {@code --settle} more requests. Quarkus's own "started in" figure is parsed from the log when present. CPU time
 * (user + system, the process and its children, from {@code /proc}) at ready and after the first request, and the
 * classes loaded at ready (the JVM's own counter, {@link JvmCounters}), are what a busy machine disturbs least.
 * Each run starts a new process and stops it (SIGTERM) before the next.
 *
 * <pre>
 * --cmd "java -Xmx256m -jar quarkus-run.jar"   the command line (split on spaces)
 * --env NAME=value       repeated; added to this process's environment
 * --ready URL            e.g. http://127.0.0.1:PORT/q/health/ready
 * --request URL          e.g. http://127.0.0.1:PORT/v1/chat/completions
 * --auth "Bearer KEY"    Authorization for --request
 * --warm URL             a URL to warm this driver's HTTP client against first (e.g. the simulator's /health)
 * --runs 5 --settle 50   --log FILE (the gateway's output, per run suffixed) --out FILE
 * </pre>
 */
public final class StartupTime {

    private static final Pattern STARTED = Pattern.compile("started in ([0-9.]+)s");

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        List<String> cmd = List.of(args.required("cmd").trim().split("\\s+"));
        URI ready = URI.create(args.required("ready"));
        URI request = URI.create(args.required("request"));
        String auth = args.get("auth", null);
        int runs = args.intValue("runs", 5);
        int settle = args.intValue("settle", 50);
        Duration poll = args.duration("poll", "2ms");
        Path log = Path.of(args.get("log", "startup.log"));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest.Builder chat = HttpRequest.newBuilder(request).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(FixedRateLatency.DEFAULT_BODY));
        if (auth != null) {
            chat.header("Authorization", auth);
        }
        HttpRequest chatRequest = chat.build();
        String warm = args.get("warm", null);
        if (warm != null) {
            for (int i = 0; i < 200; i++) {
                client.send(HttpRequest.newBuilder(URI.create(warm)).build(), HttpResponse.BodyHandlers.discarding());
            }
        }

        ObjectNode out = Json.object();
        out.put("command", String.join(" ", cmd));
        out.put("ready_url", ready.toString());
        out.put("request_url", request.toString());
        ArrayNode list = out.putArray("runs");
        List<Double> readyMs = new ArrayList<>();
        List<Double> firstMs = new ArrayList<>();
        List<Double> cpuReadyMs = new ArrayList<>();
        List<Double> classesReady = new ArrayList<>();
        List<Double> rssReady = new ArrayList<>();
        List<Double> rssSettled = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            Path runLog = log.resolveSibling(log.getFileName() + "." + run);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(runLog.toFile());
            Map<String, String> env = pb.environment();
            for (String e : args.all("env")) {
                int eq = e.indexOf('=');
                env.put(e.substring(0, eq), e.substring(eq + 1));
            }
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                int pid = (int) p.pid();
                long tReady = until(client, HttpRequest.newBuilder(ready).build(), p, poll, t0);
                long cpu0 = ProcStats.cpuTicks(pid);
                long rss0 = ProcStats.rssKiB(pid);
                OptionalLong classes0 = JvmCounters.loadedClasses(pid);
                long tFirst = until(client, chatRequest, p, poll, t0);
                long cpu1 = ProcStats.cpuTicks(pid);
                long rss1 = ProcStats.rssKiB(pid);
                for (int i = 0; i < settle; i++) {
                    client.send(chatRequest, HttpResponse.BodyHandlers.discarding());
                }
                long rss2 = ProcStats.rssKiB(pid);
                Double quarkus = null;
                Matcher m = STARTED.matcher(Files.readString(runLog));
                if (m.find()) {
                    quarkus = Double.parseDouble(m.group(1)) * 1000;
                }
                ObjectNode o = list.addObject();
                o.put("ready_ms", Json.round(tReady / 1e6));
                o.put("first_request_ms", Json.round(tFirst / 1e6));
                if (quarkus != null) {
                    o.put("quarkus_started_in_ms", quarkus);
                }
                o.put("cpu_at_ready_ms", cpu0 * 1000 / ProcStats.TICKS_PER_SECOND);
                o.put("cpu_after_first_request_ms", cpu1 * 1000 / ProcStats.TICKS_PER_SECOND);
                classes0.ifPresent(n -> o.put("classes_at_ready", n));
                o.put("rss_at_ready_mib", Json.round(rss0 / 1024.0));
                o.put("rss_after_first_request_mib", Json.round(rss1 / 1024.0));
                o.put("rss_after_" + settle + "_requests_mib", Json.round(rss2 / 1024.0));
                readyMs.add(tReady / 1e6);
                cpuReadyMs.add(cpu0 * 1000.0 / ProcStats.TICKS_PER_SECOND);
                classes0.ifPresent(n -> classesReady.add((double) n));
                firstMs.add(tFirst / 1e6);
                rssReady.add(rss0 / 1024.0);
                rssSettled.add(rss2 / 1024.0);
                System.out.printf("run %d: ready %.0f ms, first request %.0f ms%s, CPU at ready %d ms, %s classes,"
                                + " RSS %.0f / %.0f / %.0f MiB%n", run, tReady / 1e6, tFirst / 1e6,
                        quarkus == null ? "" : " (Quarkus: started in " + quarkus + " ms)",
                        cpu0 * 1000 / ProcStats.TICKS_PER_SECOND,
                        classes0.isPresent() ? Long.toString(classes0.getAsLong()) : "?", rss0 / 1024.0, rss1 / 1024.0,
                        rss2 / 1024.0);
            } finally {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
        }
        out.put("settle_requests", settle);
        out.put("ready_ms_median", Json.round(median(readyMs)));
        out.put("ready_ms_max", Json.round(Collections.max(readyMs)));
        out.put("first_request_ms_median", Json.round(median(firstMs)));
        out.put("first_request_ms_max", Json.round(Collections.max(firstMs)));
        out.put("cpu_at_ready_ms_median", Json.round(median(cpuReadyMs)));
        if (!classesReady.isEmpty()) {
            out.put("classes_at_ready_median", Json.round(median(classesReady)));
        }
        out.put("rss_at_ready_mib_median", Json.round(median(rssReady)));
        out.put("rss_settled_mib_median", Json.round(median(rssSettled)));
        Path file = Path.of(args.required("out"));
        Json.write(file, out);
        System.out.println("written " + file);
    }

    /** Nanoseconds from {@code t0} until {@code request} answers 200, polling; fails if the process exits first. */
    private static long until(HttpClient client, HttpRequest request, Process p, Duration poll, long t0)
            throws IOException, InterruptedException {
        long deadline = t0 + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("process exited with " + p.exitValue() + " before "
                        + request.uri() + " answered; see its log");
            }
            try {
                if (client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return System.nanoTime() - t0;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(poll);
        }
        throw new IllegalStateException(request.uri() + " not answering 200 after 120 s");
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
