package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Each check in {@link ManifestChecks} fails when the committed base is broken in the way it guards
 * against; without this, a check that always passes would go unnoticed.
 */
class ManifestChecksCanFailTests {

    private static void breaks(Consumer<ManifestSet> mutation, Consumer<ManifestSet> check) {
        ManifestSet set = StrictManifests.load(BaseManifestsTests.BASE);
        check.accept(set); // passes before the mutation
        mutation.accept(set);
        assertThatThrownBy(() -> check.accept(set)).isInstanceOf(AssertionError.class);
    }

    @Test
    void missingGpuLimit() {
        breaks(set -> set.container("vllm").getResources().getLimits().remove(ManifestChecks.GPU), ManifestChecks::gpu);
    }

    @Test
    void gpuRequestedByVgate() {
        breaks(
                set -> set.container("vgate")
                        .getResources()
                        .getRequests()
                        .put(ManifestChecks.GPU, new io.fabric8.kubernetes.api.model.Quantity("1")),
                ManifestChecks::gpu);
    }

    @Test
    void diskBackedShm() {
        breaks(
                set -> ManifestChecks.volume(set.pod(), "dshm").getEmptyDir().setMedium(null),
                ManifestChecks::sharedMemory);
    }

    @Test
    void maxNumSeqsNotTheAdmissionCap() {
        breaks(
                set -> set.container("vllm").getEnv().stream()
                        .filter(e -> e.getName().equals("MAX_NUM_SEQS"))
                        .forEach(e -> {
                            e.setValueFrom(null);
                            e.setValue("256");
                        }),
                ManifestChecks::vllmServer);
    }

    @Test
    void unpinnedVllmImage() {
        breaks(set -> set.container("vllm").setImage("vllm/vllm-openai:latest"), ManifestChecks::vllmServer);
    }

    @Test
    void startupProbeTooShortForModelLoad() {
        breaks(
                set -> {
                    var probe = set.container("vllm").getStartupProbe();
                    probe.setInitialDelaySeconds(0);
                    probe.setFailureThreshold(3);
                },
                ManifestChecks::probes);
    }

    @Test
    void vgateLivenessOnReadiness() {
        breaks(
                set -> set.container("vgate").getLivenessProbe().getHttpGet().setPath("/q/health/ready"),
                ManifestChecks::probes);
    }

    @Test
    void gracePeriodShorterThanDrain() {
        breaks(set -> set.pod().setTerminationGracePeriodSeconds(120L), ManifestChecks::gracefulShutdown);
    }

    @Test
    void drainLongerThanGracePeriod() {
        breaks(
                set -> set.typed(ConfigMap.class, "vgate-config").getData().put("VGATE_SHAPING_DRAIN_TIMEOUT", "10m"),
                ManifestChecks::gracefulShutdown);
    }

    @Test
    void configMapEntryThatRepeatsACodeDefault() {
        breaks(
                set -> set.typed(ConfigMap.class, "vgate-config").getData().put("VGATE_SHAPING_MAX_QUEUE", "256"),
                ManifestChecks::configuration);
    }

    @Test
    void writableRootFilesystem() {
        breaks(
                set -> set.container("vllm").getSecurityContext().setReadOnlyRootFilesystem(false),
                ManifestChecks::securityContexts);
    }

    @Test
    void rootUser() {
        breaks(
                set -> set.container("wait-for-model").getSecurityContext().setRunAsUser(0L),
                ManifestChecks::securityContexts);
    }

    @Test
    void missingToleration() {
        breaks(set -> set.pod().getTolerations().clear(), ManifestChecks::gpuScheduling);
    }

    @Test
    void shortIngressTimeout() {
        breaks(
                set -> set.typed(Ingress.class, "vgate-api")
                        .getMetadata()
                        .getAnnotations()
                        .put("nginx.ingress.kubernetes.io/proxy-read-timeout", "60"),
                ManifestChecks::ingress);
    }

