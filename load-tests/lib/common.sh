# Shared helpers for the load-test scripts (sourced). Everything binds to 127.0.0.1 on free ports, and every process
# started here is recorded in LT_PIDS so that lt_cleanup (installed by lt_trap) stops it, on success, error or Ctrl-C.

LT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LT_DIR="$LT_ROOT/load-tests"
source "$LT_ROOT/.ci/jdk.sh"
JAR="$LT_ROOT/target/quarkus-app/quarkus-run.jar"
LT_PIDS=()

# Prints a free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Builds the runnable jar when it is missing.
ensure_jar() {
    if [ ! -f "$JAR" ]; then
        (cd "$LT_ROOT" && ./mvnw -B -q -ntp package -DskipTests)
    fi
}

# ensure_bench_classes [PHASE]: compiles the load-test project (default test-compile: drivers, report, scenarios;
# `compile` leaves the Gatling scenarios out) and writes its class path to $LT_DIR/target/cp.txt. Sets BENCH_CP.
ensure_bench_classes() {
    mkdir -p "$LT_DIR/target"
    if ! (cd "$LT_ROOT" && ./mvnw -B -q -ntp -f load-tests/pom.xml "${1:-test-compile}" dependency:build-classpath \
        -Dmdep.outputFile=target/cp.txt >"$LT_DIR/target/compile.log" 2>&1); then
        echo "compiling load-tests failed:" >&2
        tail -n 40 "$LT_DIR/target/compile.log" >&2
        return 1
    fi
    BENCH_CP="$LT_DIR/target/classes:$(cat "$LT_DIR/target/cp.txt")"
}

# wait_http URL [seconds] [PID LOG]: polls until URL answers 2xx; fails after the deadline, or at once (showing the
# end of LOG) when process PID has exited.
wait_http() {
    local url=$1 deadline=$((SECONDS + ${2:-60})) pid=${3:-} log=${4:-}
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            echo "process $pid exited before $url answered${log:+; end of $log:}" >&2
            [ -n "$log" ] && tail -n 20 "$log" >&2
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "timed out waiting for $url" >&2
            return 1
        fi
        sleep 0.1
    done
}

# lt_record WORD...: when LT_COMMANDS names a file, appends the command line (shell-quoted) to it, so that a report
# can show exactly what was run.
lt_record() {
    if [ -n "${LT_COMMANDS:-}" ]; then
        local q
        printf -v q '%q ' "$@"
        printf '%s\n' "${q% }" >>"$LT_COMMANDS"
    fi
}

# lt_track PID: stop this process in lt_cleanup.
lt_track() {
    LT_PIDS+=("$1")
}

