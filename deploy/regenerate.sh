#!/usr/bin/env bash
# Regenerates deploy/base/kubernetes.yml, the committed copy of what quarkus-kubernetes generates
# (target/kubernetes/kubernetes.yml) from src/main/kubernetes/kubernetes.yml and the "## Kubernetes"
# section of application.properties. Run it after changing either; ManifestDriftIT (./mvnw verify)
# and the CI drift step fail while the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q package -DskipTests
cp target/kubernetes/kubernetes.yml deploy/base/kubernetes.yml
echo "deploy/base/kubernetes.yml regenerated; review with: git diff -- deploy/base"