    @Test
    void bufferedIngress() {
        breaks(
                set -> set.typed(Ingress.class, "vgate-api")
                        .getMetadata()
                        .getAnnotations()
                        .remove("nginx.ingress.kubernetes.io/proxy-buffering"),
                ManifestChecks::ingress);
    }

    @Test
    void metricsPublishedThroughIngress() {
        breaks(
                set -> set.typed(Ingress.class, "vgate-api")
                        .getSpec()
                        .getRules()
                        .get(0)
                        .getHttp()
                        .getPaths()
                        .get(0)
                        .setPath("/"),
                ManifestChecks::ingress);
    }

    @Test
    void vllmPortOpenToEveryNamespace() {
        breaks(
                set -> {
                    NetworkPolicyPeer anyone = new NetworkPolicyPeer();
                    anyone.setNamespaceSelector(new LabelSelector());
                    set.typed(NetworkPolicy.class, "vgate")
                            .getSpec()
                            .getIngress()
                            .get(1)
                            .getFrom()
                            .add(anyone);
                },
                ManifestChecks::networkPolicy);
    }

    @Test
    void ruleWithoutPorts() {
        breaks(
                set -> set.typed(NetworkPolicy.class, "vgate")
                        .getSpec()
                        .getIngress()
                        .get(0)
                        .setPorts(null),
                ManifestChecks::networkPolicy);
    }

    @Test
    void quotaBelowMaxReplicasPlusSurge() {
        breaks(
                set -> ((ObjectNode) set.tree("ScaledObject", "vgate").path("spec")).put("maxReplicaCount", 8),
                s -> ManifestChecks.gpuQuota(s, 8));
    }

    @Test
    void budgetWithMinAvailable() {
        breaks(
                set -> set.typed(PodDisruptionBudget.class, "vgate").getSpec().setMinAvailable(new IntOrString(1)),
                ManifestChecks::disruptionBudget);
    }

    @Test
    void fixedReplicaCount() {
        breaks(set -> set.deployment().getSpec().setReplicas(1), ManifestChecks::rollout);
    }

    @Test
    void stringMaxSurge() {
        breaks(
                set -> set.deployment()
                        .getSpec()
                        .getStrategy()
                        .getRollingUpdate()
                        .setMaxSurge(new IntOrString("1")),
                ManifestChecks::rollout);
    }

    @Test
    void downloadPodsLookLikeVgatePods() {
        breaks(
                set -> set.typed(Job.class, "vgate-model-download")
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .setLabels(Map.copyOf(
                                set.deployment().getSpec().getSelector().getMatchLabels())),
                ManifestChecks::modelStorage);
    }

