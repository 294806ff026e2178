#!/usr/bin/env bash
# Relay overhead benchmark: small non-streaming chats, side by side in one run on one machine — straight to the
# simulator, through vgate (auth and rate limiting on), and through nginx (proxy_buffering off) — same simulator
# process (zero simulated latency), same load generator (wrk, one thread, fixed connections, post.lua).
# It is the `throughput` section of load-tests/bench.sh, run alone.
#
# Usage: load-tests/relay/run.sh [seconds-per-target] [connections] [max-warm-up-seconds]
#   defaults: 15 s, 32 connections, warm-up until the throughput is stable (at most 60 s per target: the JIT needs
#   20 to 60 s on 2 cores). Results: load-tests/target/relay/ (throughput.json, report.md, charts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec env THROUGHPUT_SECONDS="${1:-15}" THROUGHPUT_CONNECTIONS="${2:-32}" THROUGHPUT_WARMUP="${3:-60}" \
    BENCH_OUT="${BENCH_OUT:-$here/../target/relay}" "$here/../bench.sh" --only throughput,report
