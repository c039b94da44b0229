#!/usr/bin/env bash
# A/B of gateway builds or JVM options: several gateways side by side on one upstream, in one interleaved run,
# each arm's CPU per request and the ratio to the first arm. It answers "did this change cost or save CPU?"
# on a shared machine whose speed moves by 2x over a day, where runs made an hour apart cannot be compared.
#
#   bench/ab.sh http1 base=/tmp/base.jar new=gateway-server/target/gateway.jar
#   RATE=5000 bench/ab.sh grpc base=/tmp/base.jar new=gateway-server/target/gateway.jar
#   bench/ab.sh http1 'adaptive=gateway-server/target/gateway.jar' \
#                     'pooled=gateway-server/target/gateway.jar|-Dio.netty.allocator.type=pooled'
#   bench/ab.sh tcp 'uring=gateway-server/target/gateway.jar' 'epoll=gateway-server/target/gateway.jar||epoll'
#   bench/ab.sh http1 'off=gateway-server/target/gateway.jar|||"metrics": {"enabled": false}' \
#                     'on=gateway-server/target/gateway.jar'      # what metrics cost (docs/benchmarks.md)
#
# Workload (first argument):
#   http1   HTTP/1.1 keep-alive GETs to an nginx upstream (a fixed 64-byte body): wrk flat out, or h2load --h1
#           at RATE requests/s in total
#   grpc    unary helloworld.Greeter/SayHello over h2c to the demo gRPC servers (examples.jar): h2load flat out,
#           or at RATE calls/s
#   tcp     redis GETs through a `tcp` API to a redis-server: redis-benchmark -t get -c CONNECTIONS, REQUESTS per
#           round (no RATE: redis-benchmark cannot hold one)
# Arms: LABEL=JAR[|JAVA OPTIONS[|TRANSPORT[|TYK_CONF]]]: the options split on spaces; TRANSPORT is tyk.conf's
# `transport` (auto, io_uring, epoll or nio; auto when absent); TYK_CONF, more tyk.conf fields as JSON members
# (`"metrics": {"enabled": false}`). The same jar may appear twice.
#
# Environment (defaults in brackets):
#   ROUNDS [4]  DURATION [10]  WARMUP [25]  seconds; every arm is warmed flat out before the first round
#   RATE [0]            0: flat out; N: a fixed N requests/s in total
#   PROXY_THREADS [1]   each gateway's io_threads
#   CONNECTIONS [64 for http1, 16 for grpc, 50 for tcp]   client connections (grpc: 32 streams each)
#   REQUESTS [300000]   tcp only: GETs per round (and per warm-up, which is not timed)
#   KEEP_TMP [0]        1: keep the temp dir (configs and logs)
#
# CPU is the whole process's (utime + stime from /proc, every thread: event loops, GC, JIT) over the requests
# the round completed. The arms run one after another in each round, in the same order, so the machine's drift
# within a round is shared; read the per-round lines as well as the medians.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-25}
RATE=${RATE:-0}
PROXY_THREADS=${PROXY_THREADS:-1}
KEEP_TMP=${KEEP_TMP:-0}
PROXY_CPUS=""

. "$ROOT/bench/lib.sh"

(($# >= 2)) || die "usage: bench/ab.sh http1|grpc|tcp LABEL=JAR[|JAVA_OPTS[|TRANSPORT[|TYK_CONF]]]..."
WORKLOAD=$1
shift
case $WORKLOAD in
    http1) CONNECTIONS=${CONNECTIONS:-64} ;;
    grpc) CONNECTIONS=${CONNECTIONS:-16} ;;
    tcp) CONNECTIONS=${CONNECTIONS:-50} ;;
    *) die "the workload is http1, grpc or tcp, not '$WORKLOAD'" ;;
esac
REQUESTS=${REQUESTS:-300000}
THIRD="p99 ms"
[[ $WORKLOAD == tcp ]] && THIRD="GET/s"
check_positive REQUESTS
[[ $WORKLOAD != tcp || $RATE == 0 ]] || die "the tcp workload runs flat out only (RATE=0)"
check_positive ROUNDS DURATION WARMUP PROXY_THREADS CONNECTIONS
[[ $RATE =~ ^[0-9]+$ ]] || die "RATE must be a non-negative integer, not '$RATE'"

LABELS=()
JARS=()
OPTS=()
TRANSPORTS=()
EXTRAS=()
for arm; do
    [[ $arm == *=* ]] || die "an arm is LABEL=JAR[|JAVA_OPTS[|TRANSPORT[|TYK_CONF]]], not '$arm'"
    label=${arm%%=*}
    IFS='|' read -r jar opts transport extra <<<"${arm#*=}"
    [[ -f $jar ]] || die "arm $label: no jar at $jar"
    transport=${transport:-auto}
    [[ $transport =~ ^(auto|io_uring|epoll|nio)$ ]] || die "arm $label: transport '$transport' is not auto, io_uring, epoll or nio"
    LABELS+=("$label")
    JARS+=("$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")")
    OPTS+=("$opts")
    TRANSPORTS+=("$transport")
    EXTRAS+=("${extra:+, $extra}")
