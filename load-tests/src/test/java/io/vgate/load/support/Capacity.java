package io.vgate.load.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures how many requests per second the target completes when exactly {@code concurrency} requests run at once
 * (a closed loop), before a scenario sets its open-loop rate from it. With {@code concurrency} equal to the GPU's
 * batch size ({@code --max-num-seqs}) this is the simulated (or real) GPU's capacity for that request shape.
 */
public final class Capacity {

    private Capacity() {
    }

    /** Completed requests per second; requests that fail are not counted. */
    public static double measure(String body, int concurrency, Duration length) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(Target.URL + "/v1/chat/completions"))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (Target.API_KEY != null) {
            request.header("Authorization", "Bearer " + Target.API_KEY);
        }
        HttpRequest built = request.build();
        AtomicLong completed = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < concurrency; i++) {
                workers.submit(() -> {
                    while (System.nanoTime() < end) {
                        try {
                            HttpResponse<InputStream> response = client.send(built, HttpResponse.BodyHandlers.ofInputStream());
                            try (InputStream in = response.body()) {
                                in.transferTo(OutputStream.nullOutputStream());
                            }
                            if (response.statusCode() == 200 && System.nanoTime() <= end) {
                                completed.incrementAndGet();
                            } else if (response.statusCode() != 200) {
                                failed.incrementAndGet();
                            }
                        } catch (IOException e) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
        }
        double perSecond = completed.get() / (length.toNanos() / 1e9);
        System.out.printf("capacity: %d requests completed in %s with %d at a time = %.2f/s (%d failed)%n",
                completed.get(), length, concurrency, perSecond, failed.get());
        if (completed.get() == 0) {
            throw new IllegalStateException("no request completed while measuring capacity: is " + Target.URL + " up?");
        }
        return perSecond;
    }
}