# stop_pid PID: SIGTERM, then SIGKILL if it is still there after 10 s.
stop_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        # (wait reports the process's status, e.g. 143 after SIGTERM: not a failure here, even under set -e)
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Stops every tracked process, newest first.
lt_cleanup() {
    local i
    for ((i = ${#LT_PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${LT_PIDS[$i]}"
    done
    LT_PIDS=()
}

# Installs lt_cleanup for normal exit, errors and Ctrl-C (INT/TERM exit with the usual status).
lt_trap() {
    trap lt_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# start_simulator PORT LOG [VAR=value...]: a separate JVM playing vLLM on PORT, zero latencies unless overridden.
# Sets SIM_PID.
start_simulator() {
    local port=$1 log=$2
    shift 2
    local cmd=(env VGATE_SIMULATOR_ENABLED=true VGATE_SIMULATOR_HOST=127.0.0.1 VGATE_SIMULATOR_PORT="$port"
        VGATE_AUTH_ENABLED=false VGATE_RATE_LIMIT_ENABLED=false
        VGATE_SIMULATOR_TIME_TO_FIRST_TOKEN=0s VGATE_SIMULATOR_INTER_TOKEN_LATENCY=0s
        VGATE_SIMULATOR_PREFILL_TIME_PER_TOKEN=0s
        QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$(free_port)" QUARKUS_LOG_LEVEL=WARN
        QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$(free_port)"
        "$@" "$JAVA_HOME/bin/java" ${SIM_JAVA_OPTS:-} -jar "$JAR")
    lt_record "${cmd[@]}"
    "${cmd[@]}" >"$log" 2>&1 &
    SIM_PID=$!
    lt_track "$SIM_PID"
}

# vgate_command [OPTION...]: sets VGATE_CMD to the command that runs the vgate under test with those options: the
# native executable VGATE_EXE when it is set (target/*-runner of `./mvnw package -Pnative`; a native executable takes
# -Xmx and the like as its own options), else the JVM jar. The simulator is always the JVM jar.
vgate_command() {
    if [ -n "${VGATE_EXE:-}" ]; then
        VGATE_CMD=("$VGATE_EXE" "$@")
    else
        VGATE_CMD=("$JAVA_HOME/bin/java" "$@" -jar "$JAR")
    fi
}

# check_vgate_exe: when VGATE_EXE is set, makes it an absolute path and fails unless it is an executable file.
check_vgate_exe() {
    [ -n "${VGATE_EXE:-}" ] || return 0
    if [ ! -f "$VGATE_EXE" ] || [ ! -x "$VGATE_EXE" ]; then
        echo "VGATE_EXE=$VGATE_EXE is not an executable file (a native build: ./mvnw package -Pnative)" >&2
        return 1
    fi
    VGATE_EXE=$(cd "$(dirname "$VGATE_EXE")" && pwd)/$(basename "$VGATE_EXE")
}

# start_vgate PORT UPSTREAM_PORT LOG [VAR=value...]: vgate (production profile) proxying to UPSTREAM_PORT, run with
# $VGATE_JAVA_OPTS (vgate_command: the jar, or VGATE_EXE). Auth and rate limiting keep their defaults (on): pass
# VGATE_AUTH_KEYS_FILE=..., and e.g. VGATE_RATE_LIMIT_PER_IP_REQUESTS_PER_SECOND=... to raise the limit. Sets
# VGATE_PID, and VGATE_MANAGEMENT_PORT: health and metrics (/q/*) are on the management interface, not on PORT.
start_vgate() {
    local port=$1 upstream=$2 log=$3
    shift 3
    VGATE_MANAGEMENT_PORT=$(free_port)
    # shellcheck disable=SC2086 # VGATE_JAVA_OPTS is a list of options
    vgate_command ${VGATE_JAVA_OPTS:-}
    local cmd=(env VGATE_UPSTREAM_URL="http://127.0.0.1:$upstream" QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port"
        QUARKUS_MANAGEMENT_HOST=127.0.0.1 QUARKUS_MANAGEMENT_PORT="$VGATE_MANAGEMENT_PORT"
        QUARKUS_LOG_LEVEL=WARN "$@" "${VGATE_CMD[@]}")
    lt_record "${cmd[@]}"
    "${cmd[@]}" >"$log" 2>&1 &
    VGATE_PID=$!
    lt_track "$VGATE_PID"
}

# start_nginx PORT UPSTREAM_PORT DIR: nginx as a plain reverse proxy with proxy_buffering off. Sets NGINX_PID.
start_nginx() {
    local port=$1 upstream=$2 dir=$3
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 16384; }
http {
    access_log $dir/logs/access.log combined buffer=64k flush=1s;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream vllm { server 127.0.0.1:$upstream; keepalive 256; }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            proxy_pass http://vllm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 600s;
        }
    }
}
CONF
    lt_record nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/logs/stdout.log" 2>&1 &
    NGINX_PID=$!
    lt_track "$NGINX_PID"
}

# new_key: a random API key (64 hex digits).
new_key() {
    python3 -c 'import secrets; print(secrets.token_hex(32))'
}

# write_keys_file FILE ID:TENANT:PRIORITY:KEY...: an API keys file (deploy/api-keys.example.yaml's format) holding
# the SHA-256 of each key.
write_keys_file() {
    local file=$1 entry id tenant priority key
    shift
    : >"$file"
    for entry in "$@"; do
        IFS=: read -r id tenant priority key <<<"$entry"
        {
            echo "- id: $id"
            echo "  tenant: $tenant"
            echo "  hash: \"sha256:$(printf %s "$key" | sha256sum | awk '{print $1}')\""
            echo "  priority: $priority"
        } >>"$file"
    done
}

# rss_mb PID: resident set size in MiB.
rss_mb() {
    awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"
}

# cpu_ticks PID: user plus system CPU time, in clock ticks (1/100 s), of PID and all its descendants.
cpu_ticks() {
    local pid=$1 total=0 child
    total=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
        total=$((total + $(cpu_ticks "$child")))
    done
    echo "$total"
}
