package io.vgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds Debian's {@code promtool} and {@code prometheus} ({@code .ci/install-deps} installs them) and runs
 * promtool. A missing binary fails the test with instructions, so a green build always means the rules
 * were checked; {@code -Dvgate.tests.skip-prometheus=true} skips these tests explicitly instead.
 */
public final class PrometheusBinaries {

    public static final String SKIP = "vgate.tests.skip-prometheus";

    private PrometheusBinaries() {}

    public static Path promtool() {
        return find("promtool");
    }

    public static Path prometheus() {
        return find("prometheus");
    }

    /** Exit status and combined output of one promtool run. */
    public record Result(int exitCode, String output) {}

    public static Result promtool(Path workDir, String... args) throws IOException, InterruptedException {
        var command = new ArrayList<String>();
        command.add(promtool().toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("promtool " + String.join(" ", args) + " did not finish");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    private static Path find(String name) {
        Assumptions.assumeFalse(Boolean.getBoolean(SKIP), "Prometheus tests skipped with -D" + SKIP + "=true");
        String configured = System.getProperty("vgate." + name);
        if (configured != null) {
            return Path.of(configured);
        }
        var candidates = new ArrayList<Path>();
        candidates.add(Path.of("/usr/bin", name));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                candidates.add(Path.of(dir, name));
            }
        }
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail(name + " not found: install Debian's prometheus package (.ci/install-deps does), point -Dvgate."
                + name + "=/path/to/" + name + " at one, or skip these tests with -D" + SKIP + "=true");
    }
}
