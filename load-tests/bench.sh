#!/usr/bin/env bash
# vgate benchmark: every figure of the benchmark report, side by side in one run on one machine — the same simulator
# upstream (a separate JVM playing vLLM), the same load generators — then load-tests/results/report.md and PNG charts.
#
#   load-tests/bench.sh                     full run, 18 to 22 minutes; results in load-tests/results/
#   BENCH_QUICK=1 load-tests/bench.sh       quick check of the whole chain (~7 min, short slices, 500 streams);
#                                           results in load-tests/target/bench-quick/ (never committed)
#   load-tests/bench.sh --only sse,report   some sections (also BENCH_SECTIONS="sse report")
#   load-tests/bench.sh --skip overload     all but some (also BENCH_SKIP=...)
#   load-tests/bench.sh --out DIR           results elsewhere (also BENCH_OUT)
#
# Sections, in order (each writes DIR/<section>.json; `report` reads whatever is there):
#   startup     STARTUP_RUNS fresh vgate processes: ms until /q/health/ready, until a first chat completion is served;
#               CPU time and classes loaded at ready (they vary far less than the clock on a busy machine); RSS after
#               start (StartupTime)
#   throughput  wrk, closed loop, THROUGHPUT_CONNECTIONS connections, non-streaming chat: direct to the simulator,
#               through vgate, through nginx (proxy_buffering off); req/s and latency percentiles (relay/post.lua)
#   latency     open loop at LATENCY_RATE req/s, direct / vgate / nginx in alternating slices: added latency p50/p99
#               (FixedRateLatency, µs HdrHistograms, no coordinated omission)
#   sse         SSE_STREAMS concurrent streams per target through a TCP tap: added delay per event, merged-event
#               checks, vgate's RSS over time (SseFanout)
#   sse-responses  the same with the Responses API (POST /v1/responses, stream:true, max_output_tokens SSE_TOKENS):
#               named events, no [DONE], complete at response.completed; a fresh vgate and nginx (SseFanout --dialect)
#   sse-max     SSE_MAX_STREAMS concurrent chat streams per target, an event every SSE_MAX_ITL each: more than this
#               machine can relay, so each gateway delivers what its CPU allows: events/s delivered, added gap
#               between events, CPU per event (gateway process and its children), RSS
#   overload    the shaping scenario: capacity of a simulated GPU (max-num-seqs OVERLOAD_SEQS), then
#               OVERLOAD_FACTOR x capacity directly and through vgate (two queue settings, static limit): goodput
#               (OverloadBench)
#   adaptive    the in-flight limit compared: a simulated GPU of max-num-seqs ADAPTIVE_SEQS whose KV cache
#               (ADAPTIVE_KV_TOKENS) binds first for long prompts, so its true capacity is not a setting; prompts of
#               ADAPTIVE_PROMPTS tokens and ADAPTIVE_OUTPUT answer tokens, mixed; ADAPTIVE_FACTOR x capacity offered
#               directly, through vgate with static limits ADAPTIVE_STATIC and through vgate adaptive (defaults);
#               each twice: steady, then with the GPU 2x slower from half-way (the simulator's gpu-speed set at run
#               time). Goodput (TTFT <= OVERLOAD_SLO_MS), TTFT, GPU busy fraction, vLLM's own waiting queue,
#               rejections. At most about 6 minutes (OverloadBench)
#   report      DIR/report.md and DIR/*.png (io.vgate.bench.report.Report)
#
# Durations and sizes (environment; full-run defaults, BENCH_QUICK=1 lowers them): STARTUP_RUNS=5,
# THROUGHPUT_WARMUP_MIN=15 THROUGHPUT_WARMUP=60 (warm-up until stable, at least/at most; see wrk_warm)
# THROUGHPUT_SECONDS=15 THROUGHPUT_CONNECTIONS=32, LATENCY_RATE=500 LATENCY_WARMUP=10 LATENCY_SECONDS=30
# LATENCY_ROUNDS=3, SSE_STREAMS=2000 SSE_RAMP=10s SSE_ITL=200ms SSE_TOKENS=150 SSE_WARMUP=20s (vgate's)
# SSE_BASE_WARMUP=10s (direct's, which warms the client, tap and simulator; nginx's), SSE_MAX_STREAMS=1000
# SSE_MAX_ITL=20ms SSE_MAX_TOKENS=400 SSE_MAX_WARMUP=60s (vgate's), OVERLOAD_SEQS=16
# OVERLOAD_TOKENS=32 OVERLOAD_FACTOR=3 OVERLOAD_SECONDS=15 OVERLOAD_CAPACITY_SECONDS=10 OVERLOAD_SLO_MS=2000,
# ADAPTIVE_SEQS=64 ADAPTIVE_KV_TOKENS=40960 ADAPTIVE_PROMPTS=100,2000 ADAPTIVE_OUTPUT=32-128 ADAPTIVE_FACTOR=3
# ADAPTIVE_STATIC="16 64 256" ADAPTIVE_SECONDS=15 ADAPTIVE_DRAIN=8 ADAPTIVE_CAPACITY_SECONDS=10 ADAPTIVE_QUEUE_WAIT=2s.
# The startup section also measures vgate with a JDK 25 AOT cache made by a training run (JDK >= 25 only), on the
# aot-jar layout of the same sources (packaged into target/aot-jar; an AOT cache cannot hold the fast-jar's classes).
#
# Gateways under test: vgate in its production profile (authentication on, with a real API key from a generated keys
# file; per-address rate limiting on, raised to 1,000,000/s so it never rejects here; log level WARN except the
# access log, one line per request at INFO, as deployed, into the run's log file) with a fixed heap, VGATE_HEAP
# (default: the image's JVM settings, application.properties "## JVM settings"; JvmSettingsTests keeps them equal),
# so that RSS means something; nginx with proxy_buffering off, upstream keep-alive and its access log on, buffered,
# into a file (lib/common.sh). Everything binds to 127.0.0.1 on free ports; every process is stopped on exit.
# Logs, keys and nginx files of the run: load-tests/target/bench-work/.
#
# The native executable: VGATE_EXE=target/vgate-...-runner (built by `./mvnw package -Pnative`) makes it the vgate
# under test in every section, started with the same environment and VGATE_HEAP as its own options (by default the
# image's native arguments, -Xmx96m -Xmn16m: the JVM's -XX flags are not the executable's); startup then
# times the executable (no AOT-cache runs). The simulator stays the JVM jar, so that direct's figures and the upstream
# are those of a JVM run. .github/workflows/native.yml runs this against its native build.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

