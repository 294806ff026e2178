package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed manifests an operator applies (deploy/base/kubernetes.yml, the copy of what
 * `./mvnw package` generates; {@link ManifestDriftIT} keeps them equal), strictly loaded and checked
 * item by item against issue 6.
 */
class BaseManifestsTests {

    static final Path BASE = Path.of("deploy/base/kubernetes.yml");

    private static ManifestSet base;

    @BeforeAll
    static void load() {
        base = StrictManifests.load(BASE);
    }

    @Test
    void containsExactlyTheResourcesVgateDeploys() {
        assertThat(base.all())
                .extracting(m -> m.kind() + "/" + m.name())
                .containsExactlyInAnyOrder(
                        "Deployment/vgate",
                        "Service/vgate",
                        "Ingress/vgate-api",
                        "ConfigMap/vgate-config",
                        "ConfigMap/vgate-model",
                        "Secret/vgate-api-keys",
                        "NetworkPolicy/vgate",
                        "ResourceQuota/vgate-gpus",
                        "PodDisruptionBudget/vgate",
                        "PersistentVolumeClaim/vgate-models",
                        "Job/vgate-model-download",
                        "PodMonitor/vgate",
                        "ScaledObject/vgate");
        assertThat(base.all())
                .as("no namespace in the base: overlays set it")
                .allSatisfy(m ->
                        assertThat(m.tree().path("metadata").has("namespace")).isFalse());
    }

    @Test
    void podRunsVgateAndVllmWithOneGpu() {
        assertThat(base.pod().getContainers())
                .extracting(Container::getName)
                .containsExactlyInAnyOrder("vgate", "vllm");
        ManifestChecks.gpu(base);
    }

    @Test
    void devShmIsAnEightGigabyteMemoryVolume() {
        ManifestChecks.sharedMemory(base);
    }

    @Test
    void vllmServesTheModelWithTheIssuesSettings() {
        ManifestChecks.vllmServer(base);
        Container vllm = base.container("vllm");
        assertThat(base.flag(vllm, "--max-model-len")).contains("4096");
        assertThat(base.flag(vllm, "--gpu-memory-utilization")).contains("0.90");
        assertThat(base.flag(vllm, "--max-num-seqs"))
                .as("matches vgate.shaping.max-in-flight's default")
                .contains("64");
        assertThat(base.model(vllm)).isEqualTo("/models/Qwen/Qwen2.5-7B-Instruct");
        assertThat(base.flag(vllm, "--served-model-name")).contains("qwen2.5-7b-instruct");
    }

    @Test
    void vllmRequiresTheKeyVgateSends() {
        ManifestChecks.vllmApiKey(base, false);
    }

    @Test
    void rolloutWaitsForTheModelAndDiskIsRequested() {
        ManifestChecks.rolloutBudgets(base);
    }

    @Test
    void probesAllowForModelLoadAndTieVgateReadinessToVllm() {
        ManifestChecks.probes(base);
    }

    @Test
    void podsLandOnGpuNodes() {
        ManifestChecks.gpuScheduling(base);
    }

    @Test
    void gracePeriodCoversTheDrain() {
        ManifestChecks.gracefulShutdown(base);
        assertThat(ManifestChecks.effectiveSetting(base, "VGATE_SHAPING_DRAIN_TIMEOUT"))
                .isEqualTo("120s");
        assertThat(base.pod().getTerminationGracePeriodSeconds()).isEqualTo(150L);
    }

    @Test
    void everyContainerRunsNonRootReadOnlyWithoutEscalation() {
        ManifestChecks.securityContexts(base);
    }

    @Test
    void volumesAndMountsMatch() {
        ManifestChecks.volumes(base);
    }

    @Test
    void configurationFollowsTheContract() {
        ManifestChecks.configuration(base);
        assertThat(ManifestChecks.effectiveSetting(base, "VGATE_SHAPING_MAX_QUEUE"))
                .isEqualTo("256");
        assertThat(ManifestChecks.effectiveSetting(base, "VGATE_SHAPING_MAX_QUEUE_WAIT"))
                .isEqualTo("30s");
        assertThat(ManifestChecks.vgateSetting(base, "VGATE_AUTH_KEYS_FILE"))
                .isEqualTo("/etc/vgate/auth/api-keys.yaml");
        assertThat(ManifestChecks.vgateSetting(base, "VGATE_RATE_LIMIT_STORE")).isEqualTo("redis");
        assertThat(ManifestChecks.vgateSetting(base, "QUARKUS_REDIS_HOSTS")).startsWith("redis://");
    }

    @Test
    void serviceExposesOnlyVgate() {
        ManifestChecks.service(base);
    }

    @Test
    void ingressKeepsStreamsOpenAndUnbuffered() {
        ManifestChecks.ingress(base);
    }

    @Test
    void networkPolicyAdmitsOnlyClientsIngressAndPrometheus() {
        ManifestChecks.networkPolicy(base);
    }

    @Test
    void namespaceIsCappedAtEightGpus() {
        ManifestChecks.gpuQuota(base, 8);
    }

    @Test
    void rolloutsNeverDropCapacity() {
        ManifestChecks.rollout(base);
    }

    @Test
    void disruptionBudgetEvictsOnePodAtATime() {
        ManifestChecks.disruptionBudget(base);
    }

    @Test
    void modelIsDownloadedOnceToASharedVolume() {
        ManifestChecks.modelStorage(base);
        assertThat(base.configValue("vgate-model", "MODEL_SOURCE")).isEqualTo("huggingface");
    }

    @Test
    void kedaScalesOnTheCombinedQueue() {
        ManifestChecks.scaledObject(base, "vgate");
    }

    @Test
    void podMonitorScrapesBothContainers() {
        ManifestChecks.podMonitor(base);
    }

    @Test
    void apiKeysSecretIsATemplateOfHashes() {
        ManifestChecks.apiKeysTemplate(base);
    }

    @Test
    void everyImageIsPinned() {
        List<String> images = ManifestChecks.allContainers(base).stream()
                .map(Container::getImage)
                .toList();
        assertThat(images)
                .allSatisfy(image -> assertThat(image).as("image").contains(":").doesNotEndWith(":latest"));
    }
}
