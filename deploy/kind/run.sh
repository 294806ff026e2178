#!/usr/bin/env bash
# Applies the ci overlay to a kind cluster, as .github/workflows/kind.yml does, on any machine with
# Docker, kind and kubectl: builds vgate's JVM image (Jib, into the Docker daemon), loads it into a kind
# node, installs the KEDA and Prometheus Operator CRDs, applies deploy/overlays/ci (the simulator plays
# vLLM: no GPU), waits for the rollout, sends a chat completion through the Service from a client pod,
# and applies the same overlay a second time, which must succeed too.
#
#   deploy/kind/run.sh            # creates the cluster vgate-ci, deletes it at the end
#   KEEP_CLUSTER=1 deploy/kind/run.sh
#   SKIP_BUILD=1 deploy/kind/run.sh   # reuse ghcr.io/vgate/vgate:kind from the Docker daemon
#
# It does not run on the development machines (no container runtime there).
set -euo pipefail
cd "$(dirname "$0")/../.."

CLUSTER="${CLUSTER:-vgate-ci}"
IMAGE="ghcr.io/vgate/vgate:kind"
KEDA_VERSION="${KEDA_VERSION:-2.17.0}"
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-0.82.0}"
CURL_IMAGE="${CURL_IMAGE:-curlimages/curl:8.11.1}"
NAMESPACE=vgate
# The ci overlay's public test key (deploy/overlays/ci/api-keys.yaml holds its hash).
KEY=vgate-ci-key

for tool in docker kind kubectl; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

created=""
cleanup() {
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "--- failed: state of namespace $NAMESPACE" >&2
        kubectl -n "$NAMESPACE" get all,events -o wide >&2 || true
        kubectl -n "$NAMESPACE" describe pods >&2 || true
        kubectl -n "$NAMESPACE" logs deployment/vgate --all-containers --tail=200 >&2 || true
    fi
    if [ -n "$created" ] && [ -z "${KEEP_CLUSTER:-}" ]; then
        kind delete cluster --name "$CLUSTER" || true
    fi
    exit "$status"
}
trap cleanup EXIT

if [ -z "${SKIP_BUILD:-}" ]; then
    echo "--- building $IMAGE"
    ./mvnw -B -ntp -q package -DskipTests \
        -Dquarkus.container-image.build=true -Dquarkus.container-image.tag=kind
fi

if ! kind get clusters | grep -qx "$CLUSTER"; then
    echo "--- creating kind cluster $CLUSTER"
    kind create cluster --name "$CLUSTER" --wait 180s
    created=1
fi
kubectl config use-context "kind-$CLUSTER"
kind load docker-image "$IMAGE" --name "$CLUSTER"

echo "--- CRDs: KEDA $KEDA_VERSION, Prometheus Operator $PROMETHEUS_OPERATOR_VERSION"
kubectl apply --server-side -f \
    "https://github.com/kedacore/keda/releases/download/v${KEDA_VERSION}/keda-${KEDA_VERSION}-crds.yaml"
kubectl apply --server-side -f \
    "https://github.com/prometheus-operator/prometheus-operator/releases/download/v${PROMETHEUS_OPERATOR_VERSION}/stripped-down-crds.yaml"
kubectl wait --for=condition=Established --timeout=60s \
    crd/scaledobjects.keda.sh crd/podmonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com

echo "--- applying deploy/overlays/ci"
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -k deploy/overlays/ci
kubectl -n "$NAMESPACE" rollout status deployment/vgate --timeout=300s

echo "--- a chat completion through the Service"
model=$(kubectl -n "$NAMESPACE" get configmap vgate-model -o jsonpath='{.data.SERVED_MODEL_NAME}')
answer=$(kubectl -n "$NAMESPACE" run chat-check --rm -i --restart=Never --quiet \
    --labels=vgate.io/client=true --image="$CURL_IMAGE" --command -- \
    curl -sS --fail-with-body --max-time 60 http://vgate/v1/chat/completions \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":8}")
echo "$answer"
case "$answer" in
    *'"object":"chat.completion"'*) ;;
    *) echo "not a chat completion" >&2; exit 1 ;;
esac

echo "--- applying the same overlay again"
kubectl apply -k deploy/overlays/ci
kubectl -n "$NAMESPACE" rollout status deployment/vgate --timeout=300s
echo "--- kind check passed"