ALL_SECTIONS="startup throughput latency sse sse-responses sse-max overload adaptive report"
SECTIONS=${BENCH_SECTIONS:-$ALL_SECTIONS}
SKIP=${BENCH_SKIP:-}
QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-}
while [ $# -gt 0 ]; do
    case $1 in
        --only) SECTIONS=${2//,/ }; shift 2 ;;
        --skip) SKIP=${2//,/ }; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --out) OUT=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
for s in $SECTIONS $SKIP; do
    [[ " $ALL_SECTIONS " == *" $s "* ]] || { echo "unknown section $s (sections: $ALL_SECTIONS)" >&2; exit 2; }
done
selected() {
    [[ " $SECTIONS " == *" $1 "* ]] && [[ " $SKIP " != *" $1 "* ]]
}

if [ "$QUICK" = 1 ]; then
    : "${STARTUP_RUNS:=2}" "${THROUGHPUT_WARMUP_MIN:=5}" "${THROUGHPUT_WARMUP:=15}" "${THROUGHPUT_SECONDS:=5}" "${LATENCY_RATE:=200}"
    : "${LATENCY_WARMUP:=3}" "${LATENCY_SECONDS:=6}" "${LATENCY_ROUNDS:=2}" "${SSE_STREAMS:=500}" "${SSE_RAMP:=5s}"
    : "${SSE_TOKENS:=40}" "${SSE_WARMUP:=10s}"
    : "${SSE_BASE_WARMUP:=5s}" "${OVERLOAD_SECONDS:=6}" "${OVERLOAD_CAPACITY_SECONDS:=5}"
    : "${ADAPTIVE_SECONDS:=6}" "${ADAPTIVE_DRAIN:=4}" "${ADAPTIVE_CAPACITY_SECONDS:=4}"
    OUT=${OUT:-$LT_DIR/target/bench-quick}
fi
: "${STARTUP_RUNS:=5}" "${THROUGHPUT_WARMUP_MIN:=15}" "${THROUGHPUT_WARMUP:=60}" "${THROUGHPUT_SECONDS:=15}" "${THROUGHPUT_CONNECTIONS:=32}"
: "${LATENCY_RATE:=500}" "${LATENCY_WARMUP:=10}" "${LATENCY_SECONDS:=30}" "${LATENCY_ROUNDS:=3}"
: "${SSE_STREAMS:=2000}" "${SSE_RAMP:=10s}" "${SSE_ITL:=200ms}" "${SSE_TOKENS:=150}" "${SSE_WARMUP:=20s}"
: "${SSE_BASE_WARMUP:=10s}"
: "${SSE_MAX_STREAMS:=1000}" "${SSE_MAX_ITL:=20ms}" "${SSE_MAX_TOKENS:=400}" "${SSE_MAX_WARMUP:=60s}"
: "${OVERLOAD_SEQS:=16}" "${OVERLOAD_TOKENS:=32}" "${OVERLOAD_FACTOR:=3}" "${OVERLOAD_SECONDS:=15}"
: "${OVERLOAD_CAPACITY_SECONDS:=10}" "${OVERLOAD_SLO_MS:=2000}"
: "${ADAPTIVE_SEQS:=64}" "${ADAPTIVE_KV_TOKENS:=40960}" "${ADAPTIVE_PROMPTS:=100,2000}" "${ADAPTIVE_OUTPUT:=32-128}"
: "${ADAPTIVE_FACTOR:=3}" "${ADAPTIVE_STATIC:=16 64 256}" "${ADAPTIVE_SECONDS:=15}" "${ADAPTIVE_DRAIN:=8}"
: "${ADAPTIVE_CAPACITY_SECONDS:=10}" "${ADAPTIVE_QUEUE_WAIT:=2s}"
# vgate's options as deployed: the native executable's (quarkus.jib.native-arguments), or the JVM's.
if [ -n "${VGATE_EXE:-}" ]; then
    : "${VGATE_HEAP:=-Xmx96m -Xmn16m}"
fi
: "${VGATE_HEAP:=-XX:+UseSerialGC -Xmx96m -Xmn16m -XX:MetaspaceSize=64m -XX:MaxMetaspaceSize=96m -XX:ReservedCodeCacheSize=128m -XX:ActiveProcessorCount=1 -XX:TrimNativeHeapInterval=2000}"
OUT=${OUT:-$LT_DIR/results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK="$LT_DIR/target/bench-work"
rm -rf "$WORK"
mkdir -p "$WORK"
JAVA="$JAVA_HOME/bin/java"
export VGATE_JAVA_OPTS="$VGATE_HEAP"
export LT_COMMANDS="$OUT/commands.txt"

lt_trap
started=$SECONDS
log() { printf '[bench %4ds] %s\n' $((SECONDS - started)) "$*"; }

# run_logged WORD...: records the command line in commands.txt, then runs it.
run_logged() {
    local shown=() a
    for a in "$@"; do
        [ "$a" = "${CP:-}" ] && a='load-tests/target/bench-work/classes:$(cat load-tests/target/cp.txt)'
        [ "$a" = "${AUTH:-}" ] && a='Bearer $KEY'
        shown+=("$a")
    done
    lt_record "${shown[@]}"
    "$@"
}

# The sections selected this time replace their old results; the others' files stay for the report, and so do
# their command lines (commands.txt starts afresh only when every section runs).
if [ "$SECTIONS" = "$ALL_SECTIONS" ] && [ -z "$SKIP" ]; then : >"$LT_COMMANDS"; fi
for s in startup throughput latency sse sse-responses overload adaptive; do
    if selected "$s"; then rm -f "$OUT/$s.json"; fi
done
if selected startup; then rm -f "$OUT/startup-aot.json"; fi

ensure_jar
check_vgate_exe
if [ -n "${VGATE_EXE:-}" ]; then
    VGATE_UNDER_TEST="$VGATE_EXE ($(du -m "$VGATE_EXE" | cut -f1) MiB, sha256 $(sha256sum "$VGATE_EXE" | cut -c1-12)), options $VGATE_HEAP"
else
    VGATE_UNDER_TEST="$JAVA_HOME/bin/java $VGATE_HEAP -jar target/quarkus-app/quarkus-run.jar"
fi
export VGATE_UNDER_TEST
log "vgate under test: $VGATE_UNDER_TEST"
log "compiling the drivers (load-tests, compile scope)"
ensure_bench_classes compile
# A copy of the compiled drivers: a build in load-tests/target while this runs cannot change them under its feet.
cp -r "$LT_DIR/target/classes" "$WORK/classes"
CP="$WORK/classes:$(cat "$LT_DIR/target/cp.txt")"
JDRIVER=("$JAVA" -Xmx1g -cp "$CP")

# The API key vgate checks, and the environment of every vgate started here.
KEY=$(new_key)
write_keys_file "$WORK/api-keys.yaml" "bench:bench:interactive:$KEY"
AUTH="Bearer $KEY"
# MALLOC_ARENA_MAX as the image and the manifests set it (application.properties, "## JVM settings"). Every load
# generator connects from 127.0.0.1: the per-address limits (requests and open connections) are raised out of the
# way, as the rate limit is, so that they never refuse the benchmark's own streams.
VGATE_ENV=(MALLOC_ARENA_MAX=2 QUARKUS_LOG_CATEGORY__IO_VGATE_ACCESS__LEVEL=INFO
    VGATE_AUTH_KEYS_FILE="$WORK/api-keys.yaml" VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=1000000
    VGATE_RATE_LIMIT_PER_IP_BURST=1000000 VGATE_CONNECTIONS_MAX_PER_ADDRESS=1000000)

{
    echo "# load-tests/bench.sh, sections: $SECTIONS${SKIP:+ (skipped: $SKIP)}; $(date -u +%Y-%m-%dT%H:%M:%SZ);"
    echo "# JAVA_HOME=$JAVA_HOME; vgate under test: $VGATE_UNDER_TEST; the API key is"
    echo "# generated per run (\$KEY below), its SHA-256 is in the keys file."
} >>"$LT_COMMANDS"

# --- the machine ----------------------------------------------------------------------------------------------
machine_json() {
    python3 - "$@" <<'PY'
import json, os, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip() \
            or subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stderr.strip()
    except Exception as e:
        return str(e)
out, load_key = sys.argv[1], sys.argv[2]
m = json.load(open(out)) if os.path.exists(out) else {}
if load_key == "load_before":
    m = {
        "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"),
        "commit": sh("git -C '%s' rev-parse --short HEAD" % os.environ["LT_ROOT"]) + (" (work tree modified)" if sh("git -C '%s' status --porcelain -- src pom.xml load-tests/src/main load-tests/bench.sh load-tests/lib" % os.environ["LT_ROOT"]) else ""),
        "quick": os.environ.get("QUICK") == "1",
        "cpu_model": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "cpus_lscpu": sh("lscpu | sed -n 's/^CPU(s): *//p' | head -1"),
        "threads_per_core": sh("lscpu | sed -n 's/^Thread(s) per core: *//p' | head -1"),
        "nproc": sh("nproc"),
        "memory": sh("free -h | awk '/^Mem:/ {print $2}'"),
        "kernel": sh("uname -r"),
        "java": sh("'%s/bin/java' -version 2>&1" % os.environ["JAVA_HOME"]),
        "nginx": sh("nginx -v 2>&1"),
        "wrk": sh("wrk -v 2>&1 | head -1"),
        "vgate_under_test": os.environ["VGATE_UNDER_TEST"],
        "vgate_native": bool(os.environ.get("VGATE_EXE")),
        "vgate_jvm_options": os.environ["VGATE_HEAP"] + " (vgate under test; the simulator and the drivers run with their own JVM defaults / -Xmx1g)",
        "sections": os.environ["SECTIONS_RUN"],
        "settings": " ".join("%s=%s" % (k, os.environ[k]) for k in sorted(os.environ) if k.split("_")[0] in ("STARTUP", "THROUGHPUT", "LATENCY", "SSE", "OVERLOAD", "ADAPTIVE")),
    }
m[load_key] = sh("cut -d' ' -f1-3 /proc/loadavg")
json.dump(m, open(out, "w"), indent=2)
PY
}
export LT_ROOT QUICK VGATE_HEAP STARTUP_RUNS THROUGHPUT_WARMUP_MIN THROUGHPUT_WARMUP THROUGHPUT_SECONDS THROUGHPUT_CONNECTIONS LATENCY_RATE \
    LATENCY_WARMUP LATENCY_SECONDS LATENCY_ROUNDS SSE_STREAMS SSE_RAMP SSE_ITL SSE_TOKENS SSE_WARMUP SSE_BASE_WARMUP OVERLOAD_SEQS \
    OVERLOAD_TOKENS OVERLOAD_FACTOR OVERLOAD_SECONDS OVERLOAD_CAPACITY_SECONDS OVERLOAD_SLO_MS ADAPTIVE_SEQS ADAPTIVE_KV_TOKENS \
    ADAPTIVE_PROMPTS ADAPTIVE_OUTPUT ADAPTIVE_FACTOR ADAPTIVE_STATIC ADAPTIVE_SECONDS ADAPTIVE_DRAIN ADAPTIVE_CAPACITY_SECONDS \
    ADAPTIVE_QUEUE_WAIT
SECTIONS_RUN=$(for s in $ALL_SECTIONS; do if selected "$s"; then printf '%s ' "$s"; fi; done)
export SECTIONS_RUN
machine_json "$OUT/machine.json" load_before

# --- the shared upstream: one simulator, every latency zero (SseFanout sets its own pace while it runs) -------
SIM_PORT=$(free_port)
start_simulator "$SIM_PORT" "$WORK/simulator.log"
wait_http "http://127.0.0.1:$SIM_PORT/health" 60 "$SIM_PID" "$WORK/simulator.log"
SIM="http://127.0.0.1:$SIM_PORT"
log "simulator on $SIM"

# --- startup ----------------------------------------------------------------------------------------------------
# startup_runs NAME OPTIONS: STARTUP_RUNS fresh vgate processes (the jar, or VGATE_EXE) with those options; DIR/NAME.json.
startup_runs() {
    local name=$1 opts=$2 port management
    port=$(free_port)
    management=$(free_port)
    # shellcheck disable=SC2086 # a list of options
    vgate_command $opts
    # Quarkus's own "started in" line is logged at INFO by io.quarkus; everything else stays at WARN.
    run_logged "${JDRIVER[@]}" io.vgate.bench.StartupTime --cmd "${VGATE_CMD[*]}" \
        --env "VGATE_UPSTREAM_URL=$SIM" --env QUARKUS_HTTP_HOST=127.0.0.1 --env "QUARKUS_HTTP_PORT=$port" \
        --env QUARKUS_MANAGEMENT_HOST=127.0.0.1 --env "QUARKUS_MANAGEMENT_PORT=$management" \
        --env QUARKUS_LOG_LEVEL=WARN --env QUARKUS_LOG_CATEGORY__IO_QUARKUS__LEVEL=INFO \
        --env "VGATE_AUTH_KEYS_FILE=$WORK/api-keys.yaml" --env VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=1000000 \
        --env VGATE_RATE_LIMIT_PER_IP_BURST=1000000 --env MALLOC_ARENA_MAX=2 \
        --ready "http://127.0.0.1:$management/q/health/ready" --request "http://127.0.0.1:$port/v1/chat/completions" \
        --auth "$AUTH" --warm "$SIM/health" --runs "$STARTUP_RUNS" --log "$WORK/$name-vgate.log" \
        --out "$OUT/$name.json"
}

if selected startup; then
    log "startup: $STARTUP_RUNS fresh vgate processes, $([ -n "${VGATE_EXE:-}" ] && echo "native executable" || echo "plain JVM") ($VGATE_HEAP)"
    startup_runs startup "$VGATE_HEAP"
    # The same with a JDK 25 AOT cache (JEP 483/514: classes loaded and linked ahead of time, method profiles), made by
    # one training run: some requests of each kind, then SIGTERM; the JVM writes the cache as it exits. The cache can
    # only hold classes that the JDK's own class loaders load, so these runs use Quarkus's aot-jar layout of the same
    # sources (quarkus-run.jar names every jar in its Class-Path), packaged into target/aot-jar: with the default
    # fast-jar, whose class loader is Quarkus's own, the cache holds the JDK's classes and none of the application's.
    if [ -z "${VGATE_EXE:-}" ] && [ "$(_vgate_java_major "$JAVA_HOME")" -ge 25 ]; then
        log "startup: packaging the aot-jar layout (target/aot-jar)"
        (cd "$LT_ROOT" && ./mvnw -B -q -ntp package -DskipTests -Dquarkus.package.jar.type=aot-jar \
            -Dquarkus.package.output-directory=aot-jar) >"$WORK/aot-jar-build.log" 2>&1 \
            || { tail -n 40 "$WORK/aot-jar-build.log" >&2; exit 1; }
        echo "# the aot-jar layout: ./mvnw -B -q -ntp package -DskipTests -Dquarkus.package.jar.type=aot-jar" \
            "-Dquarkus.package.output-directory=aot-jar (the runs below use target/aot-jar/quarkus-run.jar)" >>"$LT_COMMANDS"
        FAST_JAR=$JAR
        JAR="$LT_ROOT/target/aot-jar/quarkus-run.jar"
        log "startup: training run for an AOT cache"
        port=$(free_port)
        VGATE_JAVA_OPTS="$VGATE_HEAP -XX:AOTCacheOutput=$WORK/vgate.aot" \
            start_vgate "$port" "$SIM_PORT" "$WORK/vgate-aot-training.log" "${VGATE_ENV[@]}"
        wait_http "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready" 60 "$VGATE_PID" "$WORK/vgate-aot-training.log"
        BENCH_AUTHORIZATION="$AUTH" run_logged wrk -t1 -c8 -d5s -s "$LT_DIR/relay/post.lua" \
            "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
        for _ in 1 2 3 4 5; do
            curl -fsS -o /dev/null -H "Authorization: $AUTH" -H 'Content-Type: application/json' \
                -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":16,"stream":true}' \
                "http://127.0.0.1:$port/v1/chat/completions"
        done
        kill "$VGATE_PID"
        wait "$VGATE_PID" || true # no time limit: writing the cache takes seconds
        if [ -s "$WORK/vgate.aot" ]; then
            log "startup: $STARTUP_RUNS fresh vgate processes with the AOT cache"
            startup_runs startup-aot "$VGATE_HEAP -XX:AOTCache=$WORK/vgate.aot"
        else
            log "startup: no AOT cache was written (see $WORK/vgate-aot-training.log)"
        fi
        JAR=$FAST_JAR
    fi
fi

# --- throughput and fixed-rate latency: vgate and nginx in front of the simulator --------------------------------
if selected throughput || selected latency; then
    GW_PORT=$(free_port)
    NGINX_PORT=$(free_port)
    start_vgate "$GW_PORT" "$SIM_PORT" "$WORK/vgate-relay.log" "${VGATE_ENV[@]}"
    GW_PID=$VGATE_PID
    start_nginx "$NGINX_PORT" "$SIM_PORT" "$WORK/nginx-relay"
    RELAY_NGINX_PID=$NGINX_PID
    wait_http "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready" 60 "$GW_PID" "$WORK/vgate-relay.log"
    wait_http "http://127.0.0.1:$NGINX_PORT/health" 30 "$RELAY_NGINX_PID" "$WORK/nginx-relay/logs/error.log"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $AUTH" -H 'Content-Type: application/json' \
        -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}' "http://127.0.0.1:$GW_PORT/v1/chat/completions")
    [ "$code" = 200 ] || { echo "vgate answered $code to an authenticated request" >&2; exit 1; }
    code=$(curl -s -o /dev/null -w '%{http_code}' -d '{"messages":[{"role":"user","content":"hi"}],"max_tokens":4}' \
        -H 'Content-Type: application/json' "http://127.0.0.1:$GW_PORT/v1/chat/completions")
    [ "$code" = 401 ] || { echo "vgate answered $code to a request without a key: is auth on?" >&2; exit 1; }
    log "vgate on :$GW_PORT (auth on: 401 without the key, 200 with it), nginx on :$NGINX_PORT"
    declare -A URL=([direct]="$SIM/v1/chat/completions" [vgate]="http://127.0.0.1:$GW_PORT/v1/chat/completions"
        [nginx]="http://127.0.0.1:$NGINX_PORT/v1/chat/completions")
fi

# wrk_warm NAME: wrk against the target in 5 s slices until its throughput is stable (two slices within 5 %) and at
# least THROUGHPUT_WARMUP_MIN s have passed, or THROUGHPUT_WARMUP s at most: the JIT of a freshly started JVM on two
# busy cores needs anything from 20 to 60 s, and a fixed warm-up either wastes time or measures a cold gateway.
wrk_warm() {
    local t=$1 begin=$SECONDS prev=0 rps stable=0
    while :; do
        rps=$(wrk -t1 -c"$THROUGHPUT_CONNECTIONS" -d5s -s "$LT_DIR/relay/post.lua" "${URL[$t]}" \
            | sed -n 's/^RESULT rps=\([0-9]*\).*/\1/p')
        if [ "$prev" -gt 0 ] && [ $((rps * 100)) -ge $((prev * 95)) ] && [ $((rps * 100)) -le $((prev * 105)) ]; then
            stable=1
        else
            stable=0
        fi
        prev=${rps:-0}
        if { [ $stable = 1 ] && [ $((SECONDS - begin)) -ge "$THROUGHPUT_WARMUP_MIN" ]; } \
            || [ $((SECONDS - begin)) -ge "$THROUGHPUT_WARMUP" ]; then
            break
        fi
    done
    WARMED[$t]="$((SECONDS - begin)) s (last 5 s: $rps req/s$([ $stable = 1 ] || echo ', not yet stable'))"
    log "warm-up $t: ${WARMED[$t]}"
}

if selected throughput || selected latency; then
    export BENCH_AUTHORIZATION="$AUTH"
    echo "# wrk: post.lua sends Authorization: \$BENCH_AUTHORIZATION (Bearer \$KEY) to every target" >>"$LT_COMMANDS"
    echo "# warm-up of each target: wrk -t1 -c$THROUGHPUT_CONNECTIONS -d5s -s load-tests/relay/post.lua URL, repeated" \
        "until two slices agree within 5 % (at least ${THROUGHPUT_WARMUP_MIN} s, at most ${THROUGHPUT_WARMUP} s)" >>"$LT_COMMANDS"
    # Every target is warmed up before any is measured: the simulator's JIT is warmed by all three.
    declare -A WARMED
    for t in direct vgate nginx; do
        wrk_warm "$t"
    done
fi

if selected throughput; then
    parts=()
    declare -A GATEWAY_PID=([vgate]="$GW_PID" [nginx]="$RELAY_NGINX_PID")
    for t in direct vgate nginx; do
        before=$([ -n "${GATEWAY_PID[$t]:-}" ] && cpu_ticks "${GATEWAY_PID[$t]}" || echo 0)
        line=$(run_logged wrk -t1 -c"$THROUGHPUT_CONNECTIONS" -d"${THROUGHPUT_SECONDS}s" --latency \
            -s "$LT_DIR/relay/post.lua" "${URL[$t]}" | tee "$WORK/wrk-$t.txt" | sed -n 's/^RESULT_JSON //p')
        [ -n "$line" ] || { echo "wrk printed no result for $t:" >&2; cat "$WORK/wrk-$t.txt" >&2; exit 1; }
        log "throughput $t, ${THROUGHPUT_SECONDS}s: $(grep '^RESULT ' "$WORK/wrk-$t.txt")"
        if [ -n "${GATEWAY_PID[$t]:-}" ]; then
            # The gateway's CPU time (its process and children: nginx's workers) per request answered.
            ticks=$(($(cpu_ticks "${GATEWAY_PID[$t]}") - before))
            line=$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); t=int(sys.argv[2]);
