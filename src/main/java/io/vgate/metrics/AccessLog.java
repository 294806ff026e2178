package io.vgate.metrics;

import io.vgate.api.ApiRoute;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;

/**
 * Writes exactly one access-log line per {@code /v1} request, at INFO in category {@value #CATEGORY}.
 * <p>
 * The facts travel as the record's MDC, so the JSON console format (production) prints them as fields
 * under {@code mdc}; the message repeats the essentials for plain-text logs (dev, test). The line never
 * holds prompt or completion text, API keys, tokens or the {@code Authorization} header: only the facts
 * listed in {@link Fields}. The model name and path, which come from the client, are cut to
 * {@value #MAX_CLIENT_TEXT} characters.
 */
@Singleton
public class AccessLog implements ExchangeObserver {

    /** Logger category of the access log. */
    public static final String CATEGORY = "io.vgate.access";

    static final int MAX_CLIENT_TEXT = 128;

    private static final Logger LOG = Logger.getLogger(CATEGORY);
    private static final String FQCN = AccessLog.class.getName();

    /** MDC keys of the access-log record. */
    public static final class Fields {
        public static final String REQUEST_ID = "requestId";
        public static final String TRACE_ID = "traceId";
        public static final String METHOD = "method";
        public static final String PATH = "path";
        public static final String ROUTE = "route";
        public static final String MODEL = "model";
        public static final String STREAM = "stream";
        public static final String TENANT = "tenant";
        public static final String KEY_ID = "keyId";
        public static final String PRIORITY = "priority";
        public static final String CLIENT_IP = "clientIp";
        public static final String STATUS = "status";
        public static final String OUTCOME = "outcome";
        public static final String DURATION_MS = "durationMs";
        public static final String TTFT_MS = "ttftMs";
        public static final String QUEUE_WAIT_MS = "queueWaitMs";
        public static final String PROMPT_TOKENS = "promptTokens";
        public static final String COMPLETION_TOKENS = "completionTokens";
        public static final String CONTEXT_ADJUSTMENT = "contextAdjustment";
        public static final String TRIMMED_MESSAGES = "trimmedMessages";
        public static final String REASON = "reason";
        public static final String CODE = "code";
        public static final String FINISH_REASON = "finishReason";
        public static final String UPSTREAM_ERROR = "upstreamError";

        private Fields() {}
    }

    private final boolean enabled;
    private final RejectionLogThrottle throttle;

    public AccessLog(MetricsConfig config, RejectionLogThrottle throttle) {
        this.enabled = config.accessLog();
        this.throttle = throttle;
    }

    @Override
    public void onComplete(ExchangeRecord exchange) {
        if (!enabled || !LOG.isLoggable(Level.INFO)) {
            return;
        }
        if (Reasons.clientCaused(exchange.errorCode()) && !throttle.admit(exchange.clientIp(), exchange.errorCode())) {
            return;
        }
        Map<String, String> fields = fields(exchange);
        var record = new ExtLogRecord(Level.INFO, message(exchange, fields), ExtLogRecord.FormatStyle.NO_FORMAT, FQCN);
        record.setLoggerName(CATEGORY);
        record.disableCallerCalculation();
        record.setMdc(fields);
        LOG.logRaw(record);
    }

