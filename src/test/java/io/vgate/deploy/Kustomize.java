package io.vgate.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with the kustomize built into kubectl, or a standalone kustomize: the first of either on the
 * PATH ({@code .ci/install-deps} installs kubectl where neither is there). The one place that looks the renderer up.
 */
final class Kustomize {

    private Kustomize() {}

    /** The command that renders a directory, if kubectl or kustomize is on the PATH. */
    static Optional<List<String>> command() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Optional.of(List.of(Path.of(dir, "kubectl").toString(), "kustomize"));
            }
            if (Files.isExecutable(Path.of(dir, "kustomize"))) {
                return Optional.of(List.of(Path.of(dir, "kustomize").toString(), "build"));
            }
        }
        return Optional.empty();
    }

    static String build(List<String> command, Path directory) throws IOException, InterruptedException {
        List<String> full = new java.util.ArrayList<>(command);
        full.add(directory.toString());
        Process process = new ProcessBuilder(full).redirectErrorStream(false).start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", full) + " failed: " + new String(err, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