j["cpu_s"]=t/100; j["cpu_us_per_request"]=round(t*1e4/max(1,j["requests"]),1); print(json.dumps(j))' "$line" "$ticks")
        fi
        parts+=("\"$t\": $line")
    done
    joined=$(IFS=,; echo "${parts[*]}")
    python3 - "$OUT/throughput.json" <<PY
import json, sys
targets = json.loads('{' + '''$joined''' + '}')
json.dump({"tool": "wrk", "threads": 1, "connections": $THROUGHPUT_CONNECTIONS, "duration_s": $THROUGHPUT_SECONDS,
           "warmup": {"direct": "${WARMED[direct]}", "vgate": "${WARMED[vgate]}", "nginx": "${WARMED[nginx]}"},
           "vgate_rss_mib": $(rss_mb "$GW_PID"), "targets": targets},
          open(sys.argv[1], "w"), indent=2)
PY
fi

if selected latency; then
    log "latency: ${LATENCY_RATE} req/s, ${LATENCY_SECONDS}s per target in ${LATENCY_ROUNDS} slices"
    run_logged "${JDRIVER[@]}" io.vgate.bench.FixedRateLatency --rate "$LATENCY_RATE" --duration "${LATENCY_SECONDS}s" \
        --rounds "$LATENCY_ROUNDS" --warmup "${LATENCY_WARMUP}s" --auth "$AUTH" \
        --target "direct=${URL[direct]}" --target "vgate=${URL[vgate]}" --target "nginx=${URL[nginx]}" \
        --out "$OUT/latency.json"
