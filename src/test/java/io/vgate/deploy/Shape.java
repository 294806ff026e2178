package io.vgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Structural checks for custom resources that have no model class here (KEDA's ScaledObject, the
 * Prometheus Operator's PodMonitor and PrometheusRule). A shape lists the fields it allows with their types; a field it
 * does not list, or one of the wrong type, fails with its path, as the strict model load does for
 * built-in kinds. The shapes below cover the part of each CRD that vgate uses or may reasonably use;
 * a field outside them is more likely a typo than intended.
 */
abstract class Shape {

    abstract void check(JsonNode node, String path);

    static final Shape STRING = scalar("a string", JsonNode::isTextual);
    static final Shape INT = scalar("an integer", JsonNode::canConvertToExactIntegral);
    static final Shape BOOL = scalar("a boolean", JsonNode::isBoolean);
    /** A map of string to string, such as labels or KEDA trigger metadata. */
    static final Shape STRING_MAP = new Shape() {
        @Override
        void check(JsonNode node, String path) {
            require(node.isObject(), path, "a map of strings", node);
            node.properties().forEach(e -> STRING.check(e.getValue(), path + "." + e.getKey()));
        }
    };
    /** Anything (relabelling rules and other free-form parts vgate does not use). */
    static final Shape ANY = new Shape() {
        @Override
        void check(JsonNode node, String path) {}
    };

    static final Shape METADATA =
            object("name", STRING, "namespace", STRING, "labels", STRING_MAP, "annotations", STRING_MAP);

    static final Shape HPA_RULES = object(
            "stabilizationWindowSeconds", INT,
            "selectPolicy", STRING,
            "policies", list(object("type", STRING, "value", INT, "periodSeconds", INT)));

    /** KEDA ScaledObject, keda.sh/v1alpha1. */
    static final Shape SCALED_OBJECT = object(
            "apiVersion",
            STRING,
            "kind",
            STRING,
            "metadata",
            METADATA,
            "spec",
            object(
                    "scaleTargetRef",
                            object(
                                    "apiVersion",
                                    STRING,
                                    "kind",
                                    STRING,
                                    "name",
                                    STRING,
                                    "envSourceContainerName",
                                    STRING),
                    "pollingInterval", INT,
                    "cooldownPeriod", INT,
                    "initialCooldownPeriod", INT,
                    "idleReplicaCount", INT,
                    "minReplicaCount", INT,
                    "maxReplicaCount", INT,
                    "fallback", object("failureThreshold", INT, "replicas", INT, "behavior", STRING),
                    "advanced",
                            object(
                                    "restoreToOriginalReplicaCount",
                                    BOOL,
                                    "horizontalPodAutoscalerConfig",
                                    object(
                                            "name",
                                            STRING,
                                            "behavior",
                                            object("scaleUp", HPA_RULES, "scaleDown", HPA_RULES))),
                    "triggers",
                            list(object(
                                    "type",
                                    STRING,
                                    "name",
                                    STRING,
                                    "metricType",
                                    STRING,
                                    "useCachedMetrics",
                                    BOOL,
                                    // KEDA's trigger metadata is map[string]string: a bare number fails admission.
                                    "metadata",
                                    STRING_MAP,
                                    "authenticationRef",
                                    object("name", STRING, "kind", STRING)))));

    /** Prometheus Operator PodMonitor, monitoring.coreos.com/v1. */
    static final Shape POD_MONITOR = object(
            "apiVersion",
            STRING,
            "kind",
            STRING,
            "metadata",
            METADATA,
            "spec",
            object(
                    "selector", object("matchLabels", STRING_MAP, "matchExpressions", ANY),
                    "namespaceSelector", object("any", BOOL, "matchNames", list(STRING)),
                    "jobLabel", STRING,
                    "podTargetLabels", list(STRING),
                    "sampleLimit", INT,
                    "podMetricsEndpoints",
                            list(object(
                                    "port",
                                    STRING,
                                    "portNumber",
                                    INT,
                                    "path",
                                    STRING,
                                    "scheme",
                                    STRING,
                                    "interval",
                                    STRING,
                                    "scrapeTimeout",
                                    STRING,
                                    "honorLabels",
                                    BOOL,
                                    "relabelings",
                                    ANY,
                                    "metricRelabelings",
                                    ANY))));

    /** Prometheus Operator PrometheusRule, monitoring.coreos.com/v1: recording and alerting rules. */
    static final Shape PROMETHEUS_RULE = object(
            "apiVersion",
            STRING,
            "kind",
            STRING,
            "metadata",
            METADATA,
            "spec",
            object(
                    "groups",
                    list(object(
                            "name",
                            STRING,
                            "interval",
                            STRING,
                            "limit",
                            INT,
                            "rules",
                            list(object(
                                    "record",
                                    STRING,
                                    "alert",
                                    STRING,
                                    "expr",
                                    STRING,
                                    "for",
                                    STRING,
                                    "keep_firing_for",
                                    STRING,
                                    "labels",
                                    STRING_MAP,
                                    "annotations",
                                    STRING_MAP))))));

    /** Gateway API HTTPRoute, gateway.networking.k8s.io/v1: the part vgate uses (paths to one Service). */
    static final Shape HTTP_ROUTE = object(
            "apiVersion",
            STRING,
            "kind",
            STRING,
            "metadata",
            METADATA,
            "spec",
            object(
                    "parentRefs",
                    list(object(
                            "group",
                            STRING,
                            "kind",
                            STRING,
                            "namespace",
                            STRING,
                            "name",
                            STRING,
                            "sectionName",
                            STRING,
                            "port",
                            INT)),
                    "hostnames",
                    list(STRING),
                    "rules",
                    list(object(
                            "name",
                            STRING,
                            "matches",
                            list(object(
                                    "path",
                                    object("type", STRING, "value", STRING),
                                    "headers",
                                    ANY,
                                    "queryParams",
                                    ANY,
                                    "method",
                                    STRING)),
                            "filters",
                            ANY,
                            "backendRefs",
                            list(object(
                                    "group",
                                    STRING,
                                    "kind",
                                    STRING,
                                    "name",
                                    STRING,
                                    "namespace",
                                    STRING,
                                    "port",
                                    INT,
                                    "weight",
                                    INT)),
                            "timeouts",
                            object("request", STRING, "backendRequest", STRING)))));

    static Shape object(Object... fieldsAndShapes) {
        Map<String, Shape> fields = new LinkedHashMap<>();
        for (int i = 0; i < fieldsAndShapes.length; i += 2) {
            fields.put((String) fieldsAndShapes[i], (Shape) fieldsAndShapes[i + 1]);
        }
        return new Shape() {
            @Override
            void check(JsonNode node, String path) {
                require(node.isObject(), path, "an object", node);
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    Shape shape = fields.get(field.getKey());
                    String at = path + "." + field.getKey();
                    if (shape == null) {
                        throw new AssertionError(at + ": unknown field (allowed: " + fields.keySet() + ")");
                    }
                    shape.check(field.getValue(), at);
                }
            }
        };
    }

    static Shape list(Shape element) {
        return new Shape() {
            @Override
            void check(JsonNode node, String path) {
                require(node.isArray(), path, "a list", node);
                for (int i = 0; i < node.size(); i++) {
                    element.check(node.get(i), path + "[" + i + "]");
                }
            }
        };
    }

    private static Shape scalar(String what, java.util.function.Predicate<JsonNode> test) {
        return new Shape() {
            @Override
            void check(JsonNode node, String path) {
                require(test.test(node), path, what, node);
            }
        };
    }

    private static void require(boolean ok, String path, String what, JsonNode node) {
        if (!ok) {
            throw new AssertionError(path + ": expected " + what + ", found " + node.getNodeType() + " " + node);
        }
    }
}
