package io.vgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.vgate.deploy.StrictManifests.Manifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The resources of one manifest file or one rendered overlay, with look-ups the tests share. */
final class ManifestSet {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private final List<Manifest> manifests;

    ManifestSet(List<Manifest> manifests) {
        this.manifests = List.copyOf(manifests);
    }

    List<Manifest> all() {
        return manifests;
    }

    List<Manifest> ofKind(String kind) {
        return manifests.stream().filter(m -> m.kind().equals(kind)).toList();
    }

    Optional<Manifest> find(String kind, String name) {
        return manifests.stream()
                .filter(m -> m.kind().equals(kind) && m.name().equals(name))
                .findFirst();
    }

    Manifest get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " in " + summary()));
    }

    <T extends HasMetadata> T typed(Class<T> type, String name) {
        return type.cast(get(type.getSimpleName(), name).typed());
    }

    JsonNode tree(String kind, String name) {
        return get(kind, name).tree();
    }

    Deployment deployment() {
        return typed(Deployment.class, "vgate");
    }

    PodSpec pod() {
        return deployment().getSpec().getTemplate().getSpec();
    }

    Container container(String name) {
        return containerIn(pod(), name);
    }

    static Container containerIn(PodSpec pod, String name) {
        List<Container> all = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            all.addAll(pod.getInitContainers());
        }
        return all.stream()
                .filter(c -> c.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name));
    }

    String configValue(String configMap, String key) {
        Map<String, String> data = typed(ConfigMap.class, configMap).getData();
        if (data == null || !data.containsKey(key)) {
            throw new AssertionError("ConfigMap " + configMap + " has no key " + key);
        }
        return data.get(key);
    }

    /**
     * The value an environment variable of a container has at run time: a literal, or the
     * ConfigMap key it refers to (which must exist).
     */
    String env(Container container, String name) {
        EnvVar var = container.getEnv().stream()
                .filter(e -> e.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
        if (var.getValueFrom() == null) {
            return var.getValue();
        }
        var ref = var.getValueFrom().getConfigMapKeyRef();
        if (ref == null) {
            throw new AssertionError(container.getName() + " env " + name + " is not a literal nor a ConfigMap key");
        }
        return configValue(ref.getName(), ref.getKey());
    }

    /** A container's arguments with {@code $(VAR)} expanded the way the kubelet does. */
    List<String> expandedArgs(Container container) {
        return container.getArgs().stream()
                .map(arg -> {
                    Matcher m = VARIABLE.matcher(arg);
                    StringBuilder out = new StringBuilder();
                    while (m.find()) {
                        m.appendReplacement(out, Matcher.quoteReplacement(env(container, m.group(1))));
                    }
                    m.appendTail(out);
                    return out.toString();
                })
                .toList();
    }

    /** The model {@code vllm serve} loads: its positional argument, the first expanded one. */
    String model(Container container) {
        List<String> args = expandedArgs(container);
        if (args.isEmpty() || args.get(0).startsWith("-")) {
            throw new AssertionError(container.getName() + " names no model as its first argument: " + args);
        }
        return args.get(0);
    }

    /** The value of {@code --flag=value} among a container's expanded arguments. */
    Optional<String> flag(Container container, String flag) {
        String prefix = flag + "=";
        return expandedArgs(container).stream()
                .filter(a -> a.startsWith(prefix))
                .map(a -> a.substring(prefix.length()))
                .findFirst();
    }

    String summary() {
        return manifests.stream().map(m -> m.kind() + "/" + m.name()).toList().toString();
    }
}