done

command -v h2load >/dev/null || apt_install nghttp2-client
if [[ $WORKLOAD == http1 ]]; then
    [[ -n $(nginx_bin) ]] || apt_install "$(nginx_package)"
    ((RATE > 0)) || command -v wrk >/dev/null || apt_install wrk
    NGINX=$(nginx_bin)
elif [[ $WORKLOAD == tcp ]]; then
    command -v redis-server >/dev/null || apt_install redis-server
    command -v redis-benchmark >/dev/null || apt_install redis-tools
else
    EXAMPLES=$ROOT/examples/target/examples.jar
    [[ -f $EXAMPLES ]] || die "no $EXAMPLES: run mvn -DskipTests package first"
fi

WORK=$(mktemp -d /tmp/gateway-ab.XXXXXX)
UPSTREAM_PORT=$(pick_port AB_UPSTREAM_PORT 19300)

# ---------------------------------------------------------------------------------------------------
# The upstream
if [[ $WORKLOAD == http1 ]]; then
    {
        nginx_common upstream
        echo "worker_processes 1;"
        echo "http {"
        nginx_http_common upstream
        echo "    server { listen 127.0.0.1:$UPSTREAM_PORT; location / { return 200 '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'; } }"
        echo "}"
    } >"$WORK/upstream.conf"
    start_nginx upstream ""
    TARGET_URL=http://127.0.0.1:$UPSTREAM_PORT
    LISTEN_PATH=/
    REQUEST_PATH=/
elif [[ $WORKLOAD == tcp ]]; then
    REQUEST_PATH=""
    mkdir -p "$WORK/upstream"
    redis-server --port "$UPSTREAM_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/upstream" \
        >"$WORK/upstream/stdout.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
else
    mkdir -p "$WORK/upstream"
    java -cp "$EXAMPLES" dev.gateway.examples.grpc.GrpcDemoServers --port "$UPSTREAM_PORT" \
        >"$WORK/upstream/stdout.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    printf '\000\000\000\000\007\012\005world' >"$WORK/request.bin"
    TARGET_URL=h2c://127.0.0.1:$UPSTREAM_PORT
    LISTEN_PATH=/helloworld.Greeter
    REQUEST_PATH=/helloworld.Greeter/SayHello
fi
wait_until 20 "$STARTED_PID" upstream "$WORK/upstream/stdout.log" port_busy "$UPSTREAM_PORT"

# ---------------------------------------------------------------------------------------------------
# The gateways, one per arm
ARM_PID=()
ARM_PORT=()
taken=("$UPSTREAM_PORT")
for i in "${!LABELS[@]}"; do
    dir=$WORK/arm$i
    mkdir -p "$dir/apps"
    port=$(pick_port AB_PORT_$i $((19310 + i)) "${taken[@]}")
    taken+=("$port")
    tcp_port=""
    if [[ $WORKLOAD == tcp ]]; then
        tcp_port=$(pick_port AB_TCP_PORT_$i $((19350 + i)) "${taken[@]}")
        taken+=("$tcp_port")
    fi
    # HTTP/2 only for the gRPC arm: on a cleartext port it adds the h2c upgrade handler to every HTTP/1.1
    # connection, which bench/http1-keepalive.sh's gateway does not have either.
    http2=false
    [[ $WORKLOAD == grpc ]] && http2=true
    if [[ $WORKLOAD == tcp ]]; then
        cat >"$dir/tyk.conf" <<EOF
{"listen_port": $port, "app_path": "$dir/apps/", "io_threads": $PROXY_THREADS, "transport": "${TRANSPORTS[$i]}",
 "ports_whitelist": {"tcp": {"ports": [$tcp_port]}}${EXTRAS[$i]}}
EOF
        cat >"$dir/apps/api.json" <<EOF
{"api_id": "ab", "name": "ab", "protocol": "tcp", "listen_port": $tcp_port,
 "proxy": {"target_url": "127.0.0.1:$UPSTREAM_PORT"}}
EOF
    else
        cat >"$dir/tyk.conf" <<EOF
{"listen_port": $port, "app_path": "$dir/apps/", "io_threads": $PROXY_THREADS, "transport": "${TRANSPORTS[$i]}",
 "http_server_options": {"enable_http2": $http2}${EXTRAS[$i]}}
EOF
        cat >"$dir/apps/api.json" <<EOF
{"api_id": "ab", "name": "ab", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "$LISTEN_PATH", "strip_listen_path": false, "target_url": "$TARGET_URL"}}
EOF
    fi
    GATEWAY_JAR=${JARS[$i]} JAVA_OPTS=${OPTS[$i]} launch_gateway "$dir"
    ARM_PID+=("$STARTED_PID")
    wait_until 30 "$STARTED_PID" "gateway ${LABELS[$i]}" "$dir/gateway.log" port_busy "$port"
    if [[ $WORKLOAD == tcp ]]; then
        wait_until 30 "$STARTED_PID" "gateway ${LABELS[$i]}" "$dir/gateway.log" port_busy "$tcp_port"
        port=$tcp_port
    fi
    ARM_PORT+=("$port")
    log "arm ${LABELS[$i]}: ${JARS[$i]} ${OPTS[$i]:+(${OPTS[$i]}) }transport ${TRANSPORTS[$i]}${EXTRAS[$i]:+, tyk.conf${EXTRAS[$i]#,}}, port $port"
