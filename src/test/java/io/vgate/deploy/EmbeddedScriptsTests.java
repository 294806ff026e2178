package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The scripts embedded in the manifests at least parse: a YAML indentation slip in a block scalar
 * would otherwise surface only in a failing pod. Python is compiled, shell is checked with `sh -n`;
 * neither is run (they need the vLLM image, a GPU node or S3). Skipped where the interpreter is absent.
 */
class EmbeddedScriptsTests {

    private final ManifestSet base = StrictManifests.load(BaseManifestsTests.BASE);

    @Test
    void downloadJobScriptCompiles() throws Exception {
        Container download = base.typed(Job.class, "vgate-model-download")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0);
        assertThat(download.getCommand()).containsExactly("python3", "-c");
        compilesAsPython(download.getArgs().get(0));
    }

    /**
     * Runs the download script with stand-ins for huggingface_hub and boto3 (the real ones live in the
     * vLLM image): S3 keys land under /models/MODEL_ID with their relative paths, the marker is written
     * last, a second run does nothing, and an unknown source fails.
     */
    @Test
    void downloadJobScriptCopiesS3KeysAndIsIdempotent(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String script = base.typed(Job.class, "vgate-model-download")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getArgs()
                .get(0);
        Path stubs = Files.createDirectories(dir.resolve("stubs"));
        Files.writeString(stubs.resolve("boto3.py"), """
                class _Paginator:
                    def paginate(self, Bucket, Prefix):
                        assert (Bucket, Prefix) == ("bucket", "models/qwen-awq/"), (Bucket, Prefix)
                        yield {"Contents": [{"Key": "models/qwen-awq/"}, {"Key": "models/qwen-awq/config.json"}]}
                        yield {"Contents": [{"Key": "models/qwen-awq/sub/model.safetensors"}]}
                class _Client:
                    def get_paginator(self, name):
                        return _Paginator()
                    def download_file(self, bucket, key, destination):
                        open(destination, "w").write(key)
                def client(service, endpoint_url=None):
                    return _Client()
                """);
        Files.writeString(stubs.resolve("huggingface_hub.py"), """
                import os
                def snapshot_download(repo_id, revision, local_dir):
                    open(os.path.join(local_dir, "config.json"), "w").write(repo_id + "@" + str(revision))
                """);
        Path models = dir.resolve("models");
        java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of(
                "PYTHONPATH",
                stubs.toString(),
                "MODEL_ROOT",
                models.toString(),
                "MODEL_ID",
                "Qwen/Qwen2.5-7B-Instruct-AWQ",
                "MODEL_SOURCE",
                "s3",
                "MODEL_S3_URI",
                "s3://bucket/models/qwen-awq/",
                "MODEL_REVISION",
                ""));
        Path target = models.resolve("Qwen/Qwen2.5-7B-Instruct-AWQ");

        assertThat(python(script, env)).isZero();
        assertThat(target.resolve("config.json")).hasContent("models/qwen-awq/config.json");
        assertThat(target.resolve("sub/model.safetensors")).hasContent("models/qwen-awq/sub/model.safetensors");
        assertThat(target.resolve(ManifestChecks.MARKER)).exists();

        Files.delete(target.resolve("config.json"));
        assertThat(python(script, env))
                .as("a completed model is not fetched again")
                .isZero();
        assertThat(target.resolve("config.json")).doesNotExist();

        env.put("MODEL_ID", "Qwen/Qwen2.5-0.5B-Instruct");
        env.put("MODEL_SOURCE", "huggingface");
        env.put("MODEL_REVISION", "main");
        assertThat(python(script, env)).isZero();
        assertThat(models.resolve("Qwen/Qwen2.5-0.5B-Instruct/config.json"))
                .hasContent("Qwen/Qwen2.5-0.5B-Instruct@main");

        env.put("MODEL_ID", "other/model");
        env.put("MODEL_SOURCE", "ftp");
        assertThat(python(script, env)).as("unknown MODEL_SOURCE").isNotZero();
        assertThat(models.resolve("other/model/" + ManifestChecks.MARKER)).doesNotExist();
    }

    private static int python(String script, java.util.Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(tool("python3"), "-c", script).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return process.exitValue();
    }

    @Test
    void vllmPreStopCompiles() throws Exception {
        List<String> command =
                base.container("vllm").getLifecycle().getPreStop().getExec().getCommand();
        assertThat(command.subList(0, 2)).containsExactly("python3", "-c");
        compilesAsPython(command.get(2));
    }

    @Test
    void waitForModelIsValidShell() throws Exception {
        List<String> command = base.container("wait-for-model").getCommand();
        assertThat(command.subList(0, 2)).containsExactly("sh", "-c");
        parsesAsShell(command.get(2));
    }

    @Test
    void s3CopyIsValidShell() throws Exception {
        Path patch = Path.of("deploy/components/model-from-s3/patches/deployment.yaml");
        var tree = StrictManifests.documents(Files.readString(patch), patch.toString())
                .get(0);
        var copier = tree.path("spec")
                .path("template")
                .path("spec")
                .path("initContainers")
                .get(1);
        assertThat(copier.path("name").asText()).isEqualTo("model-from-s3");
        parsesAsShell(copier.path("args").get(0).asText());
    }

    private static void compilesAsPython(String source) throws Exception {
        run(List.of(tool("python3"), "-c", "import sys; compile(sys.stdin.read(), 'embedded', 'exec')"), source);
    }

    private static void parsesAsShell(String source) throws Exception {
        run(List.of(tool("sh"), "-n"), source);
    }

    private static String tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        Assumptions.abort(name + " not on the PATH");
        return name;
    }

    private static void run(List<String> command, String stdin) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", command) + ": " + output)
                .isZero();
    }
}
