package io.vgate.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vgate.bench.http.Http1Connection;

/**
 * Added latency at a fixed request rate (an open loop, like wrk2): requests are sent on a fixed schedule whatever
 * the answers do, and each one's latency is measured from the moment it was <em>due</em>, so a stalled server is
 * charged for every request it delays (no coordinated omission). Latencies go into HdrHistograms with microsecond
 * resolution; Gatling's and wrk's millisecond figures are too coarse for a sub-millisecond overhead.
 * <p>
 * Every target is warmed up at the same rate first, then measured in {@code --rounds} alternating slices
 * (direct, vgate, nginx, direct, vgate, ...) so that a change in the machine's background load falls on all of
 * them alike.
 *
 * <pre>
 * --target name=URL      repeated; the order of the slices (e.g. direct=http://127.0.0.1:8000/v1/chat/completions)
 * --rate 500             requests per second
 * --duration 30s         measured time per target, split over the rounds
 * --rounds 3             alternating slices per target
 * --warmup 10s           unrecorded time per target at the same rate before the first round
 * --auth "Bearer KEY"    Authorization header (the simulator and nginx ignore it)
 * --body JSON            the request (default: a small chat completion, max_tokens 8, ignore_eos)
 * --out FILE             JSON results
 * </pre>
 */
public final class FixedRateLatency {

    static final String DEFAULT_BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"Say hello in five words.\"}],"
            + "\"max_tokens\":8,\"ignore_eos\":true}";

    private record Target(String name, URI uri, byte[] request, ConcurrentLinkedDeque<Http1Connection> idle,
            Histogram latency, AtomicLong errors, AtomicLong sent, Map<String, LongAdder> errorKinds) {

        /** Counts one failed request under {@code kind} (a status, or the exception that ended it). */
        void failed(String kind) {
            errors.incrementAndGet();
            errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
        }
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        double rate = args.doubleValue("rate", 500);
        Duration duration = args.duration("duration", "30s");
        int rounds = args.intValue("rounds", 3);
        Duration warmup = args.duration("warmup", "10s");
        String body = args.get("body", DEFAULT_BODY);
        Map<String, String> headers = new LinkedHashMap<>();
        String auth = args.get("auth", null);
        if (auth != null) {
            headers.put("Authorization", auth);
        }
        List<Target> targets = new ArrayList<>();
        for (String t : args.all("target")) {
            int eq = t.indexOf('=');
            URI uri = URI.create(t.substring(eq + 1));
            targets.add(new Target(t.substring(0, eq), uri, Http1Connection.post(uri, body, headers),
                    new ConcurrentLinkedDeque<>(), new ConcurrentHistogram(60_000_000_000L, 3), new AtomicLong(),
                    new AtomicLong(), new ConcurrentSkipListMap<>()));
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("at least one --target name=URL");
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Target t : targets) {
                System.out.printf("warm-up %s: %s at %.0f req/s%n", t.name(), warmup, rate);
                run(t, rate, warmup, threads, null);
            }
            Duration slice = duration.dividedBy(rounds);
            for (int r = 1; r <= rounds; r++) {
                for (Target t : targets) {
                    run(t, rate, slice, threads, t.latency());
                    System.out.printf("round %d %-8s n=%d p50=%.3f ms p99=%.3f ms errors=%d%s%n", r, t.name(),
                            t.latency().getTotalCount(), t.latency().getValueAtPercentile(50) / 1e6,
                            t.latency().getValueAtPercentile(99) / 1e6, t.errors().get(),
                            t.errorKinds().isEmpty() ? "" : " " + t.errorKinds());
                }
            }
        }
        ObjectNode out = Json.object();
        out.put("rate_per_s", rate);
        out.put("duration_s_per_target", duration.toMillis() / 1000.0);
        out.put("rounds", rounds);
        out.put("warmup_s_per_target", warmup.toMillis() / 1000.0);
        out.put("body", body);
        ObjectNode results = out.putObject("targets");
        for (Target t : targets) {
            ObjectNode o = Json.latency(t.latency());
            o.put("errors", t.errors().get());
            ObjectNode kinds = o.putObject("error_kinds");
            t.errorKinds().forEach((kind, count) -> kinds.put(kind, count.sum()));
            o.put("url", t.uri().toString());
            results.set(t.name(), o);
        }
        Path file = Path.of(args.required("out"));
        Json.write(file, out);
        for (Target t : targets) {
            t.idle().forEach(Http1Connection::close);
        }
        System.out.println("written " + file);
    }

    /** Sends requests to one target on a fixed schedule for {@code length}; records into {@code into} unless null. */
    private static void run(Target t, double rate, Duration length, ExecutorService threads, Histogram into)
            throws InterruptedException {
        long interval = (long) (1e9 / rate);
        long start = System.nanoTime();
        long end = start + length.toNanos();
        AtomicLong inFlight = new AtomicLong();
        for (long due = start; due < end; due += interval) {
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            long scheduled = due;
            inFlight.incrementAndGet();
            threads.execute(() -> {
                try {
                    send(t, scheduled, into);
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        }
        // The slice ends when its last answer is in, so the next target starts on an idle machine.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    private static void send(Target t, long scheduled, Histogram into) {
        Http1Connection c = t.idle().pollFirst();
        boolean reused = c != null;
        try {
            if (c == null) {
                c = new Http1Connection(t.uri());
            }
            int status = c.exchange(t.request());
            long latency = System.nanoTime() - scheduled;
            if (into != null) {
                into.recordValue(Math.min(latency, into.getHighestTrackableValue()));
                t.sent().incrementAndGet();
                if (status != 200) {
                    t.failed("status " + status);
                }
            }
            if (c.mustClose()) {
                c.close();
            } else {
                t.idle().addFirst(c);
            }
        } catch (Exception e) {
            if (into != null) {
                t.failed((reused ? "kept-alive connection: " : "new connection: ") + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            if (c != null) {
                c.close();
            }
        }
    }
}