    @Test
    void scalingOnVgateQueueOnly() {
        breaks(
                set -> ((ObjectNode) set.tree("ScaledObject", "vgate")
                                .path("spec")
                                .path("triggers")
                                .get(0)
                                .path("metadata"))
                        .put("query", "sum(vgate_queue_depth{namespace=\"vgate\"})"),
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void scalingQueryForAnotherNamespace() {
        breaks(
                set -> {
                    ObjectNode metadata = (ObjectNode) set.tree("ScaledObject", "vgate")
                            .path("spec")
                            .path("triggers")
                            .get(0)
                            .path("metadata");
                    metadata.put(
                            "query",
                            metadata.path("query").asText().replace("namespace=\"vgate\"", "namespace=\"other\""));
                },
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void scaledObjectTypo() {
        breaks(
                set -> ((ObjectNode) set.tree("ScaledObject", "vgate").path("spec")).put("pollingIntervall", 15),
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void podMonitorMissingVllm() {
        breaks(
                set -> ((com.fasterxml.jackson.databind.node.ArrayNode)
                                set.tree("PodMonitor", "vgate").path("spec").path("podMetricsEndpoints"))
                        .remove(1),
                ManifestChecks::podMonitor);
    }

    @Test
    void plainKeyInSecretTemplate() {
        breaks(
                set -> set.typed(io.fabric8.kubernetes.api.model.Secret.class, "vgate-api-keys")
                        .getStringData()
                        .put("api-keys.yaml", "- id: x\n  tenant: t\n  key: sk-plain\n  hash: abc\n"),
                ManifestChecks::apiKeysTemplate);
    }

    private static ObjectNode trigger(ManifestSet set) {
        return (ObjectNode) set.tree("ScaledObject", "vgate")
                .path("spec")
                .path("triggers")
                .get(0)
                .path("metadata");
    }

    @Test
    void scalingOnBacklogOnly() {
        breaks(
                set -> trigger(set)
                        .put(
                                "query",
                                "(sum(vllm:num_requests_waiting{namespace=\"vgate\"}) + sum(vgate_queue_depth{namespace=\"vgate\"})) / 64"),
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void scalingQueryDefaultsToZero() {
        breaks(
                set -> trigger(set).put("query", trigger(set).path("query").asText() + " or vector(0)"),
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void scalingIgnoresAnEmptyResult() {
        breaks(set -> trigger(set).put("ignoreNullValues", "true"), s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void scalingCapacityTypedTwice() {
        breaks(
                set -> trigger(set)
                        .put("query", trigger(set).path("query").asText().replace("/ 64", "/ 48")),
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void scalingWithoutFallback() {
        breaks(
                set -> ((ObjectNode) set.tree("ScaledObject", "vgate").path("spec")).remove("fallback"),
                s -> ManifestChecks.scaledObject(s, "vgate"));
    }

    @Test
    void monitorsWithoutTheReleaseLabel() {
        ManifestSet base = StrictManifests.load(BaseManifestsTests.BASE);
        assertThatThrownBy(() -> ManifestChecks.monitorsSelected(base, "kube-prometheus-stack"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("release");
    }

    @Test
    void ingressDropsTheChatPage() {
        breaks(
                set -> set.typed(Ingress.class, "vgate-api")
                        .getSpec()
                        .getRules()
                        .get(0)
                        .getHttp()
                        .getPaths()
                        .removeIf(p -> p.getPath().equals("/ui")),
                ManifestChecks::ingress);
    }

    @Test
    void jobWithoutTtl() {
        breaks(
                set -> set.typed(Job.class, "vgate-model-download").getSpec().setTtlSecondsAfterFinished(null),
                ManifestChecks::modelStorage);
    }

    @Test
    void rolloutDeadlineShorterThanModelLoad() {
        breaks(set -> set.deployment().getSpec().setProgressDeadlineSeconds(600), ManifestChecks::rolloutBudgets);
    }

    @Test
    void emptyDirWithoutEphemeralStorageRequest() {
        breaks(
                set -> set.container("vllm").getResources().getRequests().remove("ephemeral-storage"),
                ManifestChecks::rolloutBudgets);
    }

    @Test
    void trustsAWholeNetwork() {
        breaks(
                set -> set.typed(ConfigMap.class, "vgate-config")
                        .getData()
                        .put("VGATE_RATE_LIMIT_TRUSTED_PROXIES", "10.0.0.0/8"),
                ManifestChecks::configuration);
    }

    @Test
    void vgateSendsAnotherKey() {
        breaks(
                set -> set.container("vgate").getEnv().stream()
                        .filter(e -> e.getName().equals("VGATE_UPSTREAM_API_KEY"))
                        .findFirst()
                        .orElseThrow()
                        .getValueFrom()
                        .getSecretKeyRef()
                        .setKey("OTHER"),
                s -> ManifestChecks.vllmApiKey(s, false));
    }

    @Test
    void modelPassedAsDeprecatedOption() {
        breaks(
                set -> set.container("vllm").getArgs().set(0, "--model=/models/$(MODEL_ID)"),
                ManifestChecks::vllmServer);
    }
}
