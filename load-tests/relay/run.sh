#!/usr/bin/env bash
# Relay overhead benchmark: small non-streaming chats, side by side in one run on one machine —
# straight to the simulator, through vgate, and through nginx (proxy_buffering off) — same simulator
# process (zero simulated latency), same load generator (wrk, one thread, fixed connections).
#
# Usage: load-tests/relay/run.sh [seconds-per-target] [connections] [warm-up-seconds]
#   defaults: 15 s, 32 connections, 25 s warm-up per target (the JIT needs that long on 2 cores). Results: stdout and load-tests/relay/results.md
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

DURATION=${1:-15}
CONNECTIONS=${2:-32}
WARMUP=${3:-25}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

ensure_jar
SIM_PORT=$(free_port); GW_PORT=$(free_port); NGINX_PORT=$(free_port)
pids+=("$(start_simulator "$SIM_PORT" "$WORK/sim.log")")
wait_http "http://127.0.0.1:$SIM_PORT/health"
GW_PID=$(start_vgate "$GW_PORT" "$SIM_PORT" "$WORK/vgate.log" VGATE_AUTH_ENABLED=false)
pids+=("$GW_PID")
pids+=("$(start_nginx "$NGINX_PORT" "$SIM_PORT" "$WORK/nginx")")
wait_http "http://127.0.0.1:$GW_PORT/q/health/ready"
wait_http "http://127.0.0.1:$NGINX_PORT/health"

measure() {
    local name=$1 url=$2
    wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$url" >/dev/null
    local line
    line=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$HERE/post.lua" "$url" | grep '^RESULT')
    echo "$name $line"
}

results=()
results+=("$(measure direct "http://127.0.0.1:$SIM_PORT/v1/chat/completions")")
results+=("$(measure vgate "http://127.0.0.1:$GW_PORT/v1/chat/completions")")
results+=("$(measure nginx "http://127.0.0.1:$NGINX_PORT/v1/chat/completions")")
VGATE_RSS=$(rss_mb "$GW_PID")

field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
nginx_rps=$(field "${results[2]}" rps)
{
    echo "| target | req/s | p50 ms | p99 ms | errors | vs nginx |"
    echo "|---|---:|---:|---:|---:|---:|"
    for r in "${results[@]}"; do
        name=${r%% *}
        rps=$(field "$r" rps)
        printf '| %s | %s | %s | %s | %s | %.2fx |\n' "$name" "$rps" "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" \
            "$(field "$r" errors)" "$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN {print a / b}')"
    done
    echo
    echo "vgate RSS after the run: ${VGATE_RSS} MiB. wrk -t1 -c$CONNECTIONS, ${DURATION}s per target after ${WARMUP}s warm-up;"
    echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1), $(nginx -v 2>&1)."
} | tee "$HERE/results.md"
