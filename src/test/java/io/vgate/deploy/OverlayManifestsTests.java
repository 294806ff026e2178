package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kustomize layer under deploy/: every patch file loads strictly (a typo in a patch would
 * otherwise be applied as a new, ignored field), every file a kustomization names exists, and the
 * rendered dev and prod overlays (and prod with the S3 model variant) pass the same checks as the base
 * plus their own. Rendering needs kubectl or kustomize on the PATH (GitHub's runners have both); without
 * one those tests are skipped, and CI's manifests job renders them.
 */
class OverlayManifestsTests {

    static final Path DEPLOY = Path.of("deploy");
    static final Path DASHBOARDS = Path.of("dashboards");

    @TempDir
    static Path work;

    private static Path copy;

    @BeforeAll
    static void copyDeployTree() throws IOException {
        // Render a copy: the overlays need api-keys.yaml, which is git-ignored; the example stands in.
        copy = work.resolve("deploy");
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve(DEPLOY.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        // The prod overlay also includes ../../../dashboards (the dashboard ConfigMap).
        Path dashboards = work.resolve("dashboards");
        Files.createDirectories(dashboards);
        for (String file : List.of("kustomization.yaml", "vgate-overview.json")) {
            Files.copy(DASHBOARDS.resolve(file), dashboards.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        for (String overlay : List.of("dev", "prod")) {
            Files.copy(
                    DEPLOY.resolve("api-keys.example.yaml"),
                    copy.resolve("overlays/" + overlay + "/api-keys.yaml"),
                    StandardCopyOption.REPLACE_EXISTING);
            // As deploy/README.md has the operator create it (git-ignored).
            Files.writeString(
                    copy.resolve("overlays/" + overlay + "/vllm-api-key.env"),
                    "VLLM_API_KEY="
                            + java.util.HexFormat.of().formatHex(new byte[32]).replace('0', 'a') + "\n");
        }
    }

    @Test
    void everyPatchLoadsStrictly() throws IOException {
        List<Path> patches = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            files.filter(p -> p.toString().endsWith(".yaml"))
                    .filter(p -> !p.getFileName().toString().equals("kustomization.yaml"))
                    .filter(p -> !p.getFileName().toString().startsWith("api-keys"))
                    .forEach(patches::add);
        }
        assertThat(patches).as("patch files found").hasSizeGreaterThanOrEqualTo(10);
        for (Path patch : patches) {
            for (JsonNode document : StrictManifests.documents(Files.readString(patch), patch.toString())) {
                withoutDirectives(document);
                StrictManifests.toManifest(document, patch.toString());
            }
        }
    }

    @Test
    void everyFileAKustomizationNamesExists() throws IOException {
        List<Path> kustomizations;
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            kustomizations = files.filter(p -> p.getFileName().toString().equals("kustomization.yaml"))
                    .toList();
        }
        assertThat(kustomizations).hasSize(8);
        for (Path kustomization : kustomizations) {
            JsonNode k = StrictManifests.documents(Files.readString(kustomization), kustomization.toString())
                    .get(0);
            List<String> referenced = new ArrayList<>();
            k.path("resources").forEach(n -> referenced.add(n.asText()));
            k.path("components").forEach(n -> referenced.add(n.asText()));
            k.path("patches").forEach(n -> {
                if (n.has("path")) {
                    referenced.add(n.path("path").asText());
                }
            });
            k.path("secretGenerator").forEach(g -> {
                for (JsonNode f : (Iterable<JsonNode>) () -> java.util.stream.Stream.concat(
                                java.util.stream.StreamSupport.stream(
                                        g.path("files").spliterator(), false),
                                java.util.stream.StreamSupport.stream(
                                        g.path("envs").spliterator(), false))
                        .iterator()) {
                    // api-keys.yaml and vllm-api-key.env are created by the operator (outside ci)
                    boolean operatorMade =
                            f.asText().equals("api-keys.yaml") || f.asText().equals("vllm-api-key.env");
                    if (!operatorMade || kustomization.getParent().endsWith("ci")) {
                        referenced.add(f.asText());
                    }
                }
            });
            for (String path : referenced) {
                assertThat(kustomization.getParent().resolve(path))
                        .as(kustomization + " names " + path)
                        .exists();
            }
        }
    }

    @Test
    void exampleApiKeysHoldHashesOnly() throws IOException {
        JsonNode keys = StrictManifests.tree(Files.readString(DEPLOY.resolve("api-keys.example.yaml")), "example");
        assertThat(keys.size()).isPositive();
        keys.forEach(entry -> assertThat(entry.path("hash").asText()).matches("sha256:[0-9a-f]{64}"));
        assertThat(Files.readString(DEPLOY.resolve("overlays/prod/.gitignore"))).contains("api-keys.yaml");
        assertThat(Files.readString(DEPLOY.resolve("overlays/dev/.gitignore"))).contains("api-keys.yaml");
    }

    @Test
    void prodRendersWithEveryIssueItem() throws Exception {
        ManifestSet prod = render("overlays/prod");
        commonChecks(prod);
        ManifestChecks.modelStorage(prod);
        ManifestChecks.gpuQuota(prod, 8);
        ManifestChecks.scaledObject(prod, namespace(prod));
        ManifestChecks.podMonitor(prod);
        assertThat(namespace(prod)).isEqualTo("vgate");
        assertThat(prod.container("vgate").getImage())
                .as("a released image, not a snapshot")
                .matches("[^:]+/vgate:\\d+\\.\\d+\\.\\d+");
        assertThat(ManifestChecks.vgateSetting(prod, "VGATE_RATE_LIMIT_STORE")).isEqualTo("redis");
        assertThat(ManifestChecks.vgateSetting(prod, "VGATE_RATE_LIMIT_TRUSTED_PROXIES"))
                .as("prod names the ingress controller's addresses")
                .isNotBlank();
        ManifestChecks.monitorsSelected(prod, setting("prod", "prometheus-release"));
        storageClassFromSettings(prod, "prod");
        apiKeysFromOverlay(prod);
        alertsAndDashboard(prod);
    }

    /** Prod with every component: S3 model copy and the Gateway API route instead of the Ingress. */
    @Test
    void prodRendersWithEveryComponent() throws Exception {
        ManifestSet all = renderWithComponents("model-from-s3", "gateway-api");
        assertThat(all.ofKind("Ingress")).as("the route replaces the Ingress").isEmpty();
        withoutIngressChecks(all, "envoy-gateway-system");
        ManifestChecks.scaledObject(all, namespace(all));
        ManifestChecks.monitorsSelected(all, setting("prod", "prometheus-release"));
        httpRoute(all, setting("prod", "host"));
    }

    /** Prod with the Gateway API component only. */
    @Test
    void prodRendersWithTheGatewayApiRoute() throws Exception {
        ManifestSet gateway = renderWithComponents("gateway-api");
        withoutIngressChecks(gateway, "envoy-gateway-system");
        ManifestChecks.modelStorage(gateway);
        httpRoute(gateway, setting("prod", "host"));
    }

    /** The kind overlay: the simulator plays vLLM on its port, no GPU, everything else from the base. */
    @Test
    void ciOverlayRunsTheSimulatorWithoutAGpu() throws Exception {
        ManifestSet ci = render("overlays/ci");
        Container vllm = ci.container("vllm");
        assertThat(vllm.getImage()).isEqualTo(ci.container("vgate").getImage());
        assertThat(vllm.getResources().getLimits()).doesNotContainKey(ManifestChecks.GPU);
        assertThat(vllm.getResources().getRequests()).doesNotContainKey(ManifestChecks.GPU);
        assertThat(ci.pod().getNodeSelector()).isNullOrEmpty();
        assertThat(vllm.getEnv())
                .extracting(e -> e.getName() + "=" + e.getValue())
                .contains("VGATE_SIMULATOR_ENABLED=true", "VGATE_SIMULATOR_PORT=" + ManifestChecks.VLLM_PORT);
        assertThat(ci.ofKind("PersistentVolumeClaim")).isEmpty();
        assertThat(ci.ofKind("Job")).isEmpty();
        ManifestChecks.probes(ci);
        ManifestChecks.securityContexts(ci);
        ManifestChecks.volumes(ci);
        ManifestChecks.configuration(ci);
        ManifestChecks.service(ci);
        ManifestChecks.ingress(ci);
        ManifestChecks.networkPolicy(ci);
        ManifestChecks.vllmApiKey(ci, true);
        ManifestChecks.scaledObject(ci, namespace(ci));
        ManifestChecks.podMonitor(ci);
    }

    /** Prod ships the alert rules (as the promtool-tested file says) and the dashboard for Grafana's sidecar. */
    private static void alertsAndDashboard(ManifestSet prod) throws IOException {
        JsonNode rule = prod.tree("PrometheusRule", "vgate");
        Shape.PROMETHEUS_RULE.check(rule, "PrometheusRule/vgate");
        assertThat(rule.path("metadata").path("namespace").asText()).isEqualTo("vgate");
        List<String> alerts = new ArrayList<>();
        rule.path("spec")
                .path("groups")
                .forEach(group -> group.path("rules").forEach(r -> {
                    if (r.has("alert")) {
                        alerts.add(r.path("alert").asText());
                        assertThat(r.path("annotations").path("runbook").asText())
                                .as(r.path("alert").asText() + " runbook")
                                .isNotBlank();
                    }
                }));
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(10);

        var dashboard = prod.typed(io.fabric8.kubernetes.api.model.ConfigMap.class, "vgate-dashboard");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(dashboard.getData()).containsOnlyKeys("vgate-overview.json");
        assertThat(StrictManifests.documents(dashboard.getData().get("vgate-overview.json"), "dashboard")
                        .get(0))
                .isEqualTo(StrictManifests.documents(
                                Files.readString(DASHBOARDS.resolve("vgate-overview.json")),
                                "dashboards/vgate-overview.json")
                        .get(0));
    }

    @Test
    void devSharesATimeSlicedGpuWithASmallModel() throws Exception {
        ManifestSet dev = render("overlays/dev");
        commonChecks(dev);
        ManifestChecks.modelStorage(dev);
        ManifestChecks.gpuQuota(dev, 2);
        assertThat(namespace(dev)).isEqualTo("vgate-dev");
        assertThat(dev.ofKind("ScaledObject")).as("no KEDA in dev").isEmpty();
        assertThat(dev.ofKind("PodMonitor")).as("no Prometheus Operator in dev").isEmpty();
        Container vllm = dev.container("vllm");
        assertThat(dev.model(vllm)).isEqualTo("/models/Qwen/Qwen2.5-0.5B-Instruct");
        double share =
                Double.parseDouble(dev.flag(vllm, "--gpu-memory-utilization").orElseThrow());
        int slots = timeSlicingReplicas();
        assertThat(share * slots)
                .as("%d time-sliced vLLMs x %.2f of GPU memory", slots, share)
                .isLessThanOrEqualTo(0.85);
        assertThat(dev.flag(vllm, "--max-num-seqs")).contains("16");
        assertThat(dev.typed(io.fabric8.kubernetes.api.model.ConfigMap.class, "vgate-config")
                        .getData())
                .as("one replica keeps rate limits in memory")
                .doesNotContainKeys("VGATE_RATE_LIMIT_STORE", "QUARKUS_REDIS_HOSTS");
        assertThat(dev.pod().getNodeSelector())
                .as("dev pods land on the nodes labelled for time-slicing only")
                .containsEntry("nvidia.com/device-plugin.config", timeSlicingKey());
        storageClassFromSettings(dev, "dev");
        apiKeysFromOverlay(dev);
    }

    @Test
    void timeSlicingConfigSharesEachGpu() throws Exception {
        String rendered = Kustomize.build(kustomize(), copy.resolve("overlays/dev/gpu-time-slicing"));
        ManifestSet set = StrictManifests.parse(rendered, "gpu-time-slicing");
        var config = set.typed(io.fabric8.kubernetes.api.model.ConfigMap.class, "time-slicing-config");
        assertThat(config.getMetadata().getNamespace()).isEqualTo("gpu-operator");
        assertThat(timeSlicingReplicas()).isGreaterThan(1);
        for (Path doc : List.of(
                DEPLOY.resolve("overlays/dev/gpu-time-slicing/kustomization.yaml"), DEPLOY.resolve("README.md"))) {
            assertThat(Files.readString(doc).replace(" ", ""))
                    .as(doc + ": time-slicing by node label, never the cluster default")
                    .doesNotContain("\"default\":\"any\"")
                    .contains("\"default\":\"\"")
                    .contains("nvidia.com/device-plugin.config=" + timeSlicingKey());
        }
    }

    @Test
    void s3VariantCopiesTheModelPerPod() throws Exception {
        Path kustomization = copy.resolve("overlays/prod/kustomization.yaml");
        Path original = work.resolve("prod-kustomization.yaml");
        Files.copy(kustomization, original, StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.writeString(
                    kustomization, Files.readString(original) + "components:\n  - ../../components/model-from-s3\n");
            ManifestSet s3 = render("overlays/prod");
            commonChecks(s3);
            ManifestChecks.scaledObject(s3, namespace(s3));
            ManifestChecks.rolloutBudgets(s3);
            assertThat(s3.ofKind("PersistentVolumeClaim")).isEmpty();
            assertThat(s3.ofKind("Job")).isEmpty();
            Volume models = ManifestChecks.volume(s3.pod(), "models");
            assertThat(models.getPersistentVolumeClaim()).isNull();
            assertThat(models.getEmptyDir()).isNotNull();
            assertThat(s3.pod().getInitContainers())
                    .extracting(Container::getName)
                    .containsExactly("model-from-s3");
            Container copier = s3.container("model-from-s3");
            assertThat(String.join(" ", copier.getArgs()))
                    .contains("aws s3 sync", "$MODEL_S3_URI", "/models/$MODEL_ID", ManifestChecks.MARKER);
            assertThat(s3.configValue("vgate-model", "MODEL_SOURCE")).isEqualTo("s3");
            assertThat(s3.configValue("vgate-model", "MODEL_S3_URI")).startsWith("s3://");
            assertThat(s3.model(s3.container("vllm")))
                    .isEqualTo("/models/" + s3.configValue("vgate-model", "MODEL_ID"));
        } finally {
            Files.copy(original, kustomization, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    // ---- helpers

    private static void commonChecks(ManifestSet set) {
        ManifestChecks.ingress(set);
        ManifestChecks.networkPolicy(set);
        withoutIngressChecks(set, null);
    }

    /** The checks every overlay passes whatever fronts it; {@code front} names the NetworkPolicy's front namespace. */
    private static void withoutIngressChecks(ManifestSet set, String front) {
        if (front != null) {
            ManifestChecks.networkPolicy(set, front);
        }
        ManifestChecks.vllmApiKey(set, true);
        ManifestChecks.rolloutBudgets(set);
        ManifestChecks.gpu(set);
        ManifestChecks.sharedMemory(set);
        ManifestChecks.vllmServer(set);
        ManifestChecks.probes(set);
        ManifestChecks.gpuScheduling(set);
        ManifestChecks.gracefulShutdown(set);
        ManifestChecks.securityContexts(set);
        ManifestChecks.volumes(set);
        ManifestChecks.configuration(set);
        ManifestChecks.service(set);
        ManifestChecks.rollout(set);
        ManifestChecks.disruptionBudget(set);
        String namespace = namespace(set);
        assertThat(set.all())
                .as("every resource in the overlay's namespace")
                .allSatisfy(m -> assertThat(
                                m.tree().path("metadata").path("namespace").asText())
                        .isEqualTo(namespace));
    }

    /** The overlay's Secret replaces the template: same name (the pod mounts it), data only. */
    private static void apiKeysFromOverlay(ManifestSet set) {
        Secret secret = set.typed(Secret.class, "vgate-api-keys");
        assertThat(secret.getStringData())
                .as("template stringData would override the overlay's data")
                .isNullOrEmpty();
        assertThat(secret.getData()).containsKey("api-keys.yaml");
    }

    /** The HTTPRoute sends /v1, / and /ui of the host to the vgate Service, with stream-long timeouts. */
    private static void httpRoute(ManifestSet set, String host) {
        JsonNode route = set.tree("HTTPRoute", "vgate");
        Shape.HTTP_ROUTE.check(route, "HTTPRoute/vgate");
        JsonNode spec = route.path("spec");
        assertThat(spec.path("parentRefs").size()).as("attached to a Gateway").isPositive();
        assertThat(spec.path("hostnames").toString()).contains("\"" + host + "\"");
        List<String> paths = new ArrayList<>();
        var service = set.typed(io.fabric8.kubernetes.api.model.Service.class, "vgate");
        for (JsonNode rule : spec.path("rules")) {
            rule.path("matches")
                    .forEach(m -> paths.add(m.path("path").path("value").asText() + " "
                            + m.path("path").path("type").asText()));
            for (JsonNode backend : rule.path("backendRefs")) {
                assertThat(backend.path("name").asText()).isEqualTo("vgate");
                assertThat(service.getSpec().getPorts())
                        .extracting(io.fabric8.kubernetes.api.model.ServicePort::getPort)
                        .contains(backend.path("port").asInt());
            }
            java.time.Duration request = java.time.Duration.parse(
                    "PT" + rule.path("timeouts").path("request").asText().toUpperCase());
            assertThat(request)
                    .as("request timeout for streams")
                    .isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(900));
        }
        assertThat(paths).containsExactlyInAnyOrder("/v1 PathPrefix", "/ Exact", "/ui PathPrefix");
    }

    private static void storageClassFromSettings(ManifestSet set, String overlay) throws IOException {
        var pvc = set.typed(io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class, "vgate-models");
        assertThat(pvc.getSpec().getStorageClassName())
                .as("a ReadWriteMany claim names its class")
                .isEqualTo(setting(overlay, "storage-class"))
                .isNotBlank();
    }

    /** A value of an overlay's settings.yaml, the one place for its cluster-specific names. */
    private static String setting(String overlay, String key) throws IOException {
        Path file = DEPLOY.resolve("overlays/" + overlay + "/settings.yaml");
        JsonNode settings = StrictManifests.documents(Files.readString(file), file.toString())
                .get(0);
        String value = settings.path("data").path(key).asText();
        assertThat(value).as(file + " " + key).isNotBlank();
        return value;
    }

    private static ManifestSet renderWithComponents(String... components) throws Exception {
        Path kustomization = copy.resolve("overlays/prod/kustomization.yaml");
        String original = Files.readString(kustomization);
        try {
            StringBuilder added = new StringBuilder("components:\n");
            for (String component : components) {
                added.append("  - ../../components/").append(component).append('\n');
            }
            Files.writeString(kustomization, original + added);
            return render("overlays/prod");
        } finally {
            Files.writeString(kustomization, original);
        }
    }

    private static String timeSlicingKey() throws IOException {
        JsonNode config = StrictManifests.documents(
                        Files.readString(DEPLOY.resolve("overlays/dev/gpu-time-slicing/time-slicing-config.yaml")),
                        "ts")
                .get(0);
        List<String> keys = new ArrayList<>();
        config.path("data").fieldNames().forEachRemaining(keys::add);
        assertThat(keys).as("one sharing config, selected by node label").hasSize(1);
        return keys.get(0);
    }

    private static int timeSlicingReplicas() throws IOException {
        JsonNode config = StrictManifests.documents(
                        Files.readString(DEPLOY.resolve("overlays/dev/gpu-time-slicing/time-slicing-config.yaml")),
                        "ts")
                .get(0);
        JsonNode sharing = StrictManifests.documents(
                        config.path("data").path(timeSlicingKey()).asText(), "sharing")
                .get(0);
        JsonNode resource =
                sharing.path("sharing").path("timeSlicing").path("resources").get(0);
        assertThat(resource.path("name").asText()).isEqualTo(ManifestChecks.GPU);
        return resource.path("replicas").asInt();
    }

    private static String namespace(ManifestSet set) {
        return set.deployment().getMetadata().getNamespace();
    }

    private static ManifestSet render(String overlay) throws Exception {
        return StrictManifests.parse(Kustomize.build(kustomize(), copy.resolve(overlay)), overlay);
    }

    private static List<String> kustomize() {
        var command = Kustomize.command();
        if (System.getenv("CI") != null) {
            // In CI a missing renderer must fail, not pass quietly as skipped tests.
            assertThat(command).as("kubectl or kustomize on the PATH in CI").isPresent();
        }
        Assumptions.assumeTrue(command.isPresent(), "neither kubectl nor kustomize on the PATH: overlays not rendered");
        return command.get();
    }

    /** Removes kustomize's `$patch` directives so a patch loads as a (partial) resource. */
    private static void withoutDirectives(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove("$patch");
            for (Iterator<JsonNode> it = object.elements(); it.hasNext(); ) {
                withoutDirectives(it.next());
            }
        } else if (node.isArray()) {
            node.forEach(OverlayManifestsTests::withoutDirectives);
        }
    }
}