    /** The facts of one exchange, as logged. */
    static Map<String, String> fields(ExchangeRecord exchange) {
        var fields = new HashMap<String, String>(32);
        ApiRoute route = exchange.route();
        fields.put(Fields.REQUEST_ID, exchange.requestId());
        putIfSet(fields, Fields.TRACE_ID, exchange.traceId());
        fields.put(Fields.METHOD, exchange.method());
        fields.put(Fields.PATH, route != null ? route.path() : clip(exchange.path()));
        fields.put(Fields.ROUTE, route != null ? route.label() : GatewayMetrics.UNKNOWN_ROUTE);
        putIfSet(fields, Fields.MODEL, clip(exchange.model()));
        fields.put(Fields.STREAM, Boolean.toString(exchange.stream()));
        if (exchange.hasTenant()) {
            fields.put(Fields.TENANT, exchange.tenant());
        }
        putIfSet(fields, Fields.KEY_ID, exchange.keyId());
        fields.put(Fields.PRIORITY, exchange.priority());
        fields.put(Fields.CLIENT_IP, exchange.clientIp());
        fields.put(Fields.STATUS, Integer.toString(exchange.status()));
        fields.put(Fields.OUTCOME, outcome(exchange));
        fields.put(Fields.DURATION_MS, millis(exchange.endNanos() - exchange.startNanos()));
        if (exchange.streaming() && exchange.events() > 0) {
            fields.put(Fields.TTFT_MS, millis(exchange.firstEventNanos() - exchange.startNanos()));
        }
        if (exchange.queueWaitNanos() > 0) {
            fields.put(Fields.QUEUE_WAIT_MS, millis(exchange.queueWaitNanos()));
        }
        if (exchange.promptTokens() >= 0) {
            fields.put(Fields.PROMPT_TOKENS, Long.toString(exchange.promptTokens()));
            fields.put(Fields.COMPLETION_TOKENS, Long.toString(exchange.completionTokens()));
        }
        if (exchange.contextAdjustment() != null) {
            fields.put(Fields.CONTEXT_ADJUSTMENT, exchange.contextAdjustment());
            fields.put(Fields.TRIMMED_MESSAGES, Integer.toString(exchange.trimmedMessages()));
        }
        if (exchange.errorCode() != null) {
            fields.put(Fields.REASON, Reasons.of(exchange.errorCode()));
            fields.put(Fields.CODE, exchange.errorCode());
        }
        putIfSet(fields, Fields.FINISH_REASON, clip(exchange.finishReason()));
        putIfSet(fields, Fields.UPSTREAM_ERROR, GatewayMetrics.upstreamError(exchange));
        return fields;
    }

    /** e.g. {@code POST /v1/chat/completions 200 completed 523.417ms model=m tenant=t ttft=120.500ms tokens=12/40 id=…}. */
    private static String message(ExchangeRecord exchange, Map<String, String> fields) {
        var line = new StringBuilder(160)
                .append(fields.get(Fields.METHOD))
                .append(' ')
                .append(fields.get(Fields.PATH))
                .append(' ')
                .append(fields.get(Fields.STATUS))
                .append(' ')
                .append(fields.get(Fields.OUTCOME))
                .append(' ')
                .append(fields.get(Fields.DURATION_MS))
                .append("ms");
        appendIfSet(line, "model=", fields.get(Fields.MODEL), "");
        appendIfSet(line, "tenant=", fields.get(Fields.TENANT), "");
        appendIfSet(line, "ttft=", fields.get(Fields.TTFT_MS), "ms");
        if (exchange.promptTokens() >= 0) {
            line.append(" tokens=").append(exchange.promptTokens()).append('/').append(exchange.completionTokens());
        }
        appendIfSet(line, "adjusted=", fields.get(Fields.CONTEXT_ADJUSTMENT), "");
        appendIfSet(line, "finish=", fields.get(Fields.FINISH_REASON), "");
        appendIfSet(line, "code=", fields.get(Fields.CODE), "");
        appendIfSet(line, "upstream_error=", fields.get(Fields.UPSTREAM_ERROR), "");
        return line.append(" id=").append(exchange.requestId()).toString();
    }

    private static String outcome(ExchangeRecord exchange) {
        return exchange.outcome() == null ? "unknown" : GatewayMetrics.outcome(exchange.outcome());
    }

    /** Nanoseconds as milliseconds with three decimals, without {@code String.format}. */
    static String millis(long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        long fraction = micros % 1_000;
        var text = new StringBuilder(12).append(micros / 1_000).append('.');
        if (fraction < 100) {
            text.append('0');
        }
        if (fraction < 10) {
            text.append('0');
        }
        return text.append(fraction).toString();
    }

    /** Client-supplied text, cut short and with control characters replaced so it cannot forge log lines. */
    static String clip(String text) {
        if (text == null) {
            return null;
        }
        String clipped = text.length() <= MAX_CLIENT_TEXT ? text : text.substring(0, MAX_CLIENT_TEXT);
        for (int i = 0; i < clipped.length(); i++) {
            if (clipped.charAt(i) < 0x20 || clipped.charAt(i) == 0x7f) {
                var safe = new StringBuilder(clipped);
                for (int j = i; j < safe.length(); j++) {
                    if (safe.charAt(j) < 0x20 || safe.charAt(j) == 0x7f) {
                        safe.setCharAt(j, '?');
                    }
                }
                return safe.toString();
            }
        }
        return clipped;
    }

    private static void putIfSet(Map<String, String> fields, String key, String value) {
        if (value != null) {
            fields.put(key, value);
        }
    }

    private static void appendIfSet(StringBuilder line, String key, String value, String unit) {
        if (value != null) {
            line.append(' ').append(key).append(value).append(unit);
        }
    }
}
