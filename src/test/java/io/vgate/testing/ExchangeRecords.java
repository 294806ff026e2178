package io.vgate.testing;

import io.vgate.metrics.ExchangeObserver;
import io.vgate.metrics.ExchangeRecord;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.awaitility.Awaitility;

/**
 * Keeps the whole {@link ExchangeRecord} of recent exchanges by request id, for tests that check what the
 * metrics and the access log are handed: route, outcome, time to first token, tokens.
 */
@ApplicationScoped
public class ExchangeRecords implements ExchangeObserver {

    private static final int KEEP = 2000;

    private final Map<String, ExchangeRecord> byRequestId = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();

    @Override
    public void onComplete(ExchangeRecord exchange) {
        byRequestId.put(exchange.requestId(), exchange);
        order.add(exchange.requestId());
        while (order.size() > KEEP) {
            String oldest = order.poll();
            if (oldest != null) {
                byRequestId.remove(oldest);
            }
        }
    }

    /** The record of the exchange with {@code requestId}, or {@code null} if it has not completed. */
    public ExchangeRecord get(String requestId) {
        return byRequestId.get(requestId);
    }

    /** The record of the exchange with {@code requestId}, once it completed; fails after 10 s without one. */
    public ExchangeRecord await(String requestId) {
        return Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> get(requestId), record -> record != null);
    }
}