done

# ---------------------------------------------------------------------------------------------------
# Load
CLK_TCK=$(getconf CLK_TCK)
process_cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# load PORT SECONDS RATE OUT: one run of the client; prints "requests LATENCY": the p99 in ms for the HTTP
# workloads, the GETs per second for tcp (redis-benchmark runs a count, so the rate is what differs).
load() {
    local port=$1 seconds=$2 rate=$3 out=$4 url=http://127.0.0.1:$1$REQUEST_PATH rps=()
    ((rate == 0)) || rps=(--rps="$(per_client_rps "$rate" "$CONNECTIONS")")
    if [[ $WORKLOAD == tcp ]]; then
        # A count, not a duration: redis-benchmark runs REQUESTS GETs at a time; a warm-up (SECONDS given) repeats
        # it until SECONDS have passed.
        local until=$((SECONDS + seconds))
        redis-benchmark -h 127.0.0.1 -p "$port" -t get -n "$REQUESTS" -c "$CONNECTIONS" -q >"$out" 2>&1
        while [[ $out == */warmup* ]] && ((SECONDS < until)); do
            redis-benchmark -h 127.0.0.1 -p "$port" -t get -n "$REQUESTS" -c "$CONNECTIONS" -q >"$out" 2>&1
        done
        tr '\r' '\n' <"$out" | awk -v n="$REQUESTS" '
            /^ *GET: [0-9.]+ requests per second/ { ok = 1; rps = $2 } END { printf "%d %s\n", ok ? n : 0, rps }'
    elif [[ $WORKLOAD == http1 && $rate == 0 ]]; then
        wrk -t 2 -c "$CONNECTIONS" -d "${seconds}s" --latency "$url" >"$out" 2>&1
        awk '/requests in/ { n = $1 } $1 == "99%" { p = $2 }
            END { u = p; sub(/[0-9.]+/, "", u); v = p + 0
                  if (u == "us") v /= 1000; else if (u == "s") v *= 1000
                  printf "%d %.3f\n", n, v }' "$out"
    elif [[ $WORKLOAD == http1 ]]; then
        h2load --h1 -D "$seconds" -c "$CONNECTIONS" -t 2 -m 1 "${rps[@]}" --log-file="$out.log" "$url" >"$out" 2>&1
        echo "$(awk '/^requests: / { print $8 }' "$out") $(h2load_percentiles "$out.log" | awk '{ print $2 }')"
    else
        h2load -D "$seconds" -c "$CONNECTIONS" -m 32 -t 2 "${rps[@]}" --data="$WORK/request.bin" \
            -H 'content-type: application/grpc' -H 'te: trailers' --log-file="$out.log" "$url" >"$out" 2>&1
        echo "$(awk '/^requests: / { print $8 }' "$out") $(h2load_percentiles "$out.log" | awk '{ print $2 }')"
    fi
}

for i in "${!LABELS[@]}"; do
    log "warming ${LABELS[$i]} up for ${WARMUP}s"
    load "${ARM_PORT[$i]}" "$WARMUP" 0 "$WORK/warmup$i.txt" >/dev/null
done

mkdir -p "$WORK/results"
for ((round = 1; round <= ROUNDS; round++)); do
    for i in "${!LABELS[@]}"; do
        before=$(process_cpu_ticks "${ARM_PID[$i]}")
        read -r requests third < <(load "${ARM_PORT[$i]}" "$DURATION" "$RATE" "$WORK/round$round-$i.txt")
        after=$(process_cpu_ticks "${ARM_PID[$i]}")
        ((requests > 0)) || die "arm ${LABELS[$i]} completed no request in round $round"
        us=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
        echo "$requests $us $third" >>"$WORK/results/$i.txt"
        printf 'round %d  %-12s %9d requests  %7.2f us/request  %s %s\n' "$round" "${LABELS[$i]}" \
            "$requests" "$us" "$THIRD" "$third"
    done
done

echo
echo "workload $WORKLOAD, $( ((RATE > 0)) && echo "$RATE/s" || echo "flat out"), io_threads $PROXY_THREADS, medians of $ROUNDS rounds:"
base_us=$(col "$WORK/results/0.txt" 2 | median)
base_n=$(col "$WORK/results/0.txt" 1 | median)
for i in "${!LABELS[@]}"; do
    n=$(col "$WORK/results/$i.txt" 1 | median)
    us=$(col "$WORK/results/$i.txt" 2 | median)
    third=$(col "$WORK/results/$i.txt" 3 | median)
    awk -v l="${LABELS[$i]}" -v n="$n" -v us="$us" -v t="$third" -v what="$THIRD" -v bn="$base_n" -v bu="$base_us" 'BEGIN {
        printf "  %-12s %9.0f requests (%.3fx)  %7.2f us/request (%.3fx)  %s %s\n", l, n, n / bn, us, us / bu, what, t }'
done
