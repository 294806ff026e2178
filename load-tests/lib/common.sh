# Shared helpers for the load-test scripts (sourced). Everything binds to 127.0.0.1 on free ports.

LT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$LT_ROOT/.ci/jdk.sh"
JAR="$LT_ROOT/target/quarkus-app/quarkus-run.jar"

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

# wait_http URL [seconds]: polls until URL answers 2xx, or fails after the deadline.
wait_http() {
    local url=$1 deadline=$((SECONDS + ${2:-60}))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            echo "timed out waiting for $url" >&2
            return 1
        fi
        sleep 0.2
    done
}

# start_simulator PORT LOG [extra env...]: a separate JVM playing vLLM with zero latencies by default.
start_simulator() {
    local port=$1 log=$2
    shift 2
    env VGATE_SIMULATOR_ENABLED=true VGATE_SIMULATOR_HOST=127.0.0.1 VGATE_SIMULATOR_PORT="$port" \
        VGATE_AUTH_ENABLED=false VGATE_RATE_LIMIT_ENABLED=false \
        VGATE_SIMULATOR_TIME_TO_FIRST_TOKEN=0s VGATE_SIMULATOR_INTER_TOKEN_LATENCY=0s \
        VGATE_SIMULATOR_PREFILL_TIME_PER_TOKEN=0s \
        QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$(free_port)" QUARKUS_LOG_LEVEL=WARN \
        "$@" "$JAVA_HOME/bin/java" -jar "$JAR" >"$log" 2>&1 &
    echo $!
}

# start_vgate PORT UPSTREAM_PORT LOG [extra env...]: vgate proxying to the simulator process.
start_vgate() {
    local port=$1 upstream=$2 log=$3
    shift 3
    env VGATE_UPSTREAM_URL="http://127.0.0.1:$upstream" QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$port" \
        VGATE_RATE_LIMIT_ENABLED=false QUARKUS_LOG_LEVEL=WARN \
        "$@" "$JAVA_HOME/bin/java" -jar "$JAR" >"$log" 2>&1 &
    echo $!
}

# start_nginx PORT UPSTREAM_PORT DIR: nginx as a plain reverse proxy with proxy_buffering off.
start_nginx() {
    local port=$1 upstream=$2 dir=$3
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream vllm { server 127.0.0.1:$upstream; keepalive 256; }
    server {
        listen 127.0.0.1:$port;
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
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/logs/stdout.log" 2>&1 &
    echo $!
}

# rss_mb PID: resident set size in MiB.
rss_mb() {
    awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"
}
