package io.vgate.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Records every log line of the application while open (all categories, at the levels they are configured
 * for), message and stack trace as they would be printed.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();

    private LogCapture() {
        setLevel(Level.ALL);
    }

    /** Starts recording. */
    public static LogCapture start() {
        var capture = new LogCapture();
        Logger.getLogger("").addHandler(capture);
        return capture;
    }

    /** The lines recorded so far: level, category, message and any stack trace. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** How many recorded lines contain {@code text}. */
    public long count(String text) {
        return lines.stream().filter(line -> line.contains(text)).count();
    }

    @Override
    public void publish(LogRecord record) {
        String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        var line = new StringBuilder()
                .append(record.getLevel())
                .append(' ')
                .append(record.getLoggerName())
                .append(' ')
                .append(message);
        if (record.getThrown() != null) {
            var trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append('\n').append(trace);
        }
        lines.add(line.toString());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
