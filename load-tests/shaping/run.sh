#!/usr/bin/env bash
# Overload benchmark of vgate's request shaping (see README.md in this folder).
#
# Starts the vLLM simulator and vgate as two processes from target/quarkus-app/quarkus-run.jar on free
# loopback ports, measures the simulated GPU's capacity, then offers OVERLOAD x that capacity in an open
# loop, directly to the simulator and through vgate under several queue settings, and writes one JSON
# summary per run to $OUT. Parameters (environment, defaults):
#   SEQS=16        simulator --max-num-seqs and vgate max-in-flight
#   TOKENS=32      max_tokens of every request (ignore_eos: every answer has exactly this length)
#   DURATION=20    seconds of offered load per run
#   OVERLOAD=3     offered load as a multiple of the measured capacity
#   OUT=load-tests/shaping/results
#   JAVA_HOME      a JDK >= 21 (defaults to Temurin 25)
set -euo pipefail
cd "$(dirname "$0")/../.."

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
JAR=target/quarkus-app/quarkus-run.jar
SEQS=${SEQS:-16}
TOKENS=${TOKENS:-32}
DURATION=${DURATION:-20}
OVERLOAD=${OVERLOAD:-3}
OUT=${OUT:-load-tests/shaping/results}
BENCH=load-tests/shaping/OverloadBench.java
mkdir -p "$OUT"

if [ ! -f "$JAR" ]; then
    JAVA_HOME=$JAVA_HOME ./mvnw -B -q package -DskipTests
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # url, seconds
    for _ in $(seq 1 $(( $2 * 10 ))); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "200" ]; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    return 1
}

sim_idle() { # waits until the simulator has nothing in flight
    for _ in $(seq 1 600); do
        if curl -s "http://127.0.0.1:$SIM_PORT/load" | grep -q '"server_load":0'; then return 0; fi
        sleep 0.5
    done
}

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "${KEYS_FILE:-}"
}
trap cleanup EXIT

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpus: $(nproc) x $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "java: $("$JAVA" -version 2>&1 | head -1)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "SEQS=$SEQS TOKENS=$TOKENS DURATION=$DURATION OVERLOAD=$OVERLOAD"
} > "$OUT/machine.txt"

# vgate runs in its production profile: authentication on (an API key made for this run, stored hashed in a keys
# file) and the per-address rate limit raised, since every request of the driver comes from 127.0.0.1.
KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
KEYS_FILE=$(mktemp)
printf -- '- id: bench\n  tenant: bench\n  hash: "sha256:%s"\n' "$(printf %s "$KEY" | sha256sum | awk '{print $1}')" \
    > "$KEYS_FILE"

SIM_PORT=$(free_port)
SIM_HTTP_PORT=$(free_port)
echo "simulator on 127.0.0.1:$SIM_PORT (max-num-seqs $SEQS)"
# (the simulator's JVM is a whole vgate too: its own gateway side needs no credentials, and must start without any)
VGATE_SIMULATOR_ENABLED=true VGATE_SIMULATOR_PORT=$SIM_PORT VGATE_SIMULATOR_MAX_NUM_SEQS=$SEQS \
    VGATE_AUTH_ENABLED=false VGATE_RATE_LIMIT_ENABLED=false \
    "$JAVA" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$SIM_HTTP_PORT" -Dquarkus.log.level=WARN \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$(free_port)" \
    -jar "$JAR" > "$OUT/simulator.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$SIM_PORT/health" 60

start_vgate() { # label, extra env assignments...
    local label=$1; shift
    VGATE_PORT=$(free_port)
    VGATE_MANAGEMENT_PORT=$(free_port) # health and metrics (/q/*) are not on the API port
    env VGATE_UPSTREAM_URL="http://127.0.0.1:$SIM_PORT" VGATE_SHAPING_ADAPTIVE_ENABLED=false VGATE_SHAPING_MAX_IN_FLIGHT="$SEQS" \
        VGATE_AUTH_KEYS_FILE="$KEYS_FILE" VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=100000 \
        VGATE_RATE_LIMIT_PER_IP_BURST=100000 "$@" \
        "$JAVA" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$VGATE_PORT" -Dquarkus.log.level=WARN \
        -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$VGATE_MANAGEMENT_PORT" \
        -jar "$JAR" > "$OUT/vgate-$label.log" 2>&1 &
    VGATE_PID=$!
    PIDS+=($VGATE_PID)
    wait_for "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready" 60
    echo "vgate ($label) on 127.0.0.1:$VGATE_PORT"
}

stop_vgate() {
    kill "$VGATE_PID" 2>/dev/null || true
    wait "$VGATE_PID" 2>/dev/null || true
}

bench() { # label, url, args...
    local label=$1 url=$2; shift 2
    sim_idle
    "$JAVA" "$BENCH" --url "$url" --auth "Bearer $KEY" --tokens "$TOKENS" --warmup 5 --label "$label" \
        --out "$OUT/$label.json" "$@"
}

SIM="http://127.0.0.1:$SIM_PORT"

# Every run starts with 5 s of 4 concurrent requests, not recorded, to warm up the JIT of the driver
# and of a freshly started vgate (the simulator is warmed by the capacity run).

# 1. Capacity: exactly max-num-seqs requests at a time, back to back.
bench capacity "$SIM" --mode closed --concurrency "$SEQS" --duration 15
CAPACITY=$(python3 -c "import json; print(json.load(open('$OUT/capacity.json'))['completed_per_s'])")
RATE=$(python3 -c "print(round($CAPACITY * $OVERLOAD, 2))")
LIGHT=$(python3 -c "print(round($CAPACITY * 0.25, 2))")
echo "capacity $CAPACITY req/s -> unloaded rate $LIGHT, overload rate $RATE"

# 2. Unloaded TTFT, directly and through vgate.
bench unloaded-direct "$SIM" --mode open --rate "$LIGHT" --duration 30
start_vgate unloaded
bench unloaded-vgate "http://127.0.0.1:$VGATE_PORT" --mode open --rate "$LIGHT" --duration 30
stop_vgate

# 3. Overload directly: vLLM (the simulator) queues everything.
bench overload-direct "$SIM" --mode open --rate "$RATE" --duration "$DURATION"

# 4. Overload through vgate, three queue settings.
start_vgate no-queue VGATE_SHAPING_MAX_QUEUE=0
bench overload-vgate-no-queue "http://127.0.0.1:$VGATE_PORT" --mode open --rate "$RATE" --duration "$DURATION"
stop_vgate

start_vgate short-queue VGATE_SHAPING_MAX_QUEUE="$SEQS" VGATE_SHAPING_MAX_QUEUE_WAIT=2s
bench overload-vgate-short-queue "http://127.0.0.1:$VGATE_PORT" --mode open --rate "$RATE" --duration "$DURATION"
stop_vgate

start_vgate defaults
bench overload-vgate-defaults "http://127.0.0.1:$VGATE_PORT" --mode open --rate "$RATE" --duration "$DURATION"
stop_vgate

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
echo "results in $OUT"
