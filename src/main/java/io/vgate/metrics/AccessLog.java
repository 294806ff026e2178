package io.vgate.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.vgate.api.ApiRoute;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Level;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logmanager.Logger;

/**
 * Writes exactly one access-log line per {@code /v1} request, at INFO in category {@value #CATEGORY}.
 * <p>
 * The request's event loop only hands the immutable {@link ExchangeRecord} to a bounded buffer
 * ({@link MetricsConfig#accessLogBuffer()}); one writer thread builds each line once, off the event loop (see
 * {@link AccessLogWriter}). When the buffer is full the line is dropped and counted
 * ({@link MetricNames#ACCESS_LOG_DROPPED}): a slow log pipe never stalls requests.
 * <p>
 * With a JSON console (production) the writer prints one compact JSON object per line itself, the facts as
 * fields under {@code mdc} (see {@link JsonAccessLines}); otherwise (dev, test, or
 * {@link MetricsConfig#accessLogFormat()} {@code log}) it hands each line to the logger, the facts as the
 * record's MDC and the message repeating the essentials for plain-text logs. The line never
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

    /** The keys in the order the JSON line writes them; the index of each is its slot in {@link #values}. */
    static final String[] KEYS = {
        Fields.REQUEST_ID,
        Fields.TRACE_ID,
        Fields.METHOD,
        Fields.PATH,
        Fields.ROUTE,
        Fields.MODEL,
        Fields.STREAM,
        Fields.TENANT,
        Fields.KEY_ID,
        Fields.PRIORITY,
        Fields.CLIENT_IP,
        Fields.STATUS,
        Fields.OUTCOME,
        Fields.DURATION_MS,
        Fields.TTFT_MS,
        Fields.QUEUE_WAIT_MS,
        Fields.PROMPT_TOKENS,
        Fields.COMPLETION_TOKENS,
        Fields.CONTEXT_ADJUSTMENT,
        Fields.TRIMMED_MESSAGES,
        Fields.REASON,
        Fields.CODE,
        Fields.FINISH_REASON,
        Fields.UPSTREAM_ERROR
    };

    private static final int REQUEST_ID = 0;
    private static final int TRACE_ID = 1;
    private static final int METHOD = 2;
    private static final int PATH = 3;
    private static final int ROUTE = 4;
    private static final int MODEL = 5;
    private static final int STREAM = 6;
    private static final int TENANT = 7;
    private static final int KEY_ID = 8;
    private static final int PRIORITY = 9;
    private static final int CLIENT_IP = 10;
    private static final int STATUS = 11;
    private static final int OUTCOME = 12;
    private static final int DURATION_MS = 13;
    private static final int TTFT_MS = 14;
    private static final int QUEUE_WAIT_MS = 15;
    private static final int PROMPT_TOKENS = 16;
    private static final int COMPLETION_TOKENS = 17;
    private static final int CONTEXT_ADJUSTMENT = 18;
    private static final int TRIMMED_MESSAGES = 19;
    private static final int REASON = 20;
    private static final int CODE = 21;
    private static final int FINISH_REASON = 22;
    private static final int UPSTREAM_ERROR = 23;

    private final RejectionLogThrottle throttle;
    private final AccessLogWriter writer;

    @Inject
    public AccessLog(MetricsConfig config, RejectionLogThrottle throttle, MeterRegistry registry) {
        this(config, throttle, registry, destination(config.accessLogFormat(), ConfigProvider.getConfig()));
    }

    AccessLog(
            MetricsConfig config, RejectionLogThrottle throttle, MeterRegistry registry, AccessLogWriter.Lines lines) {
        this.throttle = throttle;
        this.writer = config.accessLog() ? new AccessLogWriter(config.accessLogBuffer(), lines) : null;
        if (writer != null) {
            FunctionCounter.builder(MetricNames.ACCESS_LOG_DROPPED, writer, AccessLogWriter::dropped)
                    .description("Access-log lines dropped because the access log's buffer was full")
                    .register(registry);
        }
    }

    /**
     * Where the lines go: {@code json} writes them to the console's stream itself; {@code log} hands them to
     * the logger; {@code auto} picks {@code json} when the console is on, prints JSON and lets INFO through,
     * else {@code log}.
     */
    static AccessLogWriter.Lines destination(MetricsConfig.AccessLogFormat format, Config config) {
        boolean json = switch (format) {
            case JSON -> true;
            case LOG -> false;
            case AUTO -> jsonConsole(config);
        };
        if (!json) {
            return new LoggedAccessLines();
        }
        boolean stderr = config.getOptionalValue("quarkus.log.console.stderr", Boolean.class)
                .orElse(false);
        return new JsonAccessLines(new FileOutputStream(stderr ? FileDescriptor.err : FileDescriptor.out));
    }

    private static boolean jsonConsole(Config config) {
        boolean console = config.getOptionalValue("quarkus.log.console.enabled", Boolean.class)
                .or(() -> config.getOptionalValue("quarkus.log.console.enable", Boolean.class))
                .orElse(true);
        boolean json = config.getOptionalValue("quarkus.log.console.json.enabled", Boolean.class)
                .orElse(true);
        String level = config.getOptionalValue("quarkus.log.console.level", String.class)
                .orElse("ALL")
                .trim()
                .toUpperCase(java.util.Locale.ROOT);
        return console && json && printsInfo(level);
    }

    /** Whether a console at {@code level} prints INFO lines. */
    static boolean printsInfo(String level) {
        return switch (level) {
            case "OFF", "FATAL", "ERROR", "SEVERE", "WARN", "WARNING" -> false;
            default -> true;
        };
    }

    /**
     * Runs on the request's event loop: decides whether the exchange gets a line and hands the immutable record
     * to the writer thread, which formats and writes it. Never blocks: a full buffer drops the line and counts it.
     */
    @Override
    public void onComplete(ExchangeRecord exchange) {
        if (writer == null || !LOG.isLoggable(Level.INFO)) {
            return;
        }
        if (Reasons.clientCaused(exchange.errorCode()) && !throttle.admit(exchange.clientIp(), exchange.errorCode())) {
            return;
        }
        writer.offer(exchange);
    }

    /** Writes what is still buffered, then stops the writer thread; later lines are written by their caller. */
    void stop(@Observes @Priority(Integer.MAX_VALUE) ShutdownEvent event) {
        close();
    }

    void close() {
        if (writer != null) {
            writer.close();
        }
    }

    /** Lines dropped so far because the buffer was full. */
    long dropped() {
        return writer == null ? 0 : writer.dropped();
    }

    /** The facts of one exchange, as logged. */
    static Map<String, String> fields(ExchangeRecord exchange) {
        String[] values = new String[KEYS.length];
        values(exchange, values);
        return fields(values);
    }

    /** The facts given as {@link #values}, by key. */
    static Map<String, String> fields(String[] values) {
        var fields = new HashMap<String, String>(32);
        for (int i = 0; i < KEYS.length; i++) {
            if (values[i] != null) {
                fields.put(KEYS[i], values[i]);
            }
        }
        return fields;
    }

    /** Fills {@code values} (one slot per {@link #KEYS}) with the facts of {@code exchange}; absent ones are null. */
    static void values(ExchangeRecord exchange, String[] values) {
        ApiRoute route = exchange.route();
        values[REQUEST_ID] = exchange.requestId();
        values[TRACE_ID] = exchange.traceId();
        values[METHOD] = exchange.method();
        values[PATH] = route != null ? route.path() : clip(exchange.path());
        values[ROUTE] = route != null ? route.label() : GatewayMetrics.UNKNOWN_ROUTE;
        values[MODEL] = clip(exchange.model());
        values[STREAM] = exchange.stream() ? "true" : "false";
        values[TENANT] = exchange.tenant();
        values[KEY_ID] = exchange.keyId();
        values[PRIORITY] = exchange.priority();
        values[CLIENT_IP] = exchange.clientIp();
        values[STATUS] = Integer.toString(exchange.status());
        values[OUTCOME] = outcome(exchange);
        values[DURATION_MS] = millis(exchange.endNanos() - exchange.startNanos());
        values[TTFT_MS] = exchange.streaming() && exchange.events() > 0
                ? millis(exchange.firstEventNanos() - exchange.startNanos())
                : null;
        values[QUEUE_WAIT_MS] = exchange.queueWaitNanos() > 0 ? millis(exchange.queueWaitNanos()) : null;
        boolean tokens = exchange.promptTokens() >= 0;
        values[PROMPT_TOKENS] = tokens ? Long.toString(exchange.promptTokens()) : null;
        values[COMPLETION_TOKENS] = tokens ? Long.toString(exchange.completionTokens()) : null;
        boolean adjusted = exchange.contextAdjustment() != null;
        values[CONTEXT_ADJUSTMENT] = exchange.contextAdjustment();
        values[TRIMMED_MESSAGES] = adjusted ? Integer.toString(exchange.trimmedMessages()) : null;
        boolean error = exchange.errorCode() != null;
        values[REASON] = error ? Reasons.of(exchange.errorCode()) : null;
        values[CODE] = exchange.errorCode();
        values[FINISH_REASON] = clip(exchange.finishReason());
        values[UPSTREAM_ERROR] = GatewayMetrics.upstreamError(exchange);
    }

    /**
     * Appends the message of {@code exchange}, whose {@link #values} are given, to {@code line}, e.g.
     * {@code POST /v1/chat/completions 200 completed 523.417ms model=m tenant=t ttft=120.500ms tokens=12/40 id=…}.
     */
    static StringBuilder message(ExchangeRecord exchange, String[] values, StringBuilder line) {
        line.append(values[METHOD])
                .append(' ')
                .append(values[PATH])
                .append(' ')
                .append(values[STATUS])
                .append(' ')
                .append(values[OUTCOME])
                .append(' ')
                .append(values[DURATION_MS])
                .append("ms");
        appendIfSet(line, "model=", values[MODEL], "");
        appendIfSet(line, "tenant=", values[TENANT], "");
        appendIfSet(line, "ttft=", values[TTFT_MS], "ms");
        if (exchange.promptTokens() >= 0) {
            line.append(" tokens=").append(exchange.promptTokens()).append('/').append(exchange.completionTokens());
        }
        appendIfSet(line, "adjusted=", values[CONTEXT_ADJUSTMENT], "");
        appendIfSet(line, "finish=", values[FINISH_REASON], "");
        appendIfSet(line, "code=", values[CODE], "");
        appendIfSet(line, "upstream_error=", values[UPSTREAM_ERROR], "");
        return line.append(" id=").append(values[REQUEST_ID]);
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

    private static void appendIfSet(StringBuilder line, String key, String value, String unit) {
        if (value != null) {
            line.append(' ').append(key).append(value).append(unit);
        }
    }
}
