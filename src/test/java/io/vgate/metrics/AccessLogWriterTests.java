package io.vgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vgate.api.ApiRoute;
import io.vgate.streaming.RelayOutcome;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.jboss.logmanager.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The access log's writer: JSON lines built once off the event loop, written whole in few writes, a bounded
 * buffer whose overflow is dropped and counted, nothing lost on close.
 */
class AccessLogWriterTests {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
        Logger.getLogger(AccessLog.CATEGORY).setLevel(null);
    }

    @Test
    void writesOneCompactJsonObjectPerLineWithTheFactsUnderMdc() throws Exception {
        var out = new Writes();
        var lines = new JsonAccessLines(out);
        long at = Instant.parse("2026-03-04T05:06:07.089Z").toEpochMilli();

        lines.add(exchange("req-1", "llama-3", "team-a"), at);
        lines.flush();

        assertThat(out.text()).endsWith("\n").hasLineCount(1);
        JsonNode line = MAPPER.readTree(out.text());
        assertThat(line.get("timestamp").asText()).isEqualTo("2026-03-04T05:06:07.089Z");
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("loggerName").asText()).isEqualTo(AccessLog.CATEGORY);
        assertThat(line.get("message").asText())
                .isEqualTo("POST /v1/chat/completions 200 completed 1500.250ms model=llama-3 tenant=team-a"
                        + " tokens=9/12 finish=stop id=req-1");
        assertThat(fieldNames(line)).containsExactly("timestamp", "level", "loggerName", "message", "mdc");
        JsonNode mdc = line.get("mdc");
        assertThat(mdc.get(AccessLog.Fields.REQUEST_ID).asText()).isEqualTo("req-1");
        assertThat(mdc.get(AccessLog.Fields.ROUTE).asText()).isEqualTo("chat");
        assertThat(mdc.get(AccessLog.Fields.STATUS).asText()).isEqualTo("200");
        assertThat(mdc.get(AccessLog.Fields.DURATION_MS).asText()).isEqualTo("1500.250");
        assertThat(mdc.get(AccessLog.Fields.PROMPT_TOKENS).asText()).isEqualTo("9");
        assertThat(mdc.get(AccessLog.Fields.FINISH_REASON).asText()).isEqualTo("stop");
        assertThat(mdc.has(AccessLog.Fields.TTFT_MS)).isFalse();
        assertThat(mdc.has(AccessLog.Fields.CODE)).isFalse();
        var expected = new java.util.TreeMap<String, String>(AccessLog.fields(exchange("req-1", "llama-3", "team-a")));
        var written = new java.util.TreeMap<String, String>();
        mdc.properties()
                .forEach(field -> written.put(field.getKey(), field.getValue().asText()));
        assertThat(written).as("the same facts as the logger's MDC").isEqualTo(expected);
    }

    @Test
    void escapesQuotesBackslashesNonAsciiAndControlCharacters() throws Exception {
        var out = new Writes();
        var lines = new JsonAccessLines(out);
        String model = "say \"hi\" C:\\models\\modèle-日本-😀\u0001\u007f";
        String tenant = "tenant\u0000\u0008\t\n\r\u001f\"\\é";

        lines.add(exchange("esc-1", model, tenant), System.currentTimeMillis());
        lines.flush();

        byte[] bytes = out.bytes();
        for (int i = 0; i < bytes.length - 1; i++) {
            assertThat(bytes[i] & 0xff)
                    .as("byte %d is no raw control character", i)
                    .isGreaterThanOrEqualTo(0x20);
        }
        assertThat(bytes[bytes.length - 1]).isEqualTo((byte) '\n');
        JsonNode line = MAPPER.readTree(out.text());
        assertThat(line.get("mdc").get(AccessLog.Fields.MODEL).asText())
                .as("the client's model name, control characters neutralised")
                .isEqualTo("say \"hi\" C:\\models\\modèle-日本-😀??");
        assertThat(line.get("mdc").get(AccessLog.Fields.TENANT).asText()).isEqualTo(tenant);
        assertThat(line.get("message").asText()).contains("model=say \"hi\" C:\\models\\modèle-日本-😀?? tenant=");
    }

    @Test
    void writesWholeLinesOnlyAndAtMostPipeBufPerWrite() throws Exception {
        var out = new Writes();
        var lines = new JsonAccessLines(out);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String id = "whole-" + i;
            ids.add(id);
            // Lines of many lengths; one far longer than a pipe's atomic write.
            String tenant = i == 150 ? "t".repeat(6000) : "t".repeat(i % 97);
            lines.add(exchange(id, "m".repeat(i % 130), tenant), System.currentTimeMillis());
        }
        lines.flush();

        assertThat(out.writes).hasSizeGreaterThan(10);
        for (byte[] write : out.writes) {
            String text = new String(write, StandardCharsets.UTF_8);
            assertThat(text).endsWith("\n");
            List<String> inWrite = text.lines().toList();
            inWrite.forEach(line -> assertThat(parse(line).isObject()).isTrue());
            if (write.length > JsonAccessLines.MAX_WRITE) {
                assertThat(inWrite)
                        .as("a line longer than PIPE_BUF is written alone")
                        .hasSize(1);
                assertThat(parse(inWrite.getFirst()).get("mdc").get("requestId").asText())
                        .isEqualTo("whole-150");
            }
        }
        assertThat(out.writes)
                .filteredOn(w -> w.length > JsonAccessLines.MAX_WRITE)
                .hasSize(1);
        assertThat(out.text()
                        .lines()
                        .map(line -> parse(line).get("mdc").get("requestId").asText()))
                .containsExactlyElementsOf(ids);
    }

    @Test
    void dropsAndCountsLinesWhileTheOutputIsBlocked() throws Exception {
        var out = new BlockingWrites();
        var registry = new SimpleMeterRegistry();
        var accessLog = accessLog(config(true, 4), out, registry);

        accessLog.onComplete(exchange("blocked-0", "m", "t"));
        assertThat(out.entered.await(10, TimeUnit.SECONDS))
                .as("the writer is stuck in a write")
                .isTrue();
        for (int i = 1; i <= 4; i++) {
            accessLog.onComplete(exchange("queued-" + i, "m", "t"));
        }
        long started = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            accessLog.onComplete(exchange("dropped-" + i, "m", "t"));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("a full buffer never blocks the caller")
                .isLessThan(Duration.ofSeconds(1));

        assertThat(dropped(registry)).isEqualTo(10);
        out.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> out.text().lines().count() == 5);
        assertThat(out.text()).contains("blocked-0", "queued-1", "queued-4").doesNotContain("dropped-");
        assertThat(dropped(registry)).isEqualTo(10);
    }

    @Test
    void closeWritesEverythingQueuedAndLaterLinesToo() throws Exception {
        var out = new Writes();
        long othersRunning = writerThreads(); // an application started by another test class keeps its own
        var accessLog = accessLog(config(true, 1024), out, new SimpleMeterRegistry());
        for (int i = 0; i < 1000; i++) {
            accessLog.onComplete(exchange("close-" + i, "m", "t"));
        }

        accessLog.close();
        assertThat(out.text().lines()).hasSize(1000);
        assertThat(writerThreads()).as("the writer thread has stopped").isEqualTo(othersRunning);

        accessLog.onComplete(exchange("after-close", "m", "t"));
        assertThat(out.text().lines()).hasSize(1001).last().asString().contains("after-close");
        assertThat(accessLog.dropped()).isZero();
    }

    @Test
    void honoursTheSwitchAndTheCategoryLevel() throws Exception {
        var off = new Writes();
        var disabled = accessLog(config(false, 16), off, new SimpleMeterRegistry());
        disabled.onComplete(exchange("switched-off", "m", "t"));
        disabled.close();
        assertThat(off.text()).isEmpty();

        var out = new Writes();
        var accessLog = accessLog(config(true, 16), out, new SimpleMeterRegistry());
        Logger.getLogger(AccessLog.CATEGORY).setLevel(Level.OFF);
        accessLog.onComplete(exchange("level-off", "m", "t"));
        Logger.getLogger(AccessLog.CATEGORY).setLevel(Level.INFO);
        accessLog.onComplete(exchange("level-info", "m", "t"));
        accessLog.close();

        assertThat(out.text())
                .doesNotContain("level-off")
                .contains("level-info")
                .hasLineCount(1);
    }

    @Test
    void writesTimestampsInUtcWithMilliseconds() {
        var lines = new JsonAccessLines(new Writes());
        long at = Instant.parse("1999-12-31T23:59:59.999Z").toEpochMilli();
        assertThat(new String(lines.timestamp(at))).isEqualTo("1999-12-31T23:59:59.999Z");
        assertThat(new String(lines.timestamp(at + 1))).isEqualTo("2000-01-01T00:00:00.000Z");
        assertThat(new String(lines.timestamp(at + 1 + 61_007))).isEqualTo("2000-01-01T00:01:01.007Z");
    }

    private AccessLog accessLog(MetricsConfig config, OutputStream out, SimpleMeterRegistry registry) {
        var accessLog = new AccessLog(
                config, new RejectionLogThrottle(config, null, System::nanoTime), registry, new JsonAccessLines(out));
        toClose.add(accessLog::close);
        return accessLog;
    }

    private static double dropped(SimpleMeterRegistry registry) {
        return registry.get(MetricNames.ACCESS_LOG_DROPPED).functionCounter().count();
    }

    private static long writerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(AccessLogWriter.THREAD_NAME) && t.isAlive())
                .count();
    }

    private static JsonNode parse(String line) {
        try {
            return MAPPER.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    static ExchangeRecord exchange(String requestId, String model, String tenant) {
        long end = System.nanoTime();
        return new ExchangeRecord(
                ApiRoute.CHAT_COMPLETIONS,
                requestId,
                null,
                "POST",
                "/v1/chat/completions",
                model,
                null,
                false,
                tenant,
                "key-1",
                "interactive",
                "127.0.0.1",
                200,
                false,
                null,
                RelayOutcome.COMPLETED,
                end - 1_500_250_000L,
                end,
                0,
                0,
                0,
                0,
                0,
                9,
                12,
                null,
                0,
                "stop",
                null);
    }

    static MetricsConfig config(boolean enabled, int buffer) {
        return new TestMetricsConfig(enabled, buffer, MetricsConfig.AccessLogFormat.JSON, Duration.ZERO);
    }

    /** An output that records each write. */
    static class Writes extends OutputStream {
        final List<byte[]> writes = new CopyOnWriteArrayList<>();

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(java.util.Arrays.copyOfRange(b, off, off + len));
        }

        byte[] bytes() {
            var all = new ByteArrayOutputStream();
            writes.forEach(all::writeBytes);
            return all.toByteArray();
        }

        String text() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }
    }

    /** An output whose first write blocks until released: a log pipe nobody reads. */
    static final class BlockingWrites extends Writes {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            super.write(b, off, len);
        }
    }
}