fi

if selected throughput || selected latency; then
    stop_pid "$GW_PID"
    stop_pid "$RELAY_NGINX_PID"
fi

# --- SSE streams: simulator -> tap -> (client | vgate | nginx) -> client --------------------------------------
# sse_run NAME DIALECT PATH: SseFanout with SSE_STREAMS streams of DIALECT (chat, responses) per target against PATH,
# behind a fresh vgate and nginx whose upstream is the tap; DIR/NAME.json.
sse_run() {
    local name=$1 dialect=$2 path=$3
    TAP_PORT=$(free_port)
    GW_PORT=$(free_port)
    NGINX_PORT=$(free_port)
    # Room for every stream at once: vgate's admission must not queue them (a static max-in-flight), the
    # simulator's max-num-seqs is raised by SseFanout.
    start_vgate "$GW_PORT" "$TAP_PORT" "$WORK/vgate-$name.log" "${VGATE_ENV[@]}" VGATE_SHAPING_ADAPTIVE_ENABLED=false \
        VGATE_SHAPING_MAX_IN_FLIGHT=$((SSE_STREAMS * 2)) VGATE_SHAPING_MAX_QUEUE=$((SSE_STREAMS * 2))
    echo "$VGATE_PID" >"$WORK/vgate-$name.pid"
    start_nginx "$NGINX_PORT" "$TAP_PORT" "$WORK/nginx-$name"
    log "$name: $SSE_STREAMS $dialect streams per target over $SSE_RAMP, an event every $SSE_ITL, $SSE_TOKENS tokens"
    # The gateways' upstream is the tap, which SseFanout opens; each target is waited for before its run.
    run_logged "${JDRIVER[@]}" io.vgate.bench.SseFanout --dialect "$dialect" --tap-port "$TAP_PORT" \
        --upstream "127.0.0.1:$SIM_PORT" --sim "$SIM" --streams "$SSE_STREAMS" --ramp "$SSE_RAMP" --itl "$SSE_ITL" \
        --tokens "$SSE_TOKENS" --auth "$AUTH" \
        --target "direct=http://127.0.0.1:$TAP_PORT$path,warmup=$SSE_BASE_WARMUP" \
        --target "vgate=http://127.0.0.1:$GW_PORT$path,pidfile=$WORK/vgate-$name.pid,ready=http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready,warmup=$SSE_WARMUP" \
        --target "nginx=http://127.0.0.1:$NGINX_PORT$path,pidfile=$WORK/nginx-$name/nginx.pid,warmup=$SSE_BASE_WARMUP" \
        --out "$OUT/$name.json"
    stop_pid "$VGATE_PID"
    stop_pid "$NGINX_PID"
}

