#!/usr/bin/env bash
# Runs one Gatling scenario (load-tests/src/test/java/io/vgate/load/<Scenario>.java).
#
#   load-tests/run.sh <Scenario> [-Dname=value ...]
#
# Local (default): starts the vLLM simulator and vgate from target/quarkus-app/quarkus-run.jar as two processes on
# free loopback ports, configured as the scenario needs (table below), runs the scenario against them, stops both.
# Logs and the generated API keys stay in load-tests/target/run-<Scenario>/; Gatling's HTML report in
# load-tests/target/gatling/.
#
# Against a deployment: set VGATE_URL (and VGATE_API_KEY, or for MixedTenants TENANTS_KEYS) and nothing is started:
#   VGATE_URL=https://vgate.example.com VGATE_API_KEY=sk-... load-tests/run.sh SteadyStreamingChat -Dchat.users=50
#
# Local stack per scenario (simulator latencies are its defaults unless said: 25 ms to first token, 12 ms per token):
#   SteadyStreamingChat  vgate defaults; per-address limit raised to 100000/s (all users share one address here)
#   RateLimitBurst       vgate defaults (10 req/s, burst 20 per address); 127.0.0.1/32 trusted as a proxy so the
#                        scenario's X-Forwarded-For addresses count as distinct clients
#   Overload             simulator max-num-seqs 16; vgate max-in-flight 16, max-queue 16, max-queue-wait 2s
#   MixedTenants         simulator max-num-seqs 8; vgate max-in-flight 8, max-queue 32, max-queue-wait 5s; four API
#                        keys (team-a, team-b, flood: interactive; nightly: batch)
#   Soak                 as SteadyStreamingChat, vgate with VGATE_JAVA_OPTS (default -Xmx256m); vgate's pid is passed
#                        so the scenario samples its RSS
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

if [ $# -lt 1 ] || [[ $1 == -* ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi
SCENARIO=$1
shift
if [ ! -f "$LT_DIR/src/test/java/io/vgate/load/$SCENARIO.java" ]; then
    echo "no scenario $SCENARIO; see load-tests/README.md" >&2
    exit 2
fi

gatling() {
    (cd "$LT_ROOT" && ./mvnw -B -ntp -f load-tests/pom.xml gatling:test \
        -Dgatling.simulationClass="io.vgate.load.$SCENARIO" "$@")
}

if [ -n "${VGATE_URL:-}" ]; then
    echo "running $SCENARIO against $VGATE_URL (nothing started locally)"
    gatling "$@"
    exit $?
fi

lt_trap
ensure_jar
WORK="$LT_DIR/target/run-$SCENARIO"
rm -rf "$WORK"
mkdir -p "$WORK"
SIM_PORT=$(free_port)
GW_PORT=$(free_port)
KEY=$(new_key)
# The simulator's own latency defaults (start_simulator zeroes them for throughput runs).
sim_env=(VGATE_SIMULATOR_TIME_TO_FIRST_TOKEN=25ms VGATE_SIMULATOR_INTER_TOKEN_LATENCY=12ms
    VGATE_SIMULATOR_PREFILL_TIME_PER_TOKEN=PT0.0001S)
gw_env=(VGATE_AUTH_KEYS_FILE="$WORK/api-keys.yaml")
keys=("load:load:interactive:$KEY")
extra=(-Dvgate.apiKey="$KEY")

case $SCENARIO in
    SteadyStreamingChat)
        gw_env+=(VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=100000 VGATE_RATE_LIMIT_PER_IP_BURST=100000)
        ;;
    RateLimitBurst)
        gw_env+=(VGATE_RATE_LIMIT_TRUSTED_PROXIES=127.0.0.1/32)
        ;;
    Overload)
        sim_env+=(VGATE_SIMULATOR_MAX_NUM_SEQS=16)
        gw_env+=(VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=100000 VGATE_RATE_LIMIT_PER_IP_BURST=100000
            VGATE_SHAPING_ADAPTIVE_ENABLED=false VGATE_SHAPING_MAX_IN_FLIGHT=16 VGATE_SHAPING_MAX_QUEUE=16 VGATE_SHAPING_MAX_QUEUE_WAIT=2s)
        extra+=(-Doverload.concurrency=16)
        ;;
    MixedTenants)
        sim_env+=(VGATE_SIMULATOR_MAX_NUM_SEQS=8)
        gw_env+=(VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=100000 VGATE_RATE_LIMIT_PER_IP_BURST=100000
            VGATE_SHAPING_ADAPTIVE_ENABLED=false VGATE_SHAPING_MAX_IN_FLIGHT=8 VGATE_SHAPING_MAX_QUEUE=32 VGATE_SHAPING_MAX_QUEUE_WAIT=5s)
        tenant_keys=()
        for t in team-a:interactive team-b:interactive flood:interactive nightly:batch; do
            k=$(new_key)
            keys+=("${t%%:*}:${t%%:*}:${t##*:}:$k")
            tenant_keys+=("${t%%:*}=$k")
        done
        extra+=(-Dtenants.keys="$(IFS=,; echo "${tenant_keys[*]}")")
        ;;
    Soak)
        gw_env+=(VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=100000 VGATE_RATE_LIMIT_PER_IP_BURST=100000)
        # A bounded heap, as in a pod: unbounded, the JVM grows its heap (and RSS) for minutes without any leak.
        export VGATE_JAVA_OPTS="${VGATE_JAVA_OPTS:--Xmx256m}"
        ;;
esac
write_keys_file "$WORK/api-keys.yaml" "${keys[@]}"

start_simulator "$SIM_PORT" "$WORK/simulator.log" "${sim_env[@]}"
wait_http "http://127.0.0.1:$SIM_PORT/health" 120 "$SIM_PID" "$WORK/simulator.log"
start_vgate "$GW_PORT" "$SIM_PORT" "$WORK/vgate.log" "${gw_env[@]}"
wait_http "http://127.0.0.1:$VGATE_MANAGEMENT_PORT/q/health/ready" 120 "$VGATE_PID" "$WORK/vgate.log"
echo "simulator on 127.0.0.1:$SIM_PORT, vgate on 127.0.0.1:$GW_PORT (pid $VGATE_PID); logs in $WORK"
gatling -Dvgate.url="http://127.0.0.1:$GW_PORT" -Dvgate.pid="$VGATE_PID" "${extra[@]}" "$@"
