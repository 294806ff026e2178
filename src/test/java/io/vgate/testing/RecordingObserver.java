package io.vgate.testing;

import io.vgate.metrics.ExchangeObserver;
import io.vgate.metrics.ExchangeRecord;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Remembers the facts of recent exchanges by request id, so tests can check what the data path recorded
 * (tenant, key id, priority, client address, error code) the way the metrics and access log will see it.
 */
@ApplicationScoped
public class RecordingObserver implements ExchangeObserver {

    /** What an exchange ended with. */
    public record Facts(int status, String errorCode, String tenant, String keyId, String priority, String clientIp) {}

    private static final int KEEP = 2000;

    private final Map<String, Facts> byRequestId = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();

    @Override
    public void onComplete(ExchangeRecord exchange) {
        byRequestId.put(
                exchange.requestId(),
                new Facts(
                        exchange.status(),
                        exchange.errorCode(),
                        exchange.hasTenant() ? exchange.tenant() : exchange.clientIp(),
                        exchange.keyId(),
                        exchange.priority(),
                        exchange.clientIp()));
        order.add(exchange.requestId());
        while (order.size() > KEEP) {
            String oldest = order.poll();
            if (oldest != null) {
                byRequestId.remove(oldest);
            }
        }
    }

    /** The facts of the exchange with {@code requestId}, or {@code null} if it has not completed. */
    public Facts get(String requestId) {
        return byRequestId.get(requestId);
    }
}
