package io.vgate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package that {@code .ci/install-deps} installs) on a free loopback
 * port, for tests of shared rate limits. Its port and process id are written to {@code dir}, so a test can
 * stop and restart the server that a test resource started, whatever class loader each one lives in.
 */
public final class RedisServer {

    private static final String BINARY = "/usr/bin/redis-server";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Path dir;
    private final int port;

    private RedisServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a server on a free loopback port and waits until it answers PING. */
    public static RedisServer start(Path dir) {
        var server = new RedisServer(dir, freePort());
        server.launch();
        return server;
    }

    /** The server whose port and pid were recorded in {@code dir}. */
    public static RedisServer attach(Path dir) {
        try {
            return new RedisServer(
                    dir,
                    Integer.parseInt(Files.readString(dir.resolve("redis.port")).trim()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** True when the server answers PING. */
    public boolean answers() {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(1000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] reply = new byte[7];
            int read = socket.getInputStream().read(reply);
            return read > 0 && new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends one command in RESP and returns the raw reply (enough for tests to count keys). */
    public String command(String... words) {
        try (var socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            var out = new StringBuilder("*" + words.length + "\r\n");
            for (String word : words) {
                out.append('$')
                        .append(word.getBytes(StandardCharsets.UTF_8).length)
                        .append("\r\n")
                        .append(word)
                        .append("\r\n");
            }
            OutputStream stream = socket.getOutputStream();
            stream.write(out.toString().getBytes(StandardCharsets.UTF_8));
            stream.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[65536];
            int read = in.read(buffer);
            return read <= 0 ? "" : new String(buffer, 0, read, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server and waits for the process to exit. */
    public void stop() {
        readPid().flatMap(ProcessHandle::of).ifPresent(process -> {
            process.destroy();
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
            }
        });
    }

    /** Starts the server again on the same port, as Redis coming back after an outage. */
    public void restart() {
        launch();
    }

    private void launch() {
        try {
            Files.createDirectories(dir);
            Process process = new ProcessBuilder(List.of(
                            BINARY,
                            "--port",
                            Integer.toString(port),
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--dir",
                            dir.toAbsolutePath().toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile())
                    .start();
            Files.writeString(dir.resolve("redis.port"), Integer.toString(port));
            Files.writeString(dir.resolve("redis.pid"), Long.toString(process.pid()));
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (!answers()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("redis-server did not start on port " + port + "; see "
                            + dir.resolve("redis.log") + " (is the redis-server package installed? .ci/install-deps)");
                }
                TimeUnit.MILLISECONDS.sleep(20);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + BINARY + " (install it with .ci/install-deps)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Optional<Long> readPid() {
        try {
            return Optional.of(
                    Long.parseLong(Files.readString(dir.resolve("redis.pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** A loopback port that was free a moment ago. */
    public static int freePort() {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
