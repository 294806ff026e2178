package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What issue 6 asks of the deployed manifests, as checks over one {@link ManifestSet}: the committed
 * base, or a rendered overlay. Each method throws {@link AssertionError} naming what is wrong.
 * Overlay-specific values (model, memory fraction, cap) are checked by the callers.
 */
final class ManifestChecks {

    static final String GPU = "nvidia.com/gpu";
    static final int VLLM_PORT = 8000;
    static final int VGATE_PORT = 8080;
    /** Quarkus's management interface: health and metrics, never published by the Service or Ingress. */
    static final int MANAGEMENT_PORT = 9000;
    /** The marker the download Job writes last and the pod waits for. */
    static final String MARKER = ".vgate-download-complete";

    private ManifestChecks() {}

    /** One GPU for vLLM, requested and limited alike; no other container asks for one. */
    static void gpu(ManifestSet set) {
        Container vllm = set.container("vllm");
        assertThat(vllm.getResources().getLimits()).as("vllm limits").containsEntry(GPU, new Quantity("1"));
        Map<String, Quantity> requests = vllm.getResources().getRequests();
        if (requests != null && requests.containsKey(GPU)) {
            assertThat(requests.get(GPU))
                    .as("vllm GPU request equals its limit")
                    .isEqualTo(new Quantity("1"));
        }
        for (Container other : allContainers(set)) {
            if (!other.getName().equals("vllm") && other.getResources() != null) {
                assertThat(resourceNames(other))
                        .as(other.getName() + " resources")
                        .doesNotContain(GPU);
            }
        }
    }

    /** /dev/shm in vLLM is a Memory-backed emptyDir of 8Gi. */
    static void sharedMemory(ManifestSet set) {
        VolumeMount shm = mount(set.container("vllm"), "/dev/shm");
        Volume volume = volume(set.pod(), shm.getName());
        assertThat(volume.getEmptyDir())
                .as("volume " + volume.getName() + " is an emptyDir")
                .isNotNull();
        assertThat(volume.getEmptyDir().getMedium()).as("/dev/shm medium").isEqualTo("Memory");
        assertThat(volume.getEmptyDir().getSizeLimit()).as("/dev/shm size").isEqualTo(new Quantity("8Gi"));
    }

    /**
     * vLLM's image is pinned and its arguments, after {@code $(VAR)} expansion, carry the model from the
     * model volume, a served name, a context length, a memory fraction, chunked prefill and a
     * {@code --max-num-seqs} equal to vgate's admission cap.
     */
    static void vllmServer(ManifestSet set) {
        Container vllm = set.container("vllm");
        assertThat(vllm.getImage())
                .as("vLLM image is pinned to a release tag")
                .matches("vllm/vllm-openai:v\\d+\\.\\d+\\.\\d+");
        assertThat(vllm.getCommand()).containsExactly("vllm", "serve");
        String modelId = set.env(vllm, "MODEL_ID");
        assertThat(set.model(vllm)).as("vllm serve's model argument").isEqualTo("/models/" + modelId);
        assertThat(set.flag(vllm, "--model"))
                .as("--model is deprecated in vllm serve")
                .isEmpty();
        assertThat(mount(vllm, "/models").getName()).isEqualTo("models");
        assertThat(set.flag(vllm, "--served-model-name"))
                .as("--served-model-name")
                .get()
                .asString()
                .isNotBlank();
        assertThat(Integer.parseInt(set.flag(vllm, "--max-model-len").orElseThrow()))
                .as("--max-model-len")
                .isPositive();
        assertThat(Double.parseDouble(set.flag(vllm, "--gpu-memory-utilization").orElseThrow()))
                .as("--gpu-memory-utilization")
                .isGreaterThan(0.0)
                .isLessThanOrEqualTo(0.95);
        assertThat(set.expandedArgs(vllm)).as("vllm args").contains("--enable-chunked-prefill");
        assertThat(set.expandedArgs(vllm)).as("vllm args").contains("--enable-auto-tool-choice");
        assertThat(set.flag(vllm, "--tool-call-parser"))
                .as("--tool-call-parser from the vgate-model ConfigMap")
                .get()
                .asString()
                .isNotBlank();
        assertThat(set.flag(vllm, "--reasoning-parser"))
                .as("--reasoning-parser from the vgate-model ConfigMap (empty for none)")
                .isPresent();
        int cap = Integer.parseInt(vgateSetting(set, "VGATE_SHAPING_MAX_IN_FLIGHT"));
        assertThat(set.flag(vllm, "--max-num-seqs"))
                .as("--max-num-seqs equals vgate.shaping.max-in-flight")
                .contains(String.valueOf(cap));
        assertThat(set.flag(vllm, "--port")).contains(String.valueOf(VLLM_PORT));
        assertThat(port(vllm, "vllm").getContainerPort()).isEqualTo(VLLM_PORT);
        assertThat(set.env(vllm, "HF_HUB_OFFLINE"))
                .as("no download at start-up")
                .isEqualTo("1");
    }