if selected sse; then
    sse_run sse chat /v1/chat/completions
fi
# The Responses API: named events and no [DONE]; vgate relays them one event per chunk and knows the stream is
# complete at response.completed. The tap names streams by connection, so both dialects are measured alike.
if selected sse-responses; then
    sse_run sse-responses responses /v1/responses
fi
# A full GPU's token stream: more events than one core relays, so the figures are what each gateway delivers.
if selected sse-max; then
    (
        # Steady state is what a sidecar pays all day: 20 s of warm-up left the JIT compiling through the
        # measured run, about 5 of vgate's 30 µs per event; after 60 s it is under 2.
        SSE_STREAMS=$SSE_MAX_STREAMS SSE_ITL=$SSE_MAX_ITL SSE_TOKENS=$SSE_MAX_TOKENS SSE_WARMUP=$SSE_MAX_WARMUP
        sse_run sse-max chat /v1/chat/completions
    )
fi

# --- overload goodput: a simulated GPU of OVERLOAD_SEQS slots with realistic latencies -------------------------
if selected overload; then
    stop_pid "$SIM_PID" # the zero-latency simulator is not needed any more
    OSIM_PORT=$(free_port)
    start_simulator "$OSIM_PORT" "$WORK/simulator-overload.log" VGATE_SIMULATOR_MAX_NUM_SEQS="$OVERLOAD_SEQS" \
        VGATE_SIMULATOR_TIME_TO_FIRST_TOKEN=25ms VGATE_SIMULATOR_INTER_TOKEN_LATENCY=12ms \
        VGATE_SIMULATOR_PREFILL_TIME_PER_TOKEN=0s
    wait_http "http://127.0.0.1:$OSIM_PORT/health" 60 "$SIM_PID" "$WORK/simulator-overload.log"
    OSIM="http://127.0.0.1:$OSIM_PORT"
    OB=("$JAVA" "$LT_DIR/shaping/OverloadBench.java")
    sim_idle() { # the previous run's requests are all finished
        local deadline=$((SECONDS + 300))
        until curl -fsS "$OSIM/load" | grep -q '"server_load":0'; do
            [ $SECONDS -lt $deadline ] || { echo "simulator still busy after 300 s" >&2; return 1; }
            sleep 0.2
        done
    }
    log "overload: capacity (${OVERLOAD_SEQS} concurrent, ${OVERLOAD_CAPACITY_SECONDS}s)"
    run_logged "${OB[@]}" --url "$OSIM" --mode closed --concurrency "$OVERLOAD_SEQS" --duration "$OVERLOAD_CAPACITY_SECONDS" \
        --tokens "$OVERLOAD_TOKENS" --warmup 3 --slo-ttft-ms "$OVERLOAD_SLO_MS" --label capacity \
        --out "$WORK/overload-capacity.json" >/dev/null
    capacity=$(python3 -c "import json; print(json.load(open('$WORK/overload-capacity.json'))['completed_per_s'])")
    rate=$(python3 -c "print(round($capacity * $OVERLOAD_FACTOR, 2))")
    log "  capacity $capacity req/s; offering $rate req/s for ${OVERLOAD_SECONDS}s"
    sim_idle
    run_logged "${OB[@]}" --url "$OSIM" --mode open --rate "$rate" --duration "$OVERLOAD_SECONDS" --tokens "$OVERLOAD_TOKENS" \
        --warmup 3 --slo-ttft-ms "$OVERLOAD_SLO_MS" --label direct --out "$WORK/overload-direct.json" >/dev/null
    for q in 0 "$OVERLOAD_SEQS"; do
        sim_idle
        port=$(free_port)
        start_vgate "$port" "$OSIM_PORT" "$WORK/vgate-overload-$q.log" "${VGATE_ENV[@]}" \
            VGATE_SHAPING_ADAPTIVE_ENABLED=false VGATE_SHAPING_MAX_IN_FLIGHT="$OVERLOAD_SEQS" VGATE_SHAPING_MAX_QUEUE="$q" \
            VGATE_SHAPING_MAX_QUEUE_WAIT=2s
        wait_http "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready" 60 "$VGATE_PID" "$WORK/vgate-overload-$q.log"
        run_logged "${OB[@]}" --url "http://127.0.0.1:$port" --auth "$AUTH" --mode open --rate "$rate" \
            --duration "$OVERLOAD_SECONDS" --tokens "$OVERLOAD_TOKENS" --warmup 5 --slo-ttft-ms "$OVERLOAD_SLO_MS" \
            --label "vgate-queue-$q" --out "$WORK/overload-vgate-queue-$q.json" >/dev/null
        stop_pid "$VGATE_PID"
    done
    python3 - "$OUT/overload.json" "$WORK" <<PY
