package io.vgate.metrics;

import java.time.Instant;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;

/**
 * Access lines through the logger (category {@value AccessLog#CATEGORY}): the facts as the record's MDC, the
 * message for plain-text logs, so Quarkus's log handlers and their format (plain text in dev and test, files,
 * syslog) apply. Called on the access log's writer thread.
 */
final class LoggedAccessLines implements AccessLogWriter.Lines {

    private static final Logger LOG = Logger.getLogger(AccessLog.CATEGORY);
    private static final String FQCN = AccessLog.class.getName();

    private final String[] values = new String[AccessLog.KEYS.length];
    private int pending;

    @Override
    public void add(ExchangeRecord exchange, long epochMillis) {
        pending = 1;
        AccessLog.values(exchange, values);
        String message =
                AccessLog.message(exchange, values, new StringBuilder(192)).toString();
        var record = new ExtLogRecord(Level.INFO, message, ExtLogRecord.FormatStyle.NO_FORMAT, FQCN);
        record.setLoggerName(AccessLog.CATEGORY);
        record.disableCallerCalculation();
        record.setInstant(Instant.ofEpochMilli(epochMillis));
        record.setMdc(AccessLog.fields(values));
        LOG.logRaw(record);
        pending = 0;
    }

    @Override
    public void flush() {}

    @Override
    public int discard() {
        int lost = pending;
        pending = 0;
        return lost;
    }
}