    /**
     * vLLM's probes hit /health and leave at least 60 s for the model to load; vgate's readiness is its
     * /q/health/ready (which includes vLLM's /health), its liveness does not depend on vLLM, and vgate
     * talks to the vLLM container over loopback.
     */
    static void probes(ManifestSet set) {
        Container vllm = set.container("vllm");
        Probe startup = vllm.getStartupProbe();
        assertThat(startup).as("vllm startup probe").isNotNull();
        assertHttp(startup, "/health", "vllm", vllm);
        int budget = orZero(startup.getInitialDelaySeconds())
                + orDefault(startup.getPeriodSeconds(), 10) * orDefault(startup.getFailureThreshold(), 3);
        assertThat(budget)
                .as("seconds the vllm startup probe allows for model load")
                .isGreaterThanOrEqualTo(60);
        assertHttp(vllm.getReadinessProbe(), "/health", "vllm", vllm);
        assertHttp(vllm.getLivenessProbe(), "/health", "vllm", vllm);

        Container vgate = set.container("vgate");
        assertThat(port(vgate, "management").getContainerPort()).isEqualTo(MANAGEMENT_PORT);
        assertHttp(vgate.getReadinessProbe(), "/q/health/ready", "management", vgate);
        assertHttp(vgate.getLivenessProbe(), "/q/health/live", "management", vgate);
        assertHttp(vgate.getStartupProbe(), "/q/health/started", "management", vgate);
        URI upstream = URI.create(set.env(vgate, "VGATE_UPSTREAM_URL"));
        assertThat(upstream.getHost()).as("vgate reaches vLLM over loopback").isEqualTo("127.0.0.1");
        assertThat(upstream.getPort()).as("VGATE_UPSTREAM_URL port").isEqualTo(VLLM_PORT);
    }

    /** GPU tolerations and a GPU node selector. */
    static void gpuScheduling(ManifestSet set) {
        PodSpec pod = set.pod();
        assertThat(pod.getTolerations()).as("tolerations").anySatisfy(t -> {
            assertThat(t.getKey()).isEqualTo(GPU);
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
            assertThat(t.getOperator()).isEqualTo("Exists");
        });
        assertThat(pod.getNodeSelector()).as("nodeSelector").containsEntry("nvidia.com/gpu.present", "true");
    }

    /**
     * The grace period covers vgate's preStop sleep plus its drain timeout plus 10 s for vLLM to stop,
     * and vLLM waits for vgate before it stops.
     */
    static void gracefulShutdown(ManifestSet set) {
        Container vgate = set.container("vgate");
        long preStop = 0;
        if (vgate.getLifecycle() != null
                && vgate.getLifecycle().getPreStop() != null
                && vgate.getLifecycle().getPreStop().getSleep() != null) {
            preStop = vgate.getLifecycle().getPreStop().getSleep().getSeconds();
        }
        Duration drain = Duration.parse(
                "PT" + effectiveSetting(set, "VGATE_SHAPING_DRAIN_TIMEOUT").toUpperCase());
        Long grace = set.pod().getTerminationGracePeriodSeconds();
        assertThat(grace)
                .as("terminationGracePeriodSeconds vs vgate's preStop %ds + drain %s + 10 s", preStop, drain)
                .isNotNull()
                .isGreaterThanOrEqualTo(preStop + drain.toSeconds() + 10);
        Container vllm = set.container("vllm");
        assertThat(vllm.getLifecycle()).as("vllm lifecycle").isNotNull();
        assertThat(String.join(" ", vllm.getLifecycle().getPreStop().getExec().getCommand()))
                .as("vllm preStop waits for vgate's port")
                .contains(String.valueOf(VGATE_PORT));
    }

