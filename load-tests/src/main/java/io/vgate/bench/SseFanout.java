package io.vgate.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Thousands of concurrent SSE streams through a gateway: the delay it adds to each event, whether events arrive
 * whole and separately, and the gateway's memory with all streams open. Either dialect: streaming chat completions
 * ({@code data:} events ending with {@code [DONE]}) or the Responses API (named events ending with
 * {@code response.completed}, no {@code [DONE]}).
 * <p>
 * Method. The simulator emits each stream's tokens on a fixed timeline (one event per {@code --itl}). An
 * {@link EventTap} sits between the simulator and the reader (the gateway, or for the {@code direct} baseline the
 * client itself) and notes when each event left it; the client notes when the same event (matched by request id
 * and position, verified by CRC) arrived. The tap knows each response's request id from the request it answers on
 * the same upstream connection (see {@link EventTap}), so the same method holds for both dialects. Per event, {@code arrival - tap} is the delay of everything in between.
 * The direct baseline measures the loopback and the client's own reading under the same load; a gateway's
 * <em>added</em> delay is its figure minus the baseline's.
 * <p>
 * "Never merged" is checked three ways, per stream: (1) the client receives exactly the events the simulator sent,
 * same count, same bytes (CRC), same order; (2) for a gateway that writes one event per HTTP chunk (vgate does),
 * no chunk holds anything but one whole event; (3) no single read at the client completed two events that the tap
 * had forwarded more than 1 ms apart, i.e. nothing held an event back until the next one came.
 *
 * <pre>
 * --tap-port P           port the tap listens on (the gateways' upstream); --upstream host:port is the simulator
 * --sim URL              the simulator's base URL, for /sim/settings
 * --target name=URL      repeated; "direct" should point at the tap itself. Options after the URL, comma-separated:
 *                        pidfile=FILE (sample that process's RSS and CPU), ready=URL (wait for it), warmup=20s
 * --streams 2000 --ramp 10s --itl 200ms --tokens 200   streams, how fast they open, their pace and length
 * --dialect chat         or responses: which streaming API the targets' URLs serve
 * --auth "Bearer KEY"    Authorization header for the gateways
 * --out FILE             JSON results
 * </pre>
 */
public final class SseFanout {

    private record Target(String name, URI uri, Path pidFile, URI ready, Duration warmup) {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        String[] up = args.required("upstream").split(":");
        InetSocketAddress upstream = new InetSocketAddress(up[0], Integer.parseInt(up[1]));
        URI sim = URI.create(args.required("sim"));
        int streams = args.intValue("streams", 2000);
        Duration ramp = args.duration("ramp", "10s");
        Duration itl = args.duration("itl", "200ms");
        int tokens = args.intValue("tokens", 200);
        String auth = args.get("auth", null);
        SseStreamClient.Dialect dialect = SseStreamClient.Dialect.of(args.get("dialect", "chat"));
        List<Target> targets = new ArrayList<>();
        for (String spec : args.all("target")) {
            String[] parts = spec.split(",");
            int eq = parts[0].indexOf('=');
            Path pid = null;
            URI ready = null;
            Duration warmup = Duration.ZERO;
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                switch (kv[0]) {
                    case "pidfile" -> pid = Path.of(kv[1]);
                    case "ready" -> ready = URI.create(kv[1]);
                    case "warmup" -> warmup = Args.parseDuration(kv[1]);
                    default -> throw new IllegalArgumentException("unknown target option " + kv[0]);
                }
            }
            URI uri = URI.create(parts[0].substring(eq + 1));
            if (!uri.getPath().equals(dialect.path)) {
                throw new IllegalArgumentException("target " + spec + ": a " + dialect.name().toLowerCase(java.util.Locale.ROOT)
                        + " stream is POST " + dialect.path);
            }
            targets.add(new Target(parts[0].substring(0, eq), uri, pid, ready, warmup));
        }
        ObjectNode out = Json.object();
        out.put("dialect", dialect.name().toLowerCase(java.util.Locale.ROOT));
        out.put("path", dialect.path);
        out.put("request_body", dialect.body("<request id>", tokens));
        out.put("command", command(argv));
        out.put("streams", streams);
        out.put("ramp_s", ramp.toMillis() / 1000.0);
        out.put("inter_token_latency_ms", itl.toNanos() / 1e6);
        out.put("tokens_per_stream", tokens);
        out.put("stream_lifetime_s", tokens * itl.toNanos() / 1e9);
        ObjectNode results = out.putObject("targets");
        HttpClient control = HttpClient.newHttpClient();
        try (EventTap tap = new EventTap(args.intValue("tap-port", 0), upstream)) {
            System.out.println("tap listening on " + tap.port());
            // Every target (and with the direct one, this client, the tap and the simulator) is warmed up before
            // any is measured, so that the first measured run is not the one that pays for the JIT.
            for (Target t : targets) {
                if (t.ready() != null) {
                    awaitReady(control, t.ready());
                }
                if (!t.warmup().isZero()) {
                    System.out.printf("warm-up %s: %s of 64 concurrent fast streams%n", t.name(), t.warmup());
                    simSettings(control, sim, Duration.ofMillis(1));
                    warmup(dialect, t, auth, t.warmup());
                }
            }
            for (Target t : targets) {
                simSettings(control, sim, itl);
                tap.forget();
                System.out.printf("%s: %d streams over %s, one event per %s, %d tokens each%n", t.name(), streams,
                        ramp, itl, tokens);
                results.set(t.name(), measure(dialect, t, tap, streams, ramp, tokens, auth));
            }
        } finally {
            simSettings(control, sim, null);
        }
        Path file = Path.of(args.required("out"));
        Json.write(file, out);
        System.out.println("written " + file);
        System.exit(0);
    }

    private static ObjectNode measure(SseStreamClient.Dialect dialect, Target t, EventTap tap, int streams, Duration ramp,
            int tokens, String auth) throws Exception {
        Integer pid = t.pidFile() == null ? null : Integer.valueOf(Files.readString(t.pidFile()).trim());
        AtomicInteger open = new AtomicInteger();
        ConcurrentLinkedQueue<long[]> samples = new ConcurrentLinkedQueue<>(); // {nanos, open, rssKiB, cpuTicks}
        long start = System.nanoTime();
        long cpuBefore = pid == null ? 0 : ProcStats.cpuTicks(pid);
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                samples.add(new long[] { System.nanoTime() - start, open.get(), pid == null ? -1 : ProcStats.rssKiB(pid),
                        pid == null ? -1 : ProcStats.cpuTicks(pid) });
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Future<SseStreamClient.Result>> futures = new ArrayList<>(streams);
        String run = Long.toString(System.currentTimeMillis() % 100000, 36);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long step = ramp.toNanos() / Math.max(1, streams);
            for (int i = 0; i < streams; i++) {
                long due = start + i * step;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                String id = t.name() + "-" + run + "-" + i;
                byte[] request = SseStreamClient.request(dialect, t.uri(), auth, id, tokens);
                futures.add(threads.submit(() -> {
                    open.incrementAndGet();
                    try {
                        return SseStreamClient.run(dialect, t.uri(), request, id);
                    } finally {
                        open.decrementAndGet();
                    }
                }));
            }
            threads.shutdown();
            if (!threads.awaitTermination(10, TimeUnit.MINUTES)) {
                System.err.println("streams still open after 10 minutes");
            }
        }
        sampler.interrupt();
        long wall = System.nanoTime() - start;
        long cpuAfter = pid == null ? 0 : ProcStats.cpuTicks(pid);

        Histogram delay = new Histogram(60_000_000_000L, 3);
        // How much longer the gap before each event was at the client than at the tap (0 when it was shorter).
        Histogram gap = new Histogram(60_000_000_000L, 3);
        int ok = 0;
        int failed = 0;
        int mismatched = 0;
        long events = 0;
        long chunks = 0;
        long chunksNotOneEvent = 0;
        long coalescedReads = 0;
        long multiEventReads = 0;
        List<String> problems = new ArrayList<>();
        for (Future<SseStreamClient.Result> f : futures) {
            SseStreamClient.Result r = f.get();
            if (r.error != null || r.status != 200 || !r.sawDone) {
                failed++;
                if (problems.size() < 5) {
                    problems.add(r.requestId + ": status " + r.status + ", done " + r.sawDone + ", " + r.error);
                }
                continue;
            }
            EventTap.Stream seen = tap.stream(r.requestId);
            List<long[]> sent = seen == null ? List.of() : seen.snapshot();
            boolean same = sent.size() == r.events.size();
            for (int i = 0; same && i < sent.size(); i++) {
                same = sent.get(i)[1] == r.events.get(i).crc();
            }
            if (!same) {
                mismatched++;
                if (problems.size() < 5) {
                    problems.add(r.requestId + ": simulator sent " + sent.size() + " events, client got " + r.events.size()
                            + (sent.size() == r.events.size() ? " (bytes differ)" : ""));
                }
                continue;
            }
            ok++;
            events += r.events.size();
            chunks += r.chunks;
            chunksNotOneEvent += r.chunksNotOneEvent;
            for (int i = 0; i < sent.size(); i++) {
                long d = r.events.get(i).nanos() - sent.get(i)[0];
                delay.recordValue(Math.max(0, Math.min(d, delay.getHighestTrackableValue())));
                if (i > 0) {
                    long added = (r.events.get(i).nanos() - r.events.get(i - 1).nanos()) - (sent.get(i)[0] - sent.get(i - 1)[0]);
                    gap.recordValue(Math.max(0, Math.min(added, gap.getHighestTrackableValue())));
                }
            }
            // Reads that completed several events: were those events forwarded by the tap at different times?
            int i = 0;
            while (i < r.events.size()) {
                int j = i;
                long min = sent.get(i)[0];
                long max = min;
                while (j + 1 < r.events.size() && r.events.get(j + 1).read() == r.events.get(i).read()) {
                    j++;
                    min = Math.min(min, sent.get(j)[0]);
                    max = Math.max(max, sent.get(j)[0]);
                }
                if (j > i) {
                    multiEventReads++;
                    if (max - min > 1_000_000) {
                        coalescedReads++;
                    }
                }
                i = j + 1;
            }
        }
        ObjectNode o = Json.object();
        o.put("url", t.uri().toString());
        o.put("warmup_s", t.warmup().toMillis() / 1000.0);
        o.put("streams_ok", ok);
        o.put("streams_failed", failed);
        o.put("streams_with_other_events", mismatched);
        o.put("events", events);
        o.put("events_per_s", Math.round(events / (wall / 1e9)));
        o.put("http_chunks", chunks);
        o.put("http_chunks_not_one_event", chunksNotOneEvent);
        o.put("reads_with_several_events", multiEventReads);
        o.put("reads_joining_events_sent_apart", coalescedReads);
        o.put("tap_unnamed_streams", tap.unattributed());
        o.set("event_delay", Json.latency(delay));
        o.set("event_gap_added", Json.latency(gap));
        o.put("wall_s", Json.round(wall / 1e9));
        ArrayNode problemList = o.putArray("problems");
        problems.forEach(problemList::add);
        if (pid != null) {
            List<long[]> s = new ArrayList<>(samples);
            long peak = 0;
            List<Long> plateau = new ArrayList<>();
            int maxOpen = 0;
            ArrayNode series = o.putArray("rss_series"); // [seconds, open streams, RSS MiB]
            for (long[] x : s) {
                peak = Math.max(peak, x[2]);
                maxOpen = Math.max(maxOpen, (int) x[1]);
                if (x[1] >= streams) {
                    plateau.add(x[2]);
                }
                series.addArray().add(Json.round(x[0] / 1e9)).add(x[1]).add(Json.round(x[2] / 1024.0));
            }
            Collections.sort(plateau);
            o.put("pid", pid);
            o.put("max_open_streams", maxOpen);
            o.put("rss_peak_mib", Json.round(peak / 1024.0));
            o.put("rss_all_open_median_mib", plateau.isEmpty() ? -1 : Json.round(plateau.get(plateau.size() / 2) / 1024.0));
            double cpuSeconds = (cpuAfter - cpuBefore) / (double) ProcStats.TICKS_PER_SECOND;
            o.put("cpu_s", Json.round(cpuSeconds));
            if (events > 0) {
                o.put("cpu_us_per_event", Json.round(cpuSeconds * 1e6 / events));
            }
        }
        System.out.printf("%s: ok %d, failed %d, other events %d, %d events; delay p50 %.3f ms p99 %.3f ms max %.3f ms;"
                + " chunks not one event %d/%d; reads joining events sent apart %d%s%n", t.name(), ok, failed, mismatched,
                events, delay.getValueAtPercentile(50) / 1e6, delay.getValueAtPercentile(99) / 1e6,
                delay.getMaxValue() / 1e6, chunksNotOneEvent, chunks, coalescedReads,
                o.has("rss_peak_mib") ? ", RSS peak " + o.get("rss_peak_mib") + " MiB" : "");
        problems.forEach(p -> System.out.println("  " + p));
        return o;
    }

    /** 64 concurrent short streams back to back, to get the gateway's streaming path compiled. */
    private static void warmup(SseStreamClient.Dialect dialect, Target t, String auth, Duration length)
            throws InterruptedException {
        long end = System.nanoTime() + length.toNanos();
        AtomicInteger n = new AtomicInteger();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < 64; w++) {
                threads.submit(() -> {
                    while (System.nanoTime() < end) {
                        String id = "warm-" + t.name() + "-" + n.incrementAndGet();
                        SseStreamClient.run(dialect, t.uri(), SseStreamClient.request(dialect, t.uri(), auth, id, 64), id);
                    }
                });
            }
        }
        System.out.printf("warm-up %s: %d streams%n", t.name(), n.get());
    }

    /**
     * Sets the simulator up for the test (or back to its start-up settings when {@code itl} is null): a fixed
     * inter-token latency that does not grow with the batch, and room for every stream at once.
     */
    private static void simSettings(HttpClient control, URI sim, Duration itl) throws IOException, InterruptedException {
        HttpRequest request;
        if (itl == null) {
            request = HttpRequest.newBuilder(sim.resolve("/sim/settings/reset")).POST(HttpRequest.BodyPublishers.noBody()).build();
        } else {
            String body = "{\"inter-token-latency\":\"" + itl.toNanos() / 1000 + "us\",\"time-to-first-token\":\"25ms\","
                    + "\"prefill-time-per-token\":\"0s\",\"time-factor-under-load\":1.0,\"max-num-seqs\":8192,"
                    + "\"max-num-batched-tokens\":1048576,\"kv-cache-tokens\":16777216}";
            request = HttpRequest.newBuilder(sim.resolve("/sim/settings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        }
        HttpResponse<String> response = control.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("simulator settings refused: " + response.statusCode() + " " + response.body());
        }
    }

    /** The arguments as given, the key of {@code --auth} left out: what the report shows as the command. */
    private static String command(String[] argv) {
        StringBuilder sb = new StringBuilder("io.vgate.bench.SseFanout");
        for (int i = 0; i < argv.length; i++) {
            String a = i > 0 && argv[i - 1].equals("--auth") ? "'Bearer $KEY'" : argv[i];
            sb.append(' ').append(a);
        }
        return sb.toString();
    }

    private static void awaitReady(HttpClient control, URI ready) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                if (control.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(ready + " not ready after 120 s");
    }
}
