package io.vgate.deploy;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Loads Kubernetes manifests strictly. Every fabric8 model class keeps unknown fields in an
 * {@code additionalProperties} map ({@code @JsonAnySetter}), so a plain load accepts any typo. Here
 * the any-setters are switched off, which turns an unknown or misspelt field into an
 * {@code UnrecognizedPropertyException} naming the field and its path. Duplicate keys fail too, and
 * so does a kind or apiVersion this project does not deploy.
 * <p>
 * Custom resources (KEDA, Prometheus Operator) have no model here: they are kept as trees and checked
 * structurally by {@link Shape}.
 */
final class StrictManifests {

    /** The built-in kinds vgate deploys, with the model class that must accept them. */
    static final Map<String, Class<? extends HasMetadata>> TYPED = Map.of(
            "ConfigMap", ConfigMap.class,
            "Secret", Secret.class,
            "Service", Service.class,
            "PersistentVolumeClaim", PersistentVolumeClaim.class,
            "ResourceQuota", ResourceQuota.class,
            "Deployment", Deployment.class,
            "Job", Job.class,
            "Ingress", Ingress.class,
            "NetworkPolicy", NetworkPolicy.class,
            "PodDisruptionBudget", PodDisruptionBudget.class);

    /**
     * Custom resources with a model generated from their CRD (Gateway API, Prometheus Operator): loaded as strictly
     * as built-in kinds, so a field the CRD does not define, or one of the wrong type, fails. KEDA has no such
     * model; its ScaledObject is checked by {@link Shape} alone.
     */
    static final Map<String, Class<?>> CUSTOM_MODELS = Map.of(
            "PodMonitor", io.fabric8.openshift.api.model.monitoring.v1.PodMonitor.class,
            "PrometheusRule", io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule.class,
            "HTTPRoute", io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute.class);

    /** Custom resources, by kind, with the only apiVersion accepted. */
    static final Map<String, String> CUSTOM = Map.of(
            "ScaledObject", "keda.sh/v1alpha1",
            "PodMonitor", "monitoring.coreos.com/v1",
            "PrometheusRule", "monitoring.coreos.com/v1",
            "HTTPRoute", "gateway.networking.k8s.io/v1");

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated annotated) {
                    return Boolean.FALSE;
                }
            })
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private StrictManifests() {}

    /** Every document of a (multi-document) YAML file, strictly loaded. */
    static ManifestSet load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of YAML text, strictly loaded; {@code origin} names it in failures. */
    static ManifestSet parse(String yaml, String origin) {
        List<Manifest> manifests = new ArrayList<>();
        for (JsonNode document : documents(yaml, origin)) {
            manifests.add(toManifest(document, origin));
        }
        return new ManifestSet(manifests);
    }

    /** One YAML document as a tree, read whole (a top-level list stays one list). */
    static JsonNode tree(String yaml, String origin) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    /** The YAML documents of a text as trees, empty documents skipped. */
    static List<JsonNode> documents(String yaml, String origin) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNextValue()) {
                JsonNode node = it.nextValue();
                if (node != null && !node.isNull() && !node.isMissingNode()) {
                    documents.add(node);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": not valid YAML: " + e.getMessage(), e);
        }
        return documents;
    }

    /** One strictly loaded resource: a model object for built-in kinds, a tree for custom ones. */
    static Manifest toManifest(JsonNode document, String origin) {
        String kind = document.path("kind").asText("");
        String apiVersion = document.path("apiVersion").asText("");
        String name = document.path("metadata").path("name").asText("");
        String where = origin + ": " + kind + "/" + name;
        if (name.isEmpty()) {
            throw new IllegalArgumentException(where + " has no metadata.name");
        }
        Class<? extends HasMetadata> type = TYPED.get(kind);
        if (type != null) {
            String expected = HasMetadata.getApiVersion(type);
            if (!expected.equals(apiVersion)) {
                throw new IllegalArgumentException(where + ": apiVersion " + apiVersion + ", expected " + expected);
            }
            try {
                return new Manifest(kind, name, STRICT.treeToValue(document, type), document);
            } catch (IOException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        String customVersion = CUSTOM.get(kind);
        if (customVersion != null) {
            if (!customVersion.equals(apiVersion)) {
                throw new IllegalArgumentException(
                        where + ": apiVersion " + apiVersion + ", expected " + customVersion);
            }
            Class<?> model = CUSTOM_MODELS.get(kind);
            if (model != null) {
                try {
                    STRICT.treeToValue(document, model);
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
                }
            }
            return new Manifest(kind, name, null, document);
        }
        throw new IllegalArgumentException(where + ": kind " + apiVersion + "/" + kind + " is not one vgate deploys");
    }

    /**
     * A strictly loaded resource.
     *
     * @param typed the fabric8 object for built-in kinds, {@code null} for custom resources
     * @param tree the document as parsed
     */
    record Manifest(String kind, String name, HasMetadata typed, JsonNode tree) {}
}
