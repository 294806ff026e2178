package io.vgate.observability;

import io.vgate.metrics.AccessLog;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;

/** Records what the access logger publishes, as the console handler would receive it. */
final class AccessLogCapture extends Handler {

    private final List<ExtLogRecord> records = new CopyOnWriteArrayList<>();

    void install() {
        Logger.getLogger(AccessLog.CATEGORY).addHandler(this);
    }

    void remove() {
        Logger.getLogger(AccessLog.CATEGORY).removeHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        var ext = ExtLogRecord.wrap(record);
        ext.copyAll();
        records.add(ext);
    }

    /** The records logged for {@code requestId}. */
    List<ExtLogRecord> forRequest(String requestId) {
        return records.stream()
                .filter(r -> requestId.equals(r.getMdc(AccessLog.Fields.REQUEST_ID)))
                .toList();
    }

    /** Waits for the line of {@code requestId} and returns its fields. */
    Map<String, String> await(String requestId) {
        return await(requestId, Duration.ofSeconds(10)).getMdcCopy();
    }

    ExtLogRecord await(String requestId, Duration timeout) {
        return org.awaitility.Awaitility.await()
                .atMost(timeout)
                .until(() -> forRequest(requestId), list -> !list.isEmpty())
                .getFirst();
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