import json, sys
w = sys.argv[2]
load = lambda n: json.load(open("%s/overload-%s.json" % (w, n)))
runs = {"direct": load("direct")}
runs["vgate, queue 0"] = load("vgate-queue-0")
runs["vgate, queue $OVERLOAD_SEQS / 2s"] = load("vgate-queue-$OVERLOAD_SEQS")
json.dump({"seqs": $OVERLOAD_SEQS, "tokens": $OVERLOAD_TOKENS, "overload": $OVERLOAD_FACTOR, "rate": $rate,
           "duration_s": $OVERLOAD_SECONDS, "max_queue": "0 / $OVERLOAD_SEQS", "max_queue_wait": "2s",
           "slo_ttft_ms": $OVERLOAD_SLO_MS, "capacity": load("capacity"), "runs": runs}, open(sys.argv[1], "w"), indent=2)
PY
    for f in "$WORK"/overload-*.json; do log "  $(basename "$f"): $(cut -c1-220 "$f")"; done
fi

# --- the adaptive in-flight limit against static ones: a GPU whose capacity is not a setting -------------------
if selected adaptive; then
    stop_pid "$SIM_PID" # the previous section's simulator
    ASIM_PORT=$(free_port)
    # Latencies as in the overload section, plus prefill time per prompt token (the simulator's default), a context
    # long enough that vgate never needs to count tokens, and a KV cache that holds about 20 long sequences.
    start_simulator "$ASIM_PORT" "$WORK/simulator-adaptive.log" VGATE_SIMULATOR_MAX_NUM_SEQS="$ADAPTIVE_SEQS" \
        VGATE_SIMULATOR_KV_CACHE_TOKENS="$ADAPTIVE_KV_TOKENS" VGATE_SIMULATOR_MAX_MODEL_LEN=32768 \
        VGATE_SIMULATOR_TIME_TO_FIRST_TOKEN=25ms VGATE_SIMULATOR_INTER_TOKEN_LATENCY=12ms \
        VGATE_SIMULATOR_PREFILL_TIME_PER_TOKEN=PT0.0001S
    wait_http "http://127.0.0.1:$ASIM_PORT/health" 60 "$SIM_PID" "$WORK/simulator-adaptive.log"
    ASIM="http://127.0.0.1:$ASIM_PORT"
    AB=("$JAVA" "$LT_DIR/shaping/OverloadBench.java")
    MIX=(--prompt-tokens "$ADAPTIVE_PROMPTS" --output-tokens "$ADAPTIVE_OUTPUT" --slo-ttft-ms "$OVERLOAD_SLO_MS"
        --sim "$ASIM" --max-num-seqs "$ADAPTIVE_SEQS")
    asim_idle() { # the previous run's requests are all finished (or were cut), and the GPU back at full speed
        local deadline=$((SECONDS + 120))
        until curl -fsS "$ASIM/load" | grep -q '"server_load":0'; do
            [ $SECONDS -lt $deadline ] || { echo "simulator still busy after 120 s" >&2; return 1; }
            sleep 0.2
        done
        curl -fsS -X POST -H 'Content-Type: application/json' -d '{"gpu-speed":1.0}' "$ASIM/sim/settings" >/dev/null
    }
    log "adaptive: capacity (${ADAPTIVE_SEQS} concurrent, mixed lengths, ${ADAPTIVE_CAPACITY_SECONDS}s)"
    run_logged "${AB[@]}" --url "$ASIM" --mode closed --concurrency "$ADAPTIVE_SEQS" \
        --duration "$ADAPTIVE_CAPACITY_SECONDS" --warmup 2 "${MIX[@]}" --label capacity \
        --out "$WORK/adaptive-capacity.json" >/dev/null
    acapacity=$(python3 -c "import json; print(json.load(open('$WORK/adaptive-capacity.json'))['completed_per_s'])")
    arate=$(python3 -c "print(round($acapacity * $ADAPTIVE_FACTOR, 2))")
    half=$(python3 -c "print($ADAPTIVE_SECONDS / 2)")
    log "  capacity $acapacity req/s; offering $arate req/s for ${ADAPTIVE_SECONDS}s per run"
    # adaptive_runs NAME URL [--auth ... --gateway-metrics ...]: the steady run, then the one whose GPU slows down.
    adaptive_runs() {
        local name=$1 url=$2
        shift 2
        asim_idle
        run_logged "${AB[@]}" --url "$url" "$@" --mode open --rate "$arate" --duration "$ADAPTIVE_SECONDS" \
            --drain "$ADAPTIVE_DRAIN" --warmup 2 "${MIX[@]}" --label "$name" \
            --out "$WORK/adaptive-steady-$name.json" >/dev/null
        asim_idle
        run_logged "${AB[@]}" --url "$url" "$@" --mode open --rate "$arate" --duration "$ADAPTIVE_SECONDS" \
            --drain "$ADAPTIVE_DRAIN" --warmup 1 "${MIX[@]}" --slow-at "$half" --slow-speed 0.5 --label "$name" \
            --out "$WORK/adaptive-slowdown-$name.json" >/dev/null
        log "  $name: steady $(cut -c1-160 "$WORK/adaptive-steady-$name.json")"
    }
    adaptive_runs direct "$ASIM"
    ATARGETS="direct"
    for n in $ADAPTIVE_STATIC adaptive; do
        port=$(free_port)
        if [ "$n" = adaptive ]; then
            limit=(VGATE_SHAPING_ADAPTIVE_ENABLED=true)
        else
            limit=(VGATE_SHAPING_ADAPTIVE_ENABLED=false VGATE_SHAPING_MAX_IN_FLIGHT="$n")
        fi
        start_vgate "$port" "$ASIM_PORT" "$WORK/vgate-adaptive-$n.log" "${VGATE_ENV[@]}" "${limit[@]}" \
            VGATE_SHAPING_MAX_QUEUE_WAIT="$ADAPTIVE_QUEUE_WAIT"
        wait_http "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready" 120 "$VGATE_PID" "$WORK/vgate-adaptive-$n.log"
        name=$([ "$n" = adaptive ] && echo adaptive || echo "static-$n")
        adaptive_runs "$name" "http://127.0.0.1:$port" --auth "$AUTH" \
            --gateway-metrics "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/metrics"
        ATARGETS="$ATARGETS $name"
        stop_pid "$VGATE_PID"
    done
    python3 - "$OUT/adaptive.json" "$WORK" $ATARGETS <<PY
