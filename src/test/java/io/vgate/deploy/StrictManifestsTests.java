package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

/** The loader rejects what a lenient fabric8 load would silently keep in additionalProperties. */
class StrictManifestsTests {

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              selector:
                matchLabels: {app: demo}
              template:
                metadata:
                  labels: {app: demo}
                spec:
                  terminationGracePeriodSeconds: 30
                  containers:
                    - name: app
                      image: example/app:1.0
                      resources:
                        limits:
                          nvidia.com/gpu: 1
                  volumes:
                    - name: dshm
                      emptyDir:
                        medium: Memory
                        sizeLimit: 8Gi
            """;

    @Test
    void loadsAValidDeployment() {
        ManifestSet set = StrictManifests.parse(DEPLOYMENT, "valid");
        Deployment deployment = set.typed(Deployment.class, "demo");
        assertThat(deployment
                        .getSpec()
                        .getTemplate()
                        .getSpec()
                        .getVolumes()
                        .get(0)
                        .getEmptyDir()
                        .getMedium())
                .isEqualTo("Memory");
    }

    @Test
    void rejectsAMisspeltContainerField() {
        assertThatThrownBy(() -> StrictManifests.parse(DEPLOYMENT.replace("resources:", "resoures:"), "typo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("resoures");
    }

    @Test
    void rejectsAnUnknownNestedField() {
        assertThatThrownBy(() -> StrictManifests.parse(DEPLOYMENT.replace("sizeLimit:", "sizelimit:"), "typo"))
                .hasMessageContaining("sizelimit");
    }

    @Test
    void rejectsAFieldAtTheWrongLevel() {
        // tolerations belong to the pod spec, not the Deployment spec
        String misplaced = DEPLOYMENT.replace("spec:\n  selector:", "spec:\n  tolerations: []\n  selector:");
        assertThatThrownBy(() -> StrictManifests.parse(misplaced, "misplaced")).hasMessageContaining("tolerations");
    }

    @Test
    void rejectsAValueOfTheWrongType() {
        assertThatThrownBy(() -> StrictManifests.parse(
                        DEPLOYMENT.replace("terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: soon"),
                        "type"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsDuplicateKeys() {
        String line = DEPLOYMENT
                .lines()
                .filter(l -> l.contains("image: example/app:1.0"))
                .findFirst()
                .orElseThrow();
        String duplicate = DEPLOYMENT.replace(line, line + "\n" + line.replace("1.0", "2.0"));
        assertThatThrownBy(() -> StrictManifests.parse(duplicate, "duplicate")).hasMessageContaining("image");
    }

    @Test
    void rejectsAWrongApiVersion() {
        assertThatThrownBy(() -> StrictManifests.parse(DEPLOYMENT.replace("apps/v1", "extensions/v1beta1"), "old"))
                .hasMessageContaining("apiVersion extensions/v1beta1");
    }

    @Test
    void rejectsAKindVgateDoesNotDeploy() {
        String hpa = """
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata:
                  name: demo
                """;
        assertThatThrownBy(() -> StrictManifests.parse(hpa, "hpa")).hasMessageContaining("not one vgate deploys");
    }

    @Test
    void loadsCustomResourcesWithACrdModelAsStrictlyAsBuiltInKinds() {
        String podMonitor = """
                apiVersion: monitoring.coreos.com/v1
                kind: PodMonitor
                metadata:
                  name: demo
                spec:
                  selector: {matchLabels: {app: demo}}
                  podMetricsEndpoints:
                    - port: management
                      path: /q/metrics
                      interval: 15s
                """;
        String route = """
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata:
                  name: demo
                spec:
                  parentRefs: [{name: gateway}]
                  rules:
                    - matches: [{path: {type: PathPrefix, value: /v1/}}]
                      backendRefs: [{name: demo, port: 8080}]
                      timeouts: {request: 3600s}
                """;
        assertThat(StrictManifests.parse(podMonitor, "monitor").tree("PodMonitor", "demo"))
                .isNotNull();
        assertThat(StrictManifests.parse(route, "route").tree("HTTPRoute", "demo"))
                .isNotNull();

        assertThatThrownBy(() -> StrictManifests.parse(podMonitor.replace("podMetricsEndpoints", "endpoints"), "m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("endpoints");
        assertThatThrownBy(() -> StrictManifests.parse(route.replace("backendRefs", "backends"), "r"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backends");
        assertThatThrownBy(() -> StrictManifests.parse(route.replace("port: 8080", "port: [8080]"), "r"))
                .as("a value of the wrong type")
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsCustomResourcesAsTreesForShapeChecks() {
        String scaledObject = """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata:
                  name: demo
                spec:
                  scaleTargetRef: {name: demo}
                  maxReplicaCount: 5
                  triggers:
                    - type: prometheus
                      metadata: {query: up, threshold: "8"}
                """;
        ManifestSet set = StrictManifests.parse(scaledObject, "keda");
        Shape.SCALED_OBJECT.check(set.tree("ScaledObject", "demo"), "ScaledObject/demo");

        assertThatThrownBy(() -> Shape.SCALED_OBJECT.check(
                        StrictManifests.parse(scaledObject.replace("maxReplicaCount", "maxReplicas"), "keda")
                                .tree("ScaledObject", "demo"),
                        "so"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("spec.maxReplicas: unknown field");
        assertThatThrownBy(() -> Shape.SCALED_OBJECT.check(
                        StrictManifests.parse(scaledObject.replace("threshold: \"8\"", "threshold: 8"), "keda")
                                .tree("ScaledObject", "demo"),
                        "so"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("threshold: expected a string");
    }
}