    /** Non-root, read-only root filesystem, no privilege escalation, no capabilities, everywhere. */
    static void securityContexts(ManifestSet set) {
        for (PodSpec pod : podSpecs(set)) {
            boolean podNonRoot = pod.getSecurityContext() != null
                    && Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot());
            assertThat(podNonRoot).as("pod runAsNonRoot").isTrue();
            Long podUser = pod.getSecurityContext().getRunAsUser();
            for (Container c : containersOf(pod)) {
                SecurityContext sc = c.getSecurityContext();
                assertThat(sc).as(c.getName() + " securityContext").isNotNull();
                assertThat(sc.getAllowPrivilegeEscalation())
                        .as(c.getName() + " allowPrivilegeEscalation")
                        .isFalse();
                assertThat(sc.getReadOnlyRootFilesystem())
                        .as(c.getName() + " readOnlyRootFilesystem")
                        .isTrue();
                assertThat(sc.getPrivileged()).as(c.getName() + " privileged").isNotEqualTo(Boolean.TRUE);
                Long user = sc.getRunAsUser() != null ? sc.getRunAsUser() : podUser;
                assertThat(user)
                        .as(c.getName() + " runs as a numeric non-root user")
                        .isNotNull()
                        .isNotZero();
                assertThat(sc.getCapabilities())
                        .as(c.getName() + " capabilities")
                        .isNotNull();
                assertThat(sc.getCapabilities().getDrop())
                        .as(c.getName() + " drops")
                        .contains("ALL");
                assertThat(sc.getCapabilities().getAdd())
                        .as(c.getName() + " adds")
                        .isNullOrEmpty();
            }
        }
    }

    /**
     * Every mount has a volume and every volume is mounted; the model volume is read-only for vLLM;
     * the API keys Secret is mounted where vgate.auth.keys-file points and holds that file.
     */
    static void volumes(ManifestSet set) {
        for (PodSpec pod : podSpecs(set)) {
            Set<String> mounted = new HashSet<>();
            for (Container c : containersOf(pod)) {
                for (VolumeMount m : orEmpty(c.getVolumeMounts())) {
                    volume(pod, m.getName());
                    mounted.add(m.getName());
                }
            }
            for (Volume v : orEmpty(pod.getVolumes())) {
                assertThat(mounted).as("volume " + v.getName() + " is mounted").contains(v.getName());
            }
        }
        assertThat(mount(set.container("vllm"), "/models").getReadOnly())
                .as("vllm mounts /models read-only")
                .isTrue();

        Path keysFile = new Path(vgateSetting(set, "VGATE_AUTH_KEYS_FILE"));
        VolumeMount keys = mount(set.container("vgate"), keysFile.directory());
        assertThat(keys.getReadOnly()).as("API keys mount read-only").isTrue();
        Volume secretVolume = volume(set.pod(), keys.getName());
        assertThat(secretVolume.getSecret()).as("API keys volume is a Secret").isNotNull();
        Secret secret = set.typed(Secret.class, secretVolume.getSecret().getSecretName());
        assertThat(secretKeys(secret))
                .as("Secret " + secret.getMetadata().getName() + " keys")
                .contains(keysFile.file());
    }

    /**
     * vgate reads vgate-config; that ConfigMap holds the contract's settings; every ConfigMap key any
     * pod refers to exists; no Service links are injected into the environment.
     */
    static void configuration(ManifestSet set) {
        Container vgate = set.container("vgate");
        assertThat(orEmpty(vgate.getEnvFrom()))
                .extracting(e ->
                        e.getConfigMapRef() == null ? null : e.getConfigMapRef().getName())
                .as("vgate envFrom")
                .contains("vgate-config");
        for (String key : List.of("VGATE_SHAPING_MAX_IN_FLIGHT", "VGATE_AUTH_KEYS_FILE")) {
            vgateSetting(set, key);
        }
        trustedProxies(set);
        assertThat(effectiveSetting(set, "VGATE_AUTH_ENABLED")).isEqualTo("true");
        assertThat(effectiveSetting(set, "VGATE_SIMULATOR_ENABLED")).isEqualTo("false");
        noRepeatedDefaults(set);
        for (PodSpec pod : podSpecs(set)) {
            assertThat(pod.getEnableServiceLinks()).as("enableServiceLinks").isFalse();
            for (Container c : containersOf(pod)) {
                for (var env : orEmpty(c.getEnv())) {
                    if (env.getValueFrom() != null && env.getValueFrom().getConfigMapKeyRef() != null) {
                        set.env(c, env.getName());
                    }
                }
                for (EnvFromSource from : orEmpty(c.getEnvFrom())) {
                    if (from.getConfigMapRef() != null) {
                        set.get("ConfigMap", from.getConfigMapRef().getName());
                    }
                }
            }
        }
    }

    /**
     * X-Forwarded-For is believed from named proxies only: no entry wider than a /16 (IPv4) or /48 (IPv6),
     * so a whole pod network (10.0.0.0/8) is never trusted. Absent means no proxy is trusted.
     */
    static void trustedProxies(ManifestSet set) {
        Map<String, String> config = set.typed(io.fabric8.kubernetes.api.model.ConfigMap.class, "vgate-config")
                .getData();
        String value = config.getOrDefault("VGATE_RATE_LIMIT_TRUSTED_PROXIES", "");
        for (String entry : value.split(",")) {
            String cidr = entry.trim();
            if (cidr.isEmpty()) {
                continue;
            }
            boolean v6 = cidr.contains(":");
            int prefix = cidr.contains("/") ? Integer.parseInt(cidr.substring(cidr.indexOf('/') + 1)) : v6 ? 128 : 32;
            assertThat(prefix)
                    .as("trusted proxy %s: a whole network is not the ingress controller", cidr)
                    .isGreaterThanOrEqualTo(v6 ? 48 : 16);
        }
    }

    /**
     * vLLM requires an API key and vgate sends the same one: both read one key of one Secret. Where the
     * Secret is part of the set (an overlay), it holds a non-empty key.
     */
    static void vllmApiKey(ManifestSet set, boolean secretRequired) {
        var vllmKey = secretRef(set.container("vllm"), "VLLM_API_KEY");
        var vgateKey = secretRef(set.container("vgate"), "VGATE_UPSTREAM_API_KEY");
        assertThat(vgateKey.getName() + "/" + vgateKey.getKey())
                .as("vgate's upstream key is vLLM's")
                .isEqualTo(vllmKey.getName() + "/" + vllmKey.getKey());
        assertThat(vllmKey.getOptional()).as("the key is optional").isNotEqualTo(Boolean.TRUE);
        var secret = set.find("Secret", vllmKey.getName());
        if (secretRequired || secret.isPresent()) {
            Secret typed = set.typed(Secret.class, vllmKey.getName());
            String data = typed.getData() == null ? null : typed.getData().get(vllmKey.getKey());
            assertThat(data)
                    .as("Secret %s holds %s", vllmKey.getName(), vllmKey.getKey())
                    .isNotBlank();
        } else {
            assertThat(secret).as("the base holds no vLLM key").isEmpty();
        }
    }

    private static io.fabric8.kubernetes.api.model.SecretKeySelector secretRef(Container container, String name) {
        var env = orEmpty(container.getEnv()).stream()
                .filter(e -> e.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
        assertThat(env.getValueFrom())
                .as(container.getName() + " " + name + " from a Secret")
                .isNotNull();
        assertThat(env.getValueFrom().getSecretKeyRef())
                .as(container.getName() + " " + name + " from a Secret")
                .isNotNull();
        return env.getValueFrom().getSecretKeyRef();
    }

    /**
     * The Deployment's progress deadline exceeds vLLM's start-up budget (a rollout is not reported
     * failed while the model loads), and every emptyDir on the node's disk is covered by the
     * ephemeral-storage requests of its pod.
     */
    static void rolloutBudgets(ManifestSet set) {
        Probe startup = set.container("vllm").getStartupProbe();
        int budget = orZero(startup.getInitialDelaySeconds())
                + orDefault(startup.getPeriodSeconds(), 10) * orDefault(startup.getFailureThreshold(), 3);
        assertThat(set.deployment().getSpec().getProgressDeadlineSeconds())
                .as("progressDeadlineSeconds vs vLLM's start-up budget of %d s", budget)
                .isNotNull()
                .isGreaterThan(budget);
        for (PodSpec pod : podSpecs(set)) {
            long onDisk = 0;
            for (Volume v : orEmpty(pod.getVolumes())) {
                if (v.getEmptyDir() != null && !"Memory".equals(v.getEmptyDir().getMedium())) {
                    assertThat(v.getEmptyDir().getSizeLimit())
                            .as("emptyDir " + v.getName() + " sizeLimit")
                            .isNotNull();
                    onDisk += Quantity.getAmountInBytes(v.getEmptyDir().getSizeLimit())
                            .longValue();
                }
            }
            long requested = 0;
            for (Container c : pod.getContainers()) {
                requested += ephemeralRequest(c);
            }
            for (Container c : orEmpty(pod.getInitContainers())) {
                requested = Math.max(requested, ephemeralRequest(c));
            }
            assertThat(requested)
                    .as("ephemeral-storage requested vs %d bytes of emptyDir on disk", onDisk)
                    .isGreaterThanOrEqualTo(onDisk);
        }
    }

    private static long ephemeralRequest(Container c) {
        if (c.getResources() == null || c.getResources().getRequests() == null) {
            return 0;
        }
        Quantity q = c.getResources().getRequests().get("ephemeral-storage");
        return q == null ? 0 : Quantity.getAmountInBytes(q).longValue();
    }

    /** A ClusterIP Service that exposes vgate's port only, selecting the Deployment's pods. */
    static void service(ManifestSet set) {
        Service service = set.typed(Service.class, "vgate");
        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getPorts()).hasSize(1);
        ServicePort port = service.getSpec().getPorts().get(0);
        assertThat(resolvePort(set.container("vgate"), port.getTargetPort()))
                .as("Service targets vgate's port")
                .isEqualTo(VGATE_PORT);
        assertThat(podLabels(set))
                .as("pods carry the Service's selector")
                .containsAllEntriesOf(service.getSpec().getSelector());
    }

    /**
     * ingress-nginx Ingress: long read/send timeouts, no buffering, vgate's body size, TLS, and only the
     * API ({@code /v1}) and the chat page ({@code /} exactly, {@code /ui} assets) published.
     */
    static void ingress(ManifestSet set) {
        Ingress ingress = set.typed(Ingress.class, "vgate-api");
        Map<String, String> annotations = ingress.getMetadata().getAnnotations();
        String prefix = "nginx.ingress.kubernetes.io/";
        assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
        assertThat(Integer.parseInt(annotations.get(prefix + "proxy-read-timeout")))
                .as("proxy-read-timeout s")
                .isGreaterThanOrEqualTo(600);
        assertThat(Integer.parseInt(annotations.get(prefix + "proxy-send-timeout")))
                .as("proxy-send-timeout s")
                .isGreaterThanOrEqualTo(600);
        assertThat(annotations).containsEntry(prefix + "proxy-buffering", "off");
        assertThat(megabytes(annotations.get(prefix + "proxy-body-size")))
                .as("proxy-body-size MiB")
                .isGreaterThanOrEqualTo(8);
        Set<String> tlsHosts = new HashSet<>();
        for (IngressTLS tls : ingress.getSpec().getTls()) {
            assertThat(tls.getSecretName()).isNotBlank();
            tlsHosts.addAll(tls.getHosts());
        }
        Service service = set.typed(Service.class, "vgate");
        assertThat(ingress.getSpec().getRules()).isNotEmpty().allSatisfy(rule -> {
            assertThat(rule.getHost()).as("rule host").isNotBlank();
            assertThat(tlsHosts).as("TLS covers " + rule.getHost()).contains(rule.getHost());
            assertThat(rule.getHttp().getPaths())
                    .extracting(p -> p.getPath() + " " + p.getPathType())
                    .as("every route of " + rule.getHost())
                    .containsExactlyInAnyOrder("/v1 Prefix", "/ Exact", "/ui Prefix");
            assertThat(rule.getHttp().getPaths()).isNotEmpty().allSatisfy(path -> {
                assertThat(path.getPath() + " " + path.getPathType())
                        .as("only the API and the chat page are published")
                        .isIn("/v1 Prefix", "/ Exact", "/ui Prefix");
                assertThat(path.getBackend().getService().getName()).isEqualTo("vgate");
                String portName = path.getBackend().getService().getPort().getName();
                assertThat(service.getSpec().getPorts())
                        .extracting(ServicePort::getName)
                        .contains(portName);
            });
        });
    }

    /**
     * Only client-labelled pods and the ingress controller's namespace reach vgate's API port; only
     * Prometheus reaches its management port and vLLM's (for /metrics).
     */
    static void networkPolicy(ManifestSet set) {
        networkPolicy(set, "ingress-nginx");
    }

    /** As {@link #networkPolicy(ManifestSet)}, with the namespace of whatever fronts vgate (ingress or gateway). */
    static void networkPolicy(ManifestSet set, String frontNamespace) {
        NetworkPolicy policy = set.typed(NetworkPolicy.class, "vgate");
        assertThat(podLabels(set))
                .as("policy selects the vgate pods")
                .containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).contains("Ingress");
        Container vgate = set.container("vgate");
        Container vllm = set.container("vllm");
        List<String> vgatePeers = new ArrayList<>();
        List<String> managementPeers = new ArrayList<>();
        List<String> vllmPeers = new ArrayList<>();
        for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
            assertThat(rule.getFrom())
                    .as("a rule without `from` admits everyone")
                    .isNotEmpty();
            assertThat(rule.getPorts())
                    .as("a rule without `ports` opens every port")
                    .isNotEmpty();
            for (NetworkPolicyPort port : rule.getPorts()) {
                int number = port.getPort().getIntVal() != null
                        ? port.getPort().getIntVal()
                        : resolvePort(port.getPort().getStrVal().equals("vllm") ? vllm : vgate, port.getPort());
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    assertThat(peer.getIpBlock()).as("no ipBlock peers").isNull();
                    assertThat(number)
                            .as("only vgate's, its management and vLLM's ports")
                            .isIn(VGATE_PORT, MANAGEMENT_PORT, VLLM_PORT);
                    (number == VLLM_PORT ? vllmPeers : number == MANAGEMENT_PORT ? managementPeers : vgatePeers)
                            .add(describe(peer));
                }
            }
        }
        String prometheus = "ns{kubernetes.io/metadata.name=monitoring} pods{app.kubernetes.io/name=prometheus}";
        assertThat(vgatePeers)
                .as("who reaches vgate's API port")
                .containsExactlyInAnyOrder(
                        "pods{vgate.io/client=true}",
                        "ns{vgate.io/clients=true} pods{vgate.io/client=true}",
                        "ns{kubernetes.io/metadata.name=" + frontNamespace + "}",
                        // the other replicas, forwarding follow-ups on stored responses
                        "pods{app.kubernetes.io/name=vgate}");
        assertThat(managementPeers)
                .as("who reaches vgate's management port (health, metrics)")
                .containsExactly(prometheus);
        assertThat(vllmPeers).as("who reaches vLLM's port").containsExactly(prometheus);
        // The port Prometheus scrapes vgate on is the one the container declares for management.
        assertThat(port(vgate, "management").getContainerPort()).isEqualTo(MANAGEMENT_PORT);
    }

    /** The namespace's GPU quota, large enough for the autoscaler's maximum plus one rollout surge. */
    static void gpuQuota(ManifestSet set, int expected) {
        ResourceQuota quota = set.typed(ResourceQuota.class, "vgate-gpus");
        assertThat(quota.getSpec().getHard())
                .as("quota")
                .containsEntry("requests." + GPU, new Quantity(String.valueOf(expected)))
                .doesNotContainKey("limits." + GPU);
        set.find("ScaledObject", "vgate").ifPresent(scaledObject -> {
            int max = scaledObject.tree().path("spec").path("maxReplicaCount").asInt();
            IntOrString surge =
                    set.deployment().getSpec().getStrategy().getRollingUpdate().getMaxSurge();
            assertThat(expected)
                    .as("GPU quota vs maxReplicaCount + maxSurge")
                    .isGreaterThanOrEqualTo(max + surge.getIntVal());
        });
    }

    /** Rollouts: integer surge/unavailability (a string must be a percentage), never below capacity; no fixed replicas. */
    static void rollout(ManifestSet set) {
        Deployment deployment = set.deployment();
        assertThat(deployment.getSpec().getReplicas())
                .as("replicas is left to KEDA")
                .isNull();
        var rolling = deployment.getSpec().getStrategy().getRollingUpdate();
        assertThat(rolling.getMaxSurge().getIntVal()).as("maxSurge").isEqualTo(1);
        assertThat(rolling.getMaxUnavailable().getIntVal()).as("maxUnavailable").isZero();
        assertThat(podLabels(set))
                .as("pods carry the Deployment's selector")
                .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
    }

    /** At most one vgate pod evicted at a time, and a PDB that selects them. */
    static void disruptionBudget(ManifestSet set) {
        PodDisruptionBudget pdb = set.typed(PodDisruptionBudget.class, "vgate");
        assertThat(podLabels(set))
                .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(pdb.getSpec().getMinAvailable())
                .as("minAvailable would block drains of a single replica")
                .isNull();
        assertThat(pdb.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
    }

    /**
     * The shared model volume: a ReadWriteMany claim the Job fills with MODEL_ID from the vgate-model
     * ConfigMap and vLLM reads; the Job's pods are never taken for vgate pods.
     */
    static void modelStorage(ManifestSet set) {
        Volume models = volume(set.pod(), "models");
        String claim = models.getPersistentVolumeClaim().getClaimName();
        PersistentVolumeClaim pvc = set.typed(PersistentVolumeClaim.class, claim);
        assertThat(pvc.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
        assertThat(pvc.getSpec().getResources().getRequests()).containsKey("storage");

        Job job = set.typed(Job.class, "vgate-model-download");
        PodSpec jobPod = job.getSpec().getTemplate().getSpec();
        assertThat(volume(jobPod, "models").getPersistentVolumeClaim().getClaimName())
                .isEqualTo(claim);
        Container download = jobPod.getContainers().get(0);
        assertThat(mount(download, "/models").getReadOnly())
                .as("the Job writes the volume")
                .isNotEqualTo(Boolean.TRUE);
        assertThat(download.getEnvFrom())
                .extracting(e ->
                        e.getConfigMapRef() == null ? null : e.getConfigMapRef().getName())
                .contains("vgate-model");
        assertThat(job.getSpec().getTtlSecondsAfterFinished())
                .as("a finished Job deletes itself, so a changed one can be applied again")
                .isNotNull()
                .isPositive();
        String script = String.join("\n", download.getArgs());
        assertThat(script)
                .contains(
                        "MODEL_ID",
                        "MODEL_SOURCE",
                        "MODEL_REVISION",
                        "MODEL_S3_URI",
                        MARKER,
                        "snapshot_download",
                        "boto3",
                        "AWS_ENDPOINT_URL_S3");
        assertThat(script).as("one S3 endpoint setting").doesNotContain("S3_ENDPOINT_URL\"");
        assertThat(set.configValue("vgate-model", "MODEL_SOURCE")).isIn("huggingface", "s3");
        assertThat(String.join(" ", set.container("wait-for-model").getCommand()))
                .as("the pod waits for the marker of the configured revision")
                .contains(MARKER, "MODEL_REVISION");
        set.env(set.container("wait-for-model"), "MODEL_REVISION");

        Map<String, String> jobLabels =
                job.getSpec().getTemplate().getMetadata().getLabels();
        Map<String, String> selector = set.deployment().getSpec().getSelector().getMatchLabels();
        assertThat(jobLabels.entrySet().containsAll(selector.entrySet()))
                .as("the Job's pods must not match the Deployment's selector %s", selector)
                .isFalse();
        assertThat(jobLabels
                        .entrySet()
                        .containsAll(set.typed(Service.class, "vgate")
                                .getSpec()
                                .getSelector()
                                .entrySet()))
                .as("the Job's pods must not receive Service traffic")
                .isFalse();
    }

    /**
     * KEDA: a Prometheus trigger on saturation, 1 to 5 replicas. The query is demand (sequences running
     * and waiting in vLLM plus vgate's queue) divided by the capacity of one replica, which must be the
     * admission cap ({@code --max-num-seqs}); the per-replica target is below 1 (a replica is added
     * before a GPU is full); an empty result is an error with a fallback, never 0.
     */
    static void scaledObject(ManifestSet set, String namespace) {
        JsonNode so = set.tree("ScaledObject", "vgate");
        Shape.SCALED_OBJECT.check(so, "ScaledObject/vgate");
        JsonNode spec = so.path("spec");
        assertThat(spec.path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
        assertThat(spec.path("scaleTargetRef").path("name").asText())
                .isEqualTo(set.deployment().getMetadata().getName());
        assertThat(spec.path("minReplicaCount").asInt(-1)).as("minReplicaCount").isEqualTo(1);
        assertThat(spec.path("maxReplicaCount").asInt(-1)).as("maxReplicaCount").isEqualTo(5);
        assertThat(spec.path("pollingInterval").asInt(0)).as("pollingInterval").isBetween(5, 60);
        assertThat(spec.has("cooldownPeriod")).as("cooldownPeriod set").isTrue();
        JsonNode fallback = spec.path("fallback");
        assertThat(fallback.path("failureThreshold").asInt(0))
                .as("fallback.failureThreshold")
                .isPositive();
        assertThat(fallback.path("replicas").asInt(0)).as("fallback.replicas").isBetween(1, 5);
        JsonNode scaleDown = spec.path("advanced")
                .path("horizontalPodAutoscalerConfig")
                .path("behavior")
                .path("scaleDown");
        assertThat(scaleDown.path("stabilizationWindowSeconds").asInt(0))
                .as("scale-down cooldown (HPA behaviour)")
                .isGreaterThanOrEqualTo(300);
        JsonNode triggers = spec.path("triggers");
        assertThat(triggers.size()).as("one trigger").isEqualTo(1);
        JsonNode trigger = triggers.get(0);
        assertThat(trigger.path("type").asText()).isEqualTo("prometheus");
        assertThat(trigger.path("metricType").asText())
                .as("AverageValue: desired = ceil(value / threshold); fallback needs it")
                .isEqualTo("AverageValue");
        JsonNode metadata = trigger.path("metadata");
        URI server = URI.create(metadata.path("serverAddress").asText());
        assertThat(server.getScheme()).isIn("http", "https");
        assertThat(metadata.path("ignoreNullValues").asText())
                .as("ignoreNullValues: an empty result must not read as no load")
                .isEqualTo("false");
        assertThat(Double.parseDouble(metadata.path("threshold").asText()))
                .as("per-replica target, in GPUs: below capacity")
                .isBetween(0.5, 0.9);
        String query = metadata.path("query").asText().replace(" ", "");
        assertThat(query).as("no default hides a missing series").doesNotContain("vector(");
        Matcher sums = Pattern.compile("sum\\(([a-z_:]+)\\{([^}]*)}\\)").matcher(query);
        List<String> metrics = new ArrayList<>();
        while (sums.find()) {
            metrics.add(sums.group(1));
            assertThat(sums.group(2)).as("selector of " + sums.group(1)).contains("namespace=\"" + namespace + "\"");
        }
        assertThat(metrics)
                .as("summed series in " + query)
                .containsExactlyInAnyOrder(
                        "vllm:num_requests_running", "vllm:num_requests_waiting", "vgate_queue_depth");
        assertThat(query.split("/"))
                .as("one division, by the capacity of a replica: " + query)
                .hasSize(2);
        assertThat(query.split("/")[1])
                .as("capacity in the query is --max-num-seqs (VGATE_SHAPING_MAX_IN_FLIGHT)")
                .isEqualTo(vgateSetting(set, "VGATE_SHAPING_MAX_IN_FLIGHT"));
    }

    /** kube-prometheus-stack selects monitors and rules by its release label: each carries it. */
    static void monitorsSelected(ManifestSet set, String release) {
        List<String> monitors = new ArrayList<>();
        for (String kind : List.of("PodMonitor", "PrometheusRule")) {
            for (var m : set.ofKind(kind)) {
                monitors.add(kind + "/" + m.name());
                assertThat(m.tree()
                                .path("metadata")
                                .path("labels")
                                .path("release")
                                .asText())
                        .as(kind + "/" + m.name() + " label release")
                        .isEqualTo(release);
            }
        }
        assertThat(monitors).as("monitors in the set").isNotEmpty();
    }

    /** Prometheus Operator: one PodMonitor scraping vgate's /q/metrics and vLLM's /metrics by port name. */
    static void podMonitor(ManifestSet set) {
        JsonNode pm = set.tree("PodMonitor", "vgate");
        Shape.POD_MONITOR.check(pm, "PodMonitor/vgate");
        Map<String, String> selector = new java.util.HashMap<>();
        pm.path("spec")
                .path("selector")
                .path("matchLabels")
                .properties()
                .forEach(e -> selector.put(e.getKey(), e.getValue().asText()));
        assertThat(selector).isNotEmpty();
        assertThat(podLabels(set)).containsAllEntriesOf(selector);
        Map<String, String> endpoints = new java.util.HashMap<>();
        for (JsonNode endpoint : pm.path("spec").path("podMetricsEndpoints")) {
            endpoints.put(endpoint.path("port").asText(), endpoint.path("path").asText());
        }
        assertThat(endpoints)
                .containsExactlyInAnyOrderEntriesOf(Map.of("management", "/q/metrics", "vllm", "/metrics"));
        port(set.container("vgate"), "management");
        port(set.container("vllm"), "vllm");
    }

    /** The API keys Secret template holds hashes only, in a YAML file. */
    static void apiKeysTemplate(ManifestSet set) {
        Secret secret = set.typed(Secret.class, "vgate-api-keys");
        String file = secret.getStringData().get("api-keys.yaml");
        JsonNode keys = StrictManifests.tree(file, "api-keys.yaml");
        assertThat(keys.isArray() && !keys.isEmpty()).as("keys list").isTrue();
        for (JsonNode entry : keys) {
            assertThat(entry.path("hash").asText())
                    .as("entry holds a SHA-256 hex digest")
                    .matches("sha256:[0-9a-f]{64}");
            assertThat(entry.has("key")).as("no plain keys").isFalse();
        }
    }

    // ---- helpers

    record Path(String full) {
        String directory() {
            return full.substring(0, full.lastIndexOf('/'));
        }

        String file() {
            return full.substring(full.lastIndexOf('/') + 1);
        }
    }

    static String vgateSetting(ManifestSet set, String key) {
        return set.configValue("vgate-config", key);
    }

    /** The value vgate runs with: the ConfigMap's entry, or the code default when it has none. */
    static String effectiveSetting(ManifestSet set, String key) {
        var data = set.typed(ConfigMap.class, "vgate-config").getData();
        if (data != null && data.containsKey(key)) {
            return data.get(key);
        }
        String fallback = CodeDefaults.of(key);
        assertThat(fallback)
                .as("ConfigMap vgate-config has no %s and the code no default for it", key)
                .isNotNull();
        return fallback;
    }

    /**
     * Every vgate-config entry says something the code does not already: an entry equal to the code default
     * is noise that hides the real choices and silently pins the value when the default improves. An entry
     * another container also reads (vLLM's {@code --max-num-seqs} from the in-flight cap) is the single source
     * of that value for both, so it stays.
     */
    static void noRepeatedDefaults(ManifestSet set) {
        var data = set.typed(ConfigMap.class, "vgate-config").getData();
        Set<String> shared = new HashSet<>();
        for (PodSpec pod : podSpecs(set)) {
            for (Container c : containersOf(pod)) {
                if (!"vgate".equals(c.getName())) {
                    for (var env : orEmpty(c.getEnv())) {
                        if (env.getValueFrom() != null && env.getValueFrom().getConfigMapKeyRef() != null) {
                            shared.add(env.getValueFrom().getConfigMapKeyRef().getKey());
                        }
                    }
                }
            }
        }
        List<String> repeated = new ArrayList<>();
        (data == null ? Map.<String, String>of() : data).forEach((key, value) -> {
            if (value != null && value.equals(CodeDefaults.of(key)) && !shared.contains(key)) {
                repeated.add(key + "=" + value);
            }
        });
        assertThat(repeated)
                .as("vgate-config entries that repeat a code default")
                .isEmpty();
    }

    static List<PodSpec> podSpecs(ManifestSet set) {
        List<PodSpec> pods = new ArrayList<>();
        for (var m : set.all()) {
            if (m.typed() instanceof Deployment d) {
                pods.add(d.getSpec().getTemplate().getSpec());
            } else if (m.typed() instanceof Job j) {
                pods.add(j.getSpec().getTemplate().getSpec());
            }
        }
        return pods;
    }

    static List<Container> containersOf(PodSpec pod) {
        return Stream.concat(orEmpty(pod.getInitContainers()).stream(), pod.getContainers().stream())
                .toList();
    }

    static List<Container> allContainers(ManifestSet set) {
        return podSpecs(set).stream().flatMap(p -> containersOf(p).stream()).toList();
    }

    static Map<String, String> podLabels(ManifestSet set) {
        return set.deployment().getSpec().getTemplate().getMetadata().getLabels();
    }

    static VolumeMount mount(Container container, String path) {
        return orEmpty(container.getVolumeMounts()).stream()
                .filter(m -> m.getMountPath().equals(path))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " mounts nothing at " + path));
    }

    static Volume volume(PodSpec pod, String name) {
        return orEmpty(pod.getVolumes()).stream()
                .filter(v -> v.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    static ContainerPort port(Container container, String name) {
        return orEmpty(container.getPorts()).stream()
                .filter(p -> name.equals(p.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no port named " + name));
    }

    static int resolvePort(Container container, IntOrString port) {
        return port.getIntVal() != null
                ? port.getIntVal()
                : port(container, port.getStrVal()).getContainerPort();
    }

    private static void assertHttp(Probe probe, String path, String portName, Container container) {
        assertThat(probe).as(container.getName() + " probe on " + path).isNotNull();
        HTTPGetAction get = probe.getHttpGet();
        assertThat(get).as(container.getName() + " probe is an HTTP GET").isNotNull();
        assertThat(get.getPath()).isEqualTo(path);
        assertThat(resolvePort(container, get.getPort()))
                .as(container.getName() + " probe port")
                .isEqualTo(port(container, portName).getContainerPort());
    }

    private static Set<String> resourceNames(Container c) {
        Set<String> names = new HashSet<>();
        if (c.getResources().getLimits() != null) {
            names.addAll(c.getResources().getLimits().keySet());
        }
        if (c.getResources().getRequests() != null) {
            names.addAll(c.getResources().getRequests().keySet());
        }
        return names;
    }

    private static Set<String> secretKeys(Secret secret) {
        Set<String> keys = new HashSet<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    private static String describe(NetworkPolicyPeer peer) {
        List<String> parts = new ArrayList<>();
        if (peer.getNamespaceSelector() != null) {
            parts.add("ns" + labels(peer.getNamespaceSelector().getMatchLabels()));
        }
        if (peer.getPodSelector() != null) {
            parts.add("pods" + labels(peer.getPodSelector().getMatchLabels()));
        }
        return String.join(" ", parts);
    }

    private static String labels(Map<String, String> labels) {
        return new java.util.TreeMap<>(Objects.requireNonNullElse(labels, Map.of()))
                .toString()
                .replace(", ", ",")
                .replace("{", "{")
                .replace("}", "}");
    }

    private static long megabytes(String nginxSize) {
        Matcher m = Pattern.compile("(\\d+)([kKmMgG]?)").matcher(nginxSize);
        assertThat(m.matches()).as("nginx size " + nginxSize).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase()) {
            case "g" -> n * 1024;
            case "m" -> n;
            case "k" -> n / 1024;
            default -> n / (1024 * 1024);
        };
    }

    private static int orZero(Integer value) {
        return value == null ? 0 : value;
    }

    private static int orDefault(Integer value, int fallback) {
        return value == null ? fallback : value;
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