import json, sys
w, targets = sys.argv[2], sys.argv[3:]
load = lambda n: json.load(open("%s/adaptive-%s.json" % (w, n)))
json.dump({"seqs": $ADAPTIVE_SEQS, "kv_cache_tokens": $ADAPTIVE_KV_TOKENS, "prompts": "$ADAPTIVE_PROMPTS",
           "output": "$ADAPTIVE_OUTPUT", "overload": $ADAPTIVE_FACTOR, "rate": $arate, "duration_s": $ADAPTIVE_SECONDS,
           "drain_s": $ADAPTIVE_DRAIN, "slow_at_s": $half, "max_queue_wait": "$ADAPTIVE_QUEUE_WAIT",
           "slo_ttft_ms": $OVERLOAD_SLO_MS, "quick": "$QUICK" == "1",
           "command": "load-tests/bench.sh --only adaptive,report" + (" (BENCH_QUICK=1)" if "$QUICK" == "1" else ""),
           "capacity": load("capacity"),
           "runs": {phase: {t: load("%s-%s" % (phase, t)) for t in targets} for phase in ("steady", "slowdown")}},
          open(sys.argv[1], "w"), indent=2)
PY
fi

lt_cleanup
machine_json "$OUT/machine.json" load_after

if selected report; then
    log "report"
    "$JAVA" -Djava.awt.headless=true -cp "$CP" io.vgate.bench.report.Report "$OUT"
fi
log "done in $((SECONDS - started)) s; results in $OUT"
