#!/usr/bin/env bash
# Graceful drain on SIGTERM, end to end with the packaged application (see README.md in this folder).
#
# Starts the simulator and vgate (max-in-flight 2) from target/quarkus-app/quarkus-run.jar, opens two long
# streams and queues two more requests, sends SIGTERM to vgate and records what every client got, what a
# request sent during the drain got, readiness during the drain, and when the process exited.
# Prints a summary; exits non-zero if a live stream was cut or vgate did not exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
JAR=target/quarkus-app/quarkus-run.jar
WORK=$(mktemp -d)
[ -f "$JAR" ] || JAVA_HOME=$JAVA_HOME ./mvnw -B -q package -DskipTests

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
wait_for() {
    for _ in $(seq 1 600); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "200" ] && return 0
        sleep 0.1
    done
    return 1
}

PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

SIM_PORT=$(free_port)
VGATE_SIMULATOR_ENABLED=true VGATE_SIMULATOR_PORT=$SIM_PORT "$JAVA" -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port="$(free_port)" -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$(free_port)" \
    -Dquarkus.log.level=WARN -jar "$JAR" > "$WORK/sim.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$SIM_PORT/health"

PORT=$(free_port)
MANAGEMENT_PORT=$(free_port) # health and metrics (/q/*) are not on the API port
VGATE_UPSTREAM_URL="http://127.0.0.1:$SIM_PORT" VGATE_SHAPING_MAX_IN_FLIGHT=2 "$JAVA" -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port="$PORT" -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$MANAGEMENT_PORT" \
    -jar "$JAR" > "$WORK/vgate.log" 2>&1 &
VGATE=$!
PIDS+=($VGATE)
wait_for "http://127.0.0.1:$MANAGEMENT_PORT/q/health/ready"
URL="http://127.0.0.1:$PORT/v1/chat/completions"

request() { # name, max_tokens
    curl -s -N -o "$WORK/$1.out" -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}],\"stream\":true,\"max_tokens\":$2,\"ignore_eos\":true}" \
        "$URL" > "$WORK/$1.status" || true
}

request live-1 300 & request live-2 300 &
sleep 1
request queued-1 20 & request queued-2 20 &
sleep 0.5

kill -TERM "$VGATE"
T0=$(date +%s.%N)
sleep 0.3
request during-drain 20
READY=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MANAGEMENT_PORT/q/health/ready" || true)
wait "$VGATE" || true
T1=$(date +%s.%N)
sleep 0.2

ok=true
for name in live-1 live-2; do
    events=$(grep -c '^data: ' "$WORK/$name.out" || true)
    last=$(grep '^data: ' "$WORK/$name.out" | tail -1)
    errors=$(grep -c '"error"' "$WORK/$name.out" || true)
    echo "$name: HTTP $(cat "$WORK/$name.status"), $events events, last '$last', error events $errors"
    [ "$last" = "data: [DONE]" ] && [ "$errors" = "0" ] || ok=false
done
for name in queued-1 queued-2 during-drain; do
    echo "$name: HTTP $(cat "$WORK/$name.status"), $(head -c 200 "$WORK/$name.out")"
done
echo "readiness during drain: HTTP $READY"
echo "vgate exited $(python3 -c "print(round($T1 - $T0, 2))") s after SIGTERM"
grep -E "Draining|Drained" "$WORK/vgate.log" || true
$ok
