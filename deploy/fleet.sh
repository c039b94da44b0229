#!/usr/bin/env bash
# The fleet (issue 18, docs/deploy.md "The fleet"): on loopback, three gateways sharing one Redis (a redis-server, or
# with REDIS=cluster a Redis Cluster of three masters made by redis-cli --cluster create), behind HAProxy in mode tcp
# that sends PROXY v2 and checks each gateway's /ready. wrk (HTTP/1.1) and h2load (gRPC unary) drive load through
# HAProxy in every phase, and the script shows, checks and reports:
#   1. shared state: a key made through one gateway's API authenticates on all three; a rate limit of RATE_LIMIT per
#      RATE_PER seconds and a quota of QUOTA hold exactly across them; a group reload through one gateway makes all three
#      serve a definition written into each one's folder, within RELOAD_BOUND_MS;
#   2. client addresses: each gateway logs the client's address (curl from 127.0.0.2), not HAProxy's (127.0.0.9);
#   3. a rolling restart: each gateway in turn gets SIGTERM (drain delay, then drain), exits 0 and starts again while
#      the load runs: 0 failed requests. On one of them a gRPC server stream (grpc-java and nghttp) ends cleanly after
#      two GOAWAYs, a WebSocket is closed with 1001, and a redis-cli connection through a tcp API gets a FIN;
#   4. a crash: a gateway gets SIGKILL under load: what fails, and how long HAProxy takes to drop it.
# Each check ends as met or NOT met in the report; the exit status is 1 when any is not met.
#
#   deploy/fleet.sh                          # standalone Redis (2 to 3 minutes)
#   REDIS=cluster deploy/fleet.sh            # a Redis Cluster of three masters
#   REDIS=both deploy/fleet.sh               # one run, then the other
#   QUICK=1 deploy/fleet.sh                  # the test's mode (FleetTest): shorter load phases
#
# Environment (defaults in brackets):
#   REDIS [standalone]      standalone, cluster or both
#   QUICK [0]               1: LEAD 1, TAIL 1, H2_RUN_SECONDS 3, WRK_CONNECTIONS 6, H2_RATE 200, and C1 only in the
#                           gateways' JVMs (-XX:TieredStopAtLevel=1); the phases' own steps are the same
#   DRAIN_DELAY [2]         the gateways' --drain-delay-seconds: at least HAProxy's inter x fall, plus one inter
#                           (0 shows what happens without it)
#   GRACE [10]              the gateways' --grace-seconds
#   CHECK_INTER_MS [500]  FALL [2]  RISE [2]   HAProxy's health checks of /ready
#   LEAD [5]  TAIL [3]      seconds of load before the first and after the last step of a phase
#   WRK_CONNECTIONS [12]  WRK_DELAY_MS [5]     wrk's connections, and each one's pause between two requests (wrk's
#                           delay(): a steady load that leaves the 2-core machine room to restart JVMs)
#   H2_CONNECTIONS [4]  H2_STREAMS [4]  H2_RATE [400]  H2_RUN_SECONDS [5]   h2load: connections, streams each,
#                           calls a second in all, and the length of one h2load run (it runs back to back: h2load does
#                           not reconnect after a GOAWAY, so each run starts fresh connections)
#   RATE_LIMIT [10]  RATE_PER [3]  QUOTA [15]   the shared rate limit (RATE_LIMIT per RATE_PER seconds: exact under
#                           200, docs/redis.md) and quota to check
#   RELOAD_BOUND_MS [2000]  how soon all three must serve after one group reload
#   STREAMS_ON [2]  CRASH [3]     the gateway that carries the long-lived streams in its restart, and the one killed
#   PORT_BASE [18300]       ports from here up (a busy one moves the rest up)
#   TRANSPORT [auto]  JAVA_OPTS [-Xms64m -Xmx256m -XX:+UseSerialGC]   the gateways' transport and JVM options
#   GATEWAY_JAR [gateway-server/target/gateway.jar]  GATEWAY_CLASSPATH   the gateway (a class path runs Main from it)
#   EXAMPLES_JAR [examples/target/examples.jar]  EXAMPLES_CLASSPATH     the demo backends and clients
#   REPORT [bench/results/fleet-<redis>-<UTC time>.md]   KEEP_TMP [0]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

REDIS=${REDIS:-standalone}
if [[ $REDIS == both ]]; then
    REDIS=standalone "${BASH_SOURCE[0]}" && status=0 || status=$?
    REDIS=cluster "${BASH_SOURCE[0]}" || status=$?
    exit "$status"
fi
QUICK=${QUICK:-0}
DRAIN_DELAY=${DRAIN_DELAY:-2}
GRACE=${GRACE:-10}
CHECK_INTER_MS=${CHECK_INTER_MS:-500}
FALL=${FALL:-2}
RISE=${RISE:-2}
if [[ $QUICK == 1 ]]; then
    # A lighter load, and JVMs that start sooner (C1 only), so that three restarts fit in the test's time.
    LEAD=${LEAD:-1} TAIL=${TAIL:-1} H2_RUN_SECONDS=${H2_RUN_SECONDS:-3} WRK_CONNECTIONS=${WRK_CONNECTIONS:-6}
    H2_RATE=${H2_RATE:-200} JAVA_OPTS=${JAVA_OPTS:--Xms64m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}
fi
LEAD=${LEAD:-5}
TAIL=${TAIL:-3}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-12}
WRK_DELAY_MS=${WRK_DELAY_MS:-5}
H2_CONNECTIONS=${H2_CONNECTIONS:-4}
H2_STREAMS=${H2_STREAMS:-4}
H2_RATE=${H2_RATE:-400}
H2_RUN_SECONDS=${H2_RUN_SECONDS:-5}
RATE_LIMIT=${RATE_LIMIT:-10}
RATE_PER=${RATE_PER:-3}
QUOTA=${QUOTA:-15}
RELOAD_BOUND_MS=${RELOAD_BOUND_MS:-2000}
STREAMS_ON=${STREAMS_ON:-2}
CRASH=${CRASH:-3}
PORT_BASE=${PORT_BASE:-18300}
JAVA_OPTS=${JAVA_OPTS:--Xms64m -Xmx256m -XX:+UseSerialGC}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
GATEWAY_CLASSPATH=${GATEWAY_CLASSPATH:-}
EXAMPLES_JAR=${EXAMPLES_JAR:-$ROOT/examples/target/examples.jar}
EXAMPLES_CLASSPATH=${EXAMPLES_CLASSPATH:-$EXAMPLES_JAR}
KEEP_TMP=${KEEP_TMP:-0}
# lib.sh's gateway launcher reads these; nothing is pinned.
PROXY_CPUS=""
SKIP_GATEWAY=0

# The gateways' secrets (every gateway the same: node_secret signs the cluster notifications), and the keys made.
SECRET=fleet-secret
NODE_SECRET=fleet-node-secret
KEY=fleet-key-0123456789
RATE_KEY=fleet-rate-key-0123456789
QUOTA_KEY=fleet-quota-key-0123456789
# Addresses on loopback: HAProxy connects to the gateways from HAPROXY_SOURCE, the client address check's curl
# from CLIENT_SOURCE; without PROXY v2 the gateways would log the first.
HAPROXY_SOURCE=127.0.0.9
CLIENT_SOURCE=127.0.0.2
# The nginx upstream's body: every GET through /fleet/ gets it.
BODY=fleet
READY_SECONDS=60
EXAMPLES_GRPC=dev.gateway.examples.grpc
EXAMPLES_WS=dev.gateway.examples.websocket

# log, die, the cleanup trap (every process started is stopped on any exit), ports, nginx, HAProxy and gateway
# launching, wrk and h2load parsing, the gRPC bodies: shared with the bench scripts.
. "$ROOT/bench/lib.sh"

[[ $REDIS =~ ^(standalone|cluster)$ ]] || die "REDIS is standalone, cluster or both, not '$REDIS'"
check_flags QUICK KEEP_TMP
check_positive GRACE CHECK_INTER_MS FALL RISE WRK_CONNECTIONS WRK_DELAY_MS H2_CONNECTIONS H2_STREAMS \
    H2_RATE H2_RUN_SECONDS RATE_LIMIT RATE_PER QUOTA RELOAD_BOUND_MS PORT_BASE
for var in LEAD TAIL; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be whole seconds, not '${!var}'"
done
[[ $STREAMS_ON =~ ^[123]$ && $CRASH =~ ^[123]$ ]] || die "STREAMS_ON and CRASH name a gateway: 1, 2 or 3"
((RATE_LIMIT < 200)) || die "RATE_LIMIT must be under 200, where the Redis limit is exact (docs/redis.md)"
# HAProxy takes a gateway out after FALL failed checks CHECK_INTER_MS apart, the first up to one interval after the
# 503 starts: the drain delay must cover that, or HAProxy sends connections to a closed port (it would retry them
# elsewhere, but the check would not be the one that took the gateway out).
# DRAIN_DELAY=0 is allowed, to show what happens without it: the restart's checks then fail.
[[ $DRAIN_DELAY =~ ^[0-9]+$ ]] || die "DRAIN_DELAY must be whole seconds, not '$DRAIN_DELAY'"
((DRAIN_DELAY * 1000 >= (FALL + 1) * CHECK_INTER_MS)) ||
    log "warning: DRAIN_DELAY ($DRAIN_DELAY s) is shorter than HAProxy's (FALL + 1) x CHECK_INTER_MS: expect failures"

# ---------------------------------------------------------------------------------------------------
# Tools and small helpers
install_missing() {
    local pkgs=()
    haproxy_bin >/dev/null || pkgs+=(haproxy)
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v wrk >/dev/null || pkgs+=(wrk)
    command -v h2load >/dev/null && command -v nghttp >/dev/null || pkgs+=(nghttp2-client)
    command -v redis-server >/dev/null || pkgs+=(redis-server)
    command -v redis-cli >/dev/null || pkgs+=(redis-tools)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

# now_ms: milliseconds since the epoch. since_ms T: milliseconds since T.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
since_ms() { echo $(($(now_ms) - $1)); }

# take_port VAR DEFAULT: sets VAR to a free port from DEFAULT up that no earlier take_port took.
TAKEN=()
take_port() {
    local port
    port=$(pick_port "$1" "$2" "${TAKEN[@]}")
    TAKEN+=("$port")
    printf -v "$1" '%d' "$port"
}

# examples CLASS ARGS...: one of the examples' programs in the foreground.
examples() { java -cp "$EXAMPLES_CLASSPATH" "$@"; }

# via N PATH: the URL of PATH through HAProxy's frontend pinned to gateway N (0: the balanced one).
via() { echo "http://127.0.0.1:${FRONT[$1]}$2"; }

# status_of URL [CURL_ARGS...]: the HTTP status of a GET (000 when nothing answered).
status_of() {
    local url=$1
    shift
    curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" || true
}

listening() { port_busy "$1"; }

# ---------------------------------------------------------------------------------------------------
# Redis
REDIS_PORTS=()
start_redis() {
    local dir=$WORK/redis port
    mkdir -p "$dir"
    if [[ $REDIS == standalone ]]; then
        start_bg redis "" redis-server --bind 127.0.0.1 --port "$PORT_R" --save '' --appendonly no --dir "$dir" \
            --daemonize no
        REDIS_PORTS=("$PORT_R")
        wait_until 10 "$STARTED_PID" redis "$WORK/redis.log" redis_answers "$PORT_R"
        return
    fi
    for port in "$PORT_R" "$PORT_R2" "$PORT_R3"; do
        mkdir -p "$dir/$port"
        # Each node's cluster bus listens on its port + 10000 (checked free with the ports).
        start_bg "redis-$port" "" redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
            --dir "$dir/$port" --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
            --cluster-node-timeout 2000 --daemonize no
        REDIS_PORTS+=("$port")
        wait_until 10 "$STARTED_PID" "redis $port" "$WORK/redis-$port.log" redis_answers "$port"
    done
    redis-cli --cluster create "${REDIS_PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes \
        >"$WORK/redis-cluster-create.log" 2>&1 || { cat "$WORK/redis-cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
    local deadline=$((SECONDS + 20))
    until redis-cli -p "$PORT_R" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
        ((SECONDS < deadline)) || die "the Redis Cluster did not reach cluster_state:ok within 20 s"
        sleep 0.2
    done
}
redis_answers() { [[ $(redis-cli -p "$1" ping 2>/dev/null) == PONG ]]; }

# tyk.conf's storage for this run.
storage_json() {
    if [[ $REDIS == standalone ]]; then
        echo "{\"type\": \"redis\", \"host\": \"127.0.0.1\", \"port\": $PORT_R}"
    else
        echo "{\"type\": \"redis\", \"enable_cluster\": true, \"addrs\": [\"127.0.0.1:$PORT_R\", \"127.0.0.1:$PORT_R2\", \"127.0.0.1:$PORT_R3\"]}"
    fi
}

# ---------------------------------------------------------------------------------------------------
# Backends: nginx for HTTP, the examples' gRPC demo servers and WebSocket echo server
start_backends() {
    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream ""
    wait_until 10 "$STARTED_PID" "nginx upstream" "$WORK/upstream/error.log" listening "$PORT_U"
    start_bg grpc "" java -cp "$EXAMPLES_CLASSPATH" "$EXAMPLES_GRPC.GrpcDemoServers" --port "$PORT_GRPC"
    local grpc_pid=$STARTED_PID
    start_bg ws "" java -cp "$EXAMPLES_CLASSPATH" "$EXAMPLES_WS.WebSocketEchoServer" "$PORT_WS"
    wait_until "$READY_SECONDS" "$grpc_pid" "gRPC demo servers" "$WORK/grpc.log" listening "$PORT_GRPC"
    wait_until "$READY_SECONDS" "$STARTED_PID" "WebSocket echo server" "$WORK/ws.log" listening "$PORT_WS"
}

# ---------------------------------------------------------------------------------------------------
# HAProxy: a balanced frontend over the three, and a frontend pinned to each (so that a client can reach one gateway
# through HAProxy, PROXY v2 and all), plus the stats page the script reads the servers' states from.
start_haproxy() {
    local i
    {
        cat <<EOF
global
    maxconn $(haproxy_maxconn)
    nbthread 1
defaults
    mode tcp
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    # A connection that a gateway refuses (a closed port, a dead process) is tried again on another one.
    retries 3
    option redispatch
    # HAProxy's side of each connection to a gateway: what a gateway would log without PROXY v2.
    source $HAPROXY_SOURCE
frontend fleet
    bind 127.0.0.1:${FRONT[0]}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk
    http-check send meth GET uri /ready ver HTTP/1.1 hdr Host fleet
    http-check expect status 200
    # PROXY v2 on every connection, checks included: the gateways' port requires it.
    default-server send-proxy-v2 check check-send-proxy inter $CHECK_INTER_MS fall $FALL rise $RISE
EOF
        for i in 1 2 3; do
            echo "    server g$i 127.0.0.1:${GPORT[$i]}"
        done
        for i in 1 2 3; do
            cat <<EOF
frontend only-g$i
    bind 127.0.0.1:${FRONT[$i]}
    default_backend only-g$i
backend only-g$i
    server g$i 127.0.0.1:${GPORT[$i]} send-proxy-v2
EOF
        done
        cat <<EOF
listen stats
    mode http
    bind 127.0.0.1:$PORT_STATS
    stats enable
    stats uri /stats
EOF
    } >"$WORK/haproxy.cfg"
    "$HAPROXY" -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || {
        cat "$WORK/haproxy-check.log" >&2
        die "haproxy -c rejected $WORK/haproxy.cfg"
    }
    # -db: foreground, no master process, so $! is HAProxy itself.
    start_bg haproxy "" "$HAPROXY" -db -f "$WORK/haproxy.cfg"
    wait_until 10 "$STARTED_PID" haproxy "$WORK/haproxy.log" listening "$PORT_STATS"
}

# server_state N: HAProxy's status of gateway N in the balanced backend: UP, DOWN, "UP 1/2" (going down), ...
server_state() {
    curl -s -m 2 "http://127.0.0.1:$PORT_STATS/stats;csv" |
        awk -F, -v s="g$1" '$1 == "gateways" && $2 == s { print $18 }'
}
is_up() { [[ $(server_state "$1") == UP ]]; }
is_down() { [[ $(server_state "$1") == DOWN ]]; }

# ---------------------------------------------------------------------------------------------------
# Gateways: each its own folder (tyk.conf, apps/), the same APIs but for its tcp API's port.
declare -A GW_PID=() STARTS=()
write_gateway() {
    local i=$1 dir=$WORK/g$1
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": ${GPORT[$i]}, "app_path": "apps/", "io_threads": 1, "transport": "$TRANSPORT",
 "secret": "$SECRET", "node_secret": "$NODE_SECRET",
 "storage": $(storage_json),
 "access_logs": {"enabled": true},
 "http_server_options": {"enable_http2": true, "enable_websockets": true},
 "ports_whitelist": {"tcp": {"ports": [${TPORT[$i]}]}}}
EOF
    # enable_proxy_protocol on one API makes the whole port expect PROXY headers; every HTTP API says so.
    api "$dir" fleet '"use_keyless": true' "/fleet/" "http://127.0.0.1:$PORT_U/" true
    api "$dir" keyed '"use_keyless": false' "/keyed/" "http://127.0.0.1:$PORT_U/" true
    api "$dir" greeter '"use_keyless": true' "/helloworld.Greeter" "h2c://127.0.0.1:$PORT_GRPC" false
    api "$dir" routeguide '"use_keyless": true' "/routeguide.RouteGuide" "h2c://127.0.0.1:$PORT_GRPC" false
    api "$dir" ws '"use_keyless": true' "/ws/" "ws://127.0.0.1:$PORT_WS" false
    cat >"$dir/apps/redis.json" <<EOF
{"api_id": "redis", "name": "redis", "protocol": "tcp", "listen_port": ${TPORT[$i]}, "active": true,
 "proxy": {"target_url": "tcp://127.0.0.1:$PORT_R"}}
EOF
}

# api DIR ID AUTH LISTEN_PATH TARGET STRIP
api() {
    cat >"$1/apps/$2.json" <<EOF
{"api_id": "$2", "name": "$2", $3, "active": true, "enable_proxy_protocol": true,
 "proxy": {"listen_path": "$4", "target_url": "$5", "strip_listen_path": $6}}
EOF
}

# start_gateway N: starts gateway N (its earlier log kept as gateway.log.K), without waiting.
start_gateway() {
    local i=$1 dir=$WORK/g$1
    STARTS[$i]=$((${STARTS[$i]:-0} + 1))
    [[ ! -f $dir/gateway.log ]] || mv "$dir/gateway.log" "$dir/gateway.log.$((STARTS[$i] - 1))"
    launch_gateway "$dir" --drain-delay-seconds "$DRAIN_DELAY" --grace-seconds "$GRACE"
    GW_PID[$i]=$STARTED_PID
}

# await_gateway_in N: until gateway N answers /ready through its pinned frontend and HAProxy has it UP.
await_gateway_in() {
    local i=$1
    wait_until "$READY_SECONDS" "${GW_PID[$i]}" "gateway $i" "$WORK/g$i/gateway.log" ready_through "$i"
    wait_until "$READY_SECONDS" "${GW_PID[$i]}" "gateway $i" "$WORK/g$i/gateway.log" is_up "$i"
}
ready_through() { [[ $(status_of "$(via "$1" /ready)") == 200 ]]; }

# gateway_logs N: every log file gateway N has written, earlier starts first.
gateway_logs() { ls "$WORK/g$1"/gateway.log.* "$WORK/g$1/gateway.log" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------
# Load: wrk and h2load through the balanced frontend, from start_load to stop_load.
start_load() {
    local name=$1
    mkdir -p "$WORK/load"
    # wrk's delay(): each connection waits WRK_DELAY_MS between a response and its next request.
    echo "function delay() return $WRK_DELAY_MS end" >"$WORK/load/pace.lua"
    # wrk handles SIGINT itself (stops, then prints its summary), even started in the background.
    wrk --latency -t 1 -c "$WRK_CONNECTIONS" -d 3600s -s "$WORK/load/pace.lua" "$(via 0 /fleet/)" \
        >"$WORK/load/$name.wrk" 2>&1 &
    WRK_PID=$!
    PIDS+=("$WRK_PID")
    rm -f "$WORK/load/$name.stop"
    h2load_loop "$name" &
    H2_LOOP_PID=$!
    PIDS+=("$H2_LOOP_PID")
}

# h2load_loop NAME: h2load runs of H2_RUN_SECONDS back to back until $WORK/load/NAME.stop exists. Each run opens its
# connections afresh: h2load 1.52 does not reconnect after a GOAWAY (it counts the one request such a client had
# left as failed, and that client makes no more).
h2load_loop() {
    local name=$1 n=0 per_client
    per_client=$(per_client_rps "$H2_RATE" "$H2_CONNECTIONS")
    while [[ ! -e $WORK/load/$name.stop ]]; do
        n=$((n + 1))
        timeout -k 5 $((H2_RUN_SECONDS + 30)) h2load -D "$H2_RUN_SECONDS" -c "$H2_CONNECTIONS" -m "$H2_STREAMS" -t 1 \
            --rps="$per_client" --data="$WORK/request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
            --log-file="$WORK/load/$name.h2.$n.log" "$(via 0 "$GREETER_PATH")" >"$WORK/load/$name.h2.$n.out" 2>&1 || true
    done
}

# stop_load NAME: ends both loads and sets LOAD_* to what they saw.
stop_load() {
    local name=$1 line
    touch "$WORK/load/$name.stop"
    kill -INT "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" || true
    forget_pid "$WRK_PID"
    wait "$H2_LOOP_PID" || true
    forget_pid "$H2_LOOP_PID"
    line=$(parse_wrk "$WORK/load/$name.wrk") || { cat "$WORK/load/$name.wrk" >&2; die "could not parse wrk's output ($name)"; }
    read -r LOAD_WRK_RPS LOAD_WRK_P50 LOAD_WRK_P99 LOAD_WRK_ERRORS LOAD_WRK_REQUESTS <<<"$line"
    LOAD_WRK_DETAIL=$(grep -E 'Socket errors|Non-2xx' "$WORK/load/$name.wrk" | sed 's/^ *//' | paste -sd ';' || true)
    [[ -n $LOAD_WRK_DETAIL ]] || LOAD_WRK_DETAIL="no socket errors, no non-2xx"
    # h2load: the calls it sent (its per-request log, whose start time is set as the HEADERS frame goes out), and
    # those of them that failed (status -1, or not 200); the calls it logged with no start time, which it queued but
    # never sent, as nghttp2 opens no new stream once a GOAWAY has come (its summary counts them as failed); and its
    # clients that stopped at a GOAWAY, each saying "Process Request Failure" (h2load does not reconnect; in a timed
    # run its summary does not count them).
    local out done=0 failed=0 d f
    for out in "$WORK/load/$name".h2.*.out; do
        [[ -e $out ]] || continue
        d=$(awk '/^requests: / { for (i = 2; i < NF; i++) if ($(i + 1) ~ /^done,?$/) print $i }' "$out")
        f=$(awk '/^requests: / { for (i = 2; i < NF; i++) if ($(i + 1) ~ /^failed,?$/) print $i }' "$out")
        done=$((done + ${d:-0}))
        failed=$((failed + ${f:-0}))
    done
    local sent=0 sent_failed=0 unsent=0
    read -r sent sent_failed unsent < <(cat "$WORK/load/$name".h2.*.log 2>/dev/null | awk -F'\t' '
        $1 != 0 { sent++; if ($2 != 200) bad++ }
        $1 == 0 { unsent++ }
        END { print sent + 0, bad + 0, unsent + 0 }')
    LOAD_H2_CALLS=$sent
    LOAD_H2_FAILED_SENT=$sent_failed
    LOAD_H2_UNSENT=$unsent
    LOAD_H2_ENDED=$(cat "$WORK/load/$name".h2.*.out 2>/dev/null | grep -c '^Process Request Failure' || true)
    LOAD_H2_FAILED=$failed
    LOAD_H2_RUNS=$(ls "$WORK/load/$name".h2.*.out 2>/dev/null | wc -l || true)
}

load_line() {
    echo "wrk $LOAD_WRK_REQUESTS requests ($LOAD_WRK_RPS/s, p99 ${LOAD_WRK_P99} ms), errors and non-2xx $LOAD_WRK_ERRORS;" \
        "h2load $LOAD_H2_CALLS calls sent in $LOAD_H2_RUNS runs, $LOAD_H2_FAILED_SENT of them failed" \
        "(h2load's failed count $LOAD_H2_FAILED, with $LOAD_H2_UNSENT it queued but never sent after a GOAWAY;" \
        "$LOAD_H2_ENDED of its clients stopped at a GOAWAY)"
}

# ---------------------------------------------------------------------------------------------------
# The report
FAILURES=0
REPORT_LINES=()
report() { REPORT_LINES+=("$*"); log "$*"; }
# verdict OK TEXT: a check's line in the report, met or NOT met.
verdict() {
    if [[ $1 == 1 ]]; then
        report "- $2: met"
    else
        report "- $2: NOT met"
        FAILURES=$((FAILURES + 1))
    fi
}
# ok COMMAND...: 1 when it succeeds, else 0. all FLAG...: 1 when every FLAG is 1.
ok() { if "$@"; then echo 1; else echo 0; fi; }
all() {
    local flag
    for flag; do [[ $flag == 1 ]] || { echo 0; return; }; done
    echo 1
}

# ---------------------------------------------------------------------------------------------------
# 1. Shared state
# make_key N KEY JSON: a custom key through gateway N's API.
make_key() {
    local got
    got=$(curl -sS -m 10 -X POST -H "x-tyk-authorization: $SECRET" "$(via "$1" "/tyk/keys/$2")" -d "$3") ||
        die "gateway $1's control API did not answer"
    [[ $got == *'"status":"ok"'* ]] || die "gateway $1 did not make key $2: $got"
}
rights='"access_rights": {"keyed": {"api_id": "keyed", "versions": ["Default"]}}'

check_key_everywhere() {
    make_key 1 "$KEY" "{$rights, \"rate\": 100000, \"per\": 1}"
    local i codes=""
    for i in 1 2 3; do
        codes+="$(status_of "$(via "$i" /keyed/x)" -H "Authorization: $KEY") "
    done
    verdict "$(ok [ "$codes" == "200 200 200 " ])" \
        "a key made through gateway 1's API authenticates at once on gateways 1, 2, 3 (statuses: ${codes% })"
}

# The rate limit: RATE_LIMIT per RATE_PER seconds, Redis's fixed window; 3 x RATE_LIMIT requests spread over the
# three gateways within one window (started just after one begins) must get exactly RATE_LIMIT 200s. The windows
# are Unix time truncated to RATE_PER seconds, as Go truncates (from year 1, a whole number of minutes before 1970).
check_rate_limit() {
    make_key 2 "$RATE_KEY" "{$rights, \"rate\": $RATE_LIMIT, \"per\": $RATE_PER}"
    local attempt codes passed refused took ms urls=() n
    for ((n = 0; n < 3 * RATE_LIMIT; n++)); do urls+=(-o /dev/null "$(via $((n % 3 + 1)) /keyed/rate)"); done
    for attempt in 1 2 3 4 5; do
        # Wait for the next window to begin.
        ms=$(now_ms)
        sleep "$(awk -v m="$ms" -v w=$((RATE_PER * 1000)) 'BEGIN { printf "%.3f", (w - m % w + 20) / 1000 }')"
        local start
        start=$(now_ms)
        # One curl, every request on a connection of its own at once: a burst of one process, not thirty.
        codes=$(curl -s --no-progress-meter -m 5 --parallel --parallel-immediate --parallel-max $((3 * RATE_LIMIT)) -w '%{http_code}\n' \
            -H "Authorization: $RATE_KEY" "${urls[@]}")
        took=$(since_ms "$start")
        # Within the window only if the burst started and ended in the same one.
        if (((start / (RATE_PER * 1000)) == ((start + took) / (RATE_PER * 1000)))); then
            break
        fi
        log "rate-limit burst straddled two windows (${took} ms from $((start % (RATE_PER * 1000))) ms); again"
        codes=""
    done
    passed=$(grep -c '^200$' <<<"$codes" || true)
    refused=$(grep -c '^429$' <<<"$codes" || true)
    verdict "$(all "$(ok [ -n "$codes" ])" "$(ok [ "$passed" == "$RATE_LIMIT" ])")" \
        "rate limit $RATE_LIMIT per $RATE_PER s across three gateways: $((3 * RATE_LIMIT)) requests at once in one window (${took} ms), $passed passed, $refused refused with 429"
}

check_quota() {
    make_key 3 "$QUOTA_KEY" "{$rights, \"rate\": 100000, \"per\": 1, \"quota_max\": $QUOTA, \"quota_renewal_rate\": 3600}"
    local n codes="" passed refused
    for ((n = 0; n < QUOTA + 6; n++)); do
        codes+="$(status_of "$(via $((n % 3 + 1)) /keyed/quota)" -H "Authorization: $QUOTA_KEY")"$'\n'
    done
    passed=$(grep -c '^200$' <<<"$codes" || true)
    refused=$(grep -c '^403$' <<<"$codes" || true)
    verdict "$(ok [ "$passed" == "$QUOTA" ])" \
        "quota of $QUOTA across three gateways: $((QUOTA + 6)) requests round robin, $passed passed, $refused refused with 403"
}

# A definition written into each gateway's folder is not served until a reload; one group reload through gateway 1
# makes all three serve it. The time is each gateway's own: when its log says "reloaded:", against when the script
# asked (polling through HAProxy under load would add its own latency); then each is asked for the new path.
check_group_reload() {
    local i marker=$1 before="" asked deadline served=0 took=0 at=() reloads=() line t
    for i in 1 2 3; do
        api "$WORK/g$i" "marker-$marker" '"use_keyless": true' "/marker-$marker/" "http://127.0.0.1:$PORT_U/" true
    done
    for i in 1 2 3; do before+="$(status_of "$(via "$i" "/marker-$marker/")") "; done
    for i in 1 2 3; do reloads[$i]=$(grep -c ' Gateway - reloaded: ' "$WORK/g$i/gateway.log" || true); done
    asked=$(time_of_day_ms <<<"$(date +%H:%M:%S.%3N)")
    curl -fsS -o /dev/null -m 10 -H "x-tyk-authorization: $SECRET" "$(via 1 /tyk/reload/group)" ||
        die "GET /tyk/reload/group through gateway 1 failed"
    deadline=$((SECONDS + 15))
    for i in 1 2 3; do
        until line=$(grep ' Gateway - reloaded: ' "$WORK/g$i/gateway.log" | sed -n "$((reloads[i] + 1))p") &&
            [[ -n $line ]]; do
            ((SECONDS < deadline)) || break
            sleep 0.1
        done
        if [[ -n $line ]]; then
            t=$(($(time_of_day_ms <<<"$line") - asked))
            ((t >= 0)) || t=$((t + 86400000))
            at[$i]=$t
            ((t <= took)) || took=$t
        fi
    done
    for i in 1 2 3; do
        [[ $(status_of "$(via "$i" "/marker-$marker/")") != 200 ]] || served=$((served + 1))
    done
    verdict "$(all "$(ok [ "$before" == "404 404 404 " ])" "$(ok [ "${#at[@]}" == 3 ])" "$(ok [ "$served" == 3 ])" \
        "$(ok [ "$took" -le "$RELOAD_BOUND_MS" ])")" \
        "a group reload through gateway 1 makes all three serve a new definition within ${RELOAD_BOUND_MS} ms: 404 404 404 before; reloaded after g1 ${at[1]:-never}, g2 ${at[2]:-never}, g3 ${at[3]:-never} ms (their logs); then $served of 3 serve it"
}

# time_of_day_ms: the milliseconds since midnight of the first HH:MM:SS.mmm on stdin (a gateway's log line, whichever
# logging configuration wrote it; date +%H:%M:%S.%3N), in the local time zone, which the gateways' JVMs share.
time_of_day_ms() {
    awk 'match($0, /[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]/) {
        split(substr($0, RSTART, 12), p, /[:.]/)
        print ((p[1] * 60 + p[2]) * 60 + p[3]) * 1000 + p[4]
        exit
    }'
}

# ---------------------------------------------------------------------------------------------------
# 2. Client addresses
check_client_addresses() {
    local i tag lines good=1 detail=""
    for i in 1 2 3; do
        tag=whoami-$i-$RANDOM
        curl -s -o /dev/null -m 5 --interface "$CLIENT_SOURCE" "$(via "$i" "/fleet/$tag")" || true
        sleep 0.3
        lines=$(cat $(gateway_logs "$i") | grep -F "/fleet/$tag" || true)
        if [[ $lines == *"client=$CLIENT_SOURCE "* ]]; then
            detail+="g$i logs client=$CLIENT_SOURCE; "
        else
            good=0
            detail+="g$i logs '$(grep -o 'client=[^ ]*' <<<"$lines" | head -n 1)'; "
        fi
    done
    # Nothing proxied was ever logged with HAProxy's own address.
    local haproxy_lines
    haproxy_lines=$(cat $(gateway_logs 1) $(gateway_logs 2) $(gateway_logs 3) |
        grep -E ' access - client=' | grep -E ' api=(fleet|keyed|greeter) ' | grep -c "client=$HAPROXY_SOURCE " || true)
    ((haproxy_lines == 0)) || good=0
    verdict "$good" "client addresses through HAProxy (PROXY v2): curl --interface $CLIENT_SOURCE via each gateway's frontend: ${detail}proxied requests logged as HAProxy's $HAPROXY_SOURCE: $haproxy_lines"
}

# ---------------------------------------------------------------------------------------------------
# 3. Rolling restart; the long-lived streams ride along on gateway STREAMS_ON.
# The paced ListFeatures request for nghttp: Rectangle{lo: Point{latitude: -3 (pace mode), longitude: 100 ms},
# hi: Point{latitude: COUNT}} as one gRPC message (RouteGuideService.paceRequest). COUNT under 128 (one varint byte).
write_pace_body() {
    local count=$1
    ((count < 128)) || die "the nghttp stream's count must be under 128"
    # lo: 08 <-3 as a 10-byte varint> 10 64; hi: 08 <count>.
    printf '\000\000\000\000\023\012\015\010\375\377\377\377\377\377\377\377\377\001\020\144\022\002\010'"$(printf '\\%03o' "$count")" \
        >"$WORK/pace.bin"
}

# Starts the long-lived clients on gateway N, each one open before this returns.
start_streams() {
    local i=$1 front=${FRONT[$1]}
    mkdir -p "$WORK/streams"
    # Each stream must outlast the drain delay and end within the grace: it ends about 3 s into the drain.
    local stream_ms=$(((DRAIN_DELAY + 4) * 1000))
    examples "$EXAMPLES_GRPC.bench.PacedStream" --count $((stream_ms / 50)) --interval-ms 50 "127.0.0.1:$front" \
        >"$WORK/streams/paced.out" 2>"$WORK/streams/paced.err" &
    STREAM_PID=$!
    PIDS+=("$STREAM_PID")
    examples "$EXAMPLES_WS.WsPaced" --count 100000 --interval-ms 50 "ws://127.0.0.1:$front/ws/paced" \
        >"$WORK/streams/ws.out" 2>"$WORK/streams/ws.err" &
    WS_PID=$!
    PIDS+=("$WS_PID")
    redis-cli -p "${TPORT[$i]}" -r 1000000 -i 0.1 PING >"$WORK/streams/redis.out" 2>&1 &
    REDIS_CLI_PID=$!
    PIDS+=("$REDIS_CLI_PID")
    wait_until "$READY_SECONDS" "$STREAM_PID" "the gRPC stream client" "$WORK/streams/paced.err" \
        grep -q '^first$' "$WORK/streams/paced.out"
    wait_until "$READY_SECONDS" "$WS_PID" "the WebSocket client" "$WORK/streams/ws.err" \
        grep -q '^open$' "$WORK/streams/ws.out"
    wait_until 10 "$REDIS_CLI_PID" "redis-cli" "$WORK/streams/redis.out" grep -q PONG "$WORK/streams/redis.out"
    # nghttp last, as it starts at once: its stream then outlasts the delay by as much as the others.
    write_pace_body $((stream_ms / 100))
    nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -d "$WORK/pace.bin" \
        "http://127.0.0.1:$front/routeguide.RouteGuide/ListFeatures" >"$WORK/streams/nghttp.out" 2>&1 &
    NGHTTP_PID=$!
    PIDS+=("$NGHTTP_PID")
    sleep 0.5
}

# Waits for the long-lived clients and checks how each ended.
check_streams() {
    local i=$1 status line
    status=0; wait "$STREAM_PID" || status=$?; forget_pid "$STREAM_PID"
    line=$(grep '^stream ' "$WORK/streams/paced.out" || echo "(no result line)")
    verdict "$(ok [ "$status" == 0 ])" "gRPC server stream (grpc-java, ListFeatures paced) on draining gateway $i: $line"

    status=0; wait "$NGHTTP_PID" || status=$?; forget_pid "$NGHTTP_PID"
    local goaways frames grpc_status
    # -a: nghttp writes the response's bytes among its frame log.
    goaways=$(grep -a -A1 'recv GOAWAY' "$WORK/streams/nghttp.out" | grep -ao 'last_stream_id=[0-9]*' | cut -d= -f2 |
        paste -sd ' ' || true)
    # nghttp opens its request on stream 13 (streams 3 to 11 are idle ones it makes for priorities).
    local stream
    stream=$(grep -a 'send HEADERS frame' "$WORK/streams/nghttp.out" | grep -ao 'stream_id=[0-9]*' | head -n 1 |
        cut -d= -f2 || true)
    frames=$(grep -ac 'recv DATA frame' "$WORK/streams/nghttp.out" || true)
    grpc_status=$(grep -ao 'grpc-status: [0-9]*' "$WORK/streams/nghttp.out" | tail -n 1 || true)
    verdict "$(all "$(ok [ "$status" == 0 ])" "$(ok [ "$goaways" == "2147483647 $stream" ])" \
        "$(ok [ "$grpc_status" == "grpc-status: 0" ])")" \
        "the same over nghttp, on stream ${stream:-none}: GOAWAYs with last_stream_id ${goaways:-none} (the first refusing nothing, the second naming the stream), $frames DATA frames, then ${grpc_status:-no grpc-status}"

    status=0; wait "$WS_PID" || status=$?; forget_pid "$WS_PID"
    line=$(grep '^websocket ' "$WORK/streams/ws.out" || echo "(no result line)")
    verdict "$(ok grep -q 'close 1001$' <<<"$line")" "WebSocket (WsPaced) on draining gateway $i closed with 1001 going away: $line"

    # redis-cli says "Server closed the connection" for a FIN, "Connection reset by peer" for a reset.
    local deadline=$((SECONDS + GRACE + 10))
    while kill -0 "$REDIS_CLI_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill "$REDIS_CLI_PID" 2>/dev/null || true
    wait "$REDIS_CLI_PID" 2>/dev/null || true
    forget_pid "$REDIS_CLI_PID"
    local pongs end
    pongs=$(grep -c '^PONG$' "$WORK/streams/redis.out" || true)
    end=$(grep -v '^PONG$' "$WORK/streams/redis.out" | head -n 1 || true)
    verdict "$(ok [ "$end" == "Error: Server closed the connection" ])" \
        "redis-cli through gateway $i's tcp API: $pongs PONGs, then '${end:-nothing}' (a FIN)"
}

# restart N: SIGTERM, the drain timeline, exit status, start again and back in HAProxy.
restart() {
    local i=$1 pid=${GW_PID[$1]} t0 t_down="" t_closed="" t_exit status=0
    t0=$(now_ms)
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        [[ -n $t_down ]] || ! is_down "$i" || t_down=$(since_ms "$t0")
        [[ -n $t_closed ]] || listening "${GPORT[$i]}" || t_closed=$(since_ms "$t0")
        (($(since_ms "$t0") < (DRAIN_DELAY + GRACE + 10) * 1000)) || break
        sleep 0.05
    done
    wait "$pid" || status=$?
    t_exit=$(since_ms "$t0")
    forget_pid "$pid"
    [[ -n $t_down ]] || ! is_down "$i" || t_down=$t_exit
    [[ -n $t_closed ]] || t_closed=$t_exit
    start_gateway "$i"
    await_gateway_in "$i"
    local t_up
    t_up=$(since_ms "$t0")
    report "- gateway $i: SIGTERM at 0 ms; HAProxy had it DOWN at ${t_down:-never} ms; its port closed at $t_closed ms; exited $status at $t_exit ms; back UP at $t_up ms"
    if [[ $status != 0 || -z $t_down ]] || ((t_down >= t_closed)); then
        RESTARTS_OK=0
    fi
}
RESTARTS_OK=1

# ---------------------------------------------------------------------------------------------------
# 4. Crash
crash() {
    local i=$1 pid=${GW_PID[$1]} t0 t_down="" connections
    # HAProxy's connections to it now: the load's share (wrk's, h2load's) and a check's at most.
    connections=$(ss -Htn state established "( dport = :${GPORT[$i]} )" | wc -l)
    t0=$(now_ms)
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
    while [[ -z $t_down ]] && (($(since_ms "$t0") < 10000)); do
        ! is_down "$i" || t_down=$(since_ms "$t0")
        sleep 0.02
    done
    CRASH_CONNECTIONS=$connections
    CRASH_DOWN_MS=${t_down:-never}
}

# ---------------------------------------------------------------------------------------------------
# Access logs: the load's and the clients' exchanges that did not end well, over every gateway's logs.
access_log_failures() {
    cat $(gateway_logs 1) $(gateway_logs 2) $(gateway_logs 3) | awk '
        / access - client=/ && / api=(fleet|greeter|routeguide|ws) / {
            n++
            # The client left before its answer (a load tool ending its run with requests in flight): not a
            # failure of the gateway; the load tools count what they lost themselves.
            if (/ error=CLIENT_CLOSED/) { left++; next }
            if (match($0, / status=[0-9]+/)) {
                s = substr($0, RSTART + 8, RLENGTH - 8)
                if (s !~ /^2/ && s != "101") bad++
            }
            if (match($0, / grpc_status=[0-9]+/) && substr($0, RSTART + 13, RLENGTH - 13) != "0") grpc++
        }
        END { print n + 0, bad + 0, grpc + 0, left + 0 }'
}

# ---------------------------------------------------------------------------------------------------
main() {
    command -v java >/dev/null || die "java (17 or later) is needed"
    command -v curl >/dev/null || die "curl is needed"
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    install_missing
    NGINX=$(nginx_bin)
    HAPROXY=$(haproxy_bin) || die "haproxy not found"
    if [[ -z $GATEWAY_CLASSPATH ]]; then
        [[ -f $GATEWAY_JAR ]] || die "no $GATEWAY_JAR: build it (mvn -q -DskipTests package)"
    fi
    [[ $EXAMPLES_CLASSPATH != "$EXAMPLES_JAR" || -f $EXAMPLES_JAR ]] ||
        die "no $EXAMPLES_JAR: build it (mvn -q -DskipTests package)"

    local p=$PORT_BASE
    take_port PORT_U $p; take_port PORT_GRPC $((p + 1)); take_port PORT_WS $((p + 2)); take_port PORT_STATS $((p + 3))
    declare -gA GPORT=() TPORT=() FRONT=()
    local i
    take_port PORT_F0 $((p + 10)); FRONT[0]=$PORT_F0
    for i in 1 2 3; do
        take_port "PORT_G$i" $((p + 10 + i)); GPORT[$i]=$(eval echo "\$PORT_G$i")
        take_port "PORT_T$i" $((p + 20 + i)); TPORT[$i]=$(eval echo "\$PORT_T$i")
        take_port "PORT_F$i" $((p + 30 + i)); FRONT[$i]=$(eval echo "\$PORT_F$i")
    done
    # Redis, and its cluster bus ports (+10000) free too.
    local r=$((p + 40))
    while :; do
        if port_free $r && port_free $((r + 1)) && port_free $((r + 2)) && port_free $((r + 10000)) &&
            port_free $((r + 10001)) && port_free $((r + 10002)) && [[ " ${TAKEN[*]} " != *" $r "* ]]; then
            break
        fi
        r=$((r + 3))
        ((r < p + 200)) || die "no free ports for Redis from $((p + 40))"
    done
    PORT_R=$r PORT_R2=$((r + 1)) PORT_R3=$((r + 2))

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/fleet.XXXXXX")
    write_grpc_bodies
    raise_fd_limit
    local started load_before
    started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)

    log "Redis ($REDIS) on $PORT_R; nginx on $PORT_U, gRPC demo on $PORT_GRPC, WebSocket echo on $PORT_WS"
    start_redis
    start_backends
    log "HAProxy: fleet on ${FRONT[0]}, pinned frontends ${FRONT[1]} ${FRONT[2]} ${FRONT[3]}, stats on $PORT_STATS"
    start_haproxy
    for i in 1 2 3; do write_gateway "$i"; done
    log "gateways on ${GPORT[1]} ${GPORT[2]} ${GPORT[3]} (tcp APIs ${TPORT[1]} ${TPORT[2]} ${TPORT[3]})"
    for i in 1 2 3; do start_gateway "$i"; done
    for i in 1 2 3; do await_gateway_in "$i"; done
    [[ $(curl -s -m 5 "$(via 0 /fleet/)") == "$BODY" ]] || die "GET /fleet/ through HAProxy did not return '$BODY'"
    grpc_check "${FRONT[0]}" "$WORK/check-grpc" || die "SayHello through HAProxy failed (see $WORK/check-grpc.verbose)"

    report "# The fleet: three gateways behind HAProxy, Redis $REDIS"
    report ""
    report "$started, $(nproc) cores (load average $load_before as it began), $(java -version 2>&1 | head -n 1), $("$HAPROXY" -v | head -n 1 | cut -d' ' -f1-3)," \
        "$(redis-server --version | cut -d' ' -f1-3), wrk -c $WRK_CONNECTIONS (${WRK_DELAY_MS} ms between requests)," \
        "h2load -c $H2_CONNECTIONS -m $H2_STREAMS at $H2_RATE calls/s; drain delay $DRAIN_DELAY s, grace $GRACE s," \
        "HAProxy checks /ready every $CHECK_INTER_MS ms, fall $FALL, rise $RISE"
    report ""

    # ---- 1 and 2: shared state and client addresses, under load
    report "## Shared state and client addresses"
    start_load state
    sleep "$LEAD"
    check_key_everywhere
    check_rate_limit
    check_quota
    check_group_reload 1
    check_client_addresses
    sleep "$TAIL"
    stop_load state
    report "- load meanwhile: $(load_line)"
    verdict "$(all "$(ok [ "$LOAD_WRK_ERRORS" == 0 ])" "$(ok [ "$LOAD_H2_FAILED_SENT" == 0 ])")" \
        "no failed request meanwhile"

    # ---- 3: rolling restart
    report ""
    report "## Rolling restart: SIGTERM, drain, start, one gateway at a time, under load"
    start_load rolling
    sleep "$LEAD"
    for i in 1 2 3; do
        if ((i == STREAMS_ON)); then start_streams "$i"; fi
        restart "$i"
        if ((i == STREAMS_ON)); then check_streams "$i"; fi
        sleep 1
    done
    sleep "$TAIL"
    stop_load rolling
    verdict "$RESTARTS_OK" "each gateway exited 0 after its drain, and HAProxy had it DOWN before its port closed"
    report "- load: $(load_line)"
    verdict "$(ok [ "$LOAD_WRK_ERRORS" == 0 ])" "wrk through the rolling restart: 0 socket errors and 0 non-2xx ($LOAD_WRK_DETAIL)"
    verdict "$(ok [ "$LOAD_H2_FAILED_SENT" == 0 ])" \
        "h2load through the rolling restart: 0 calls failed after being sent ($LOAD_H2_CALLS calls)"

    # ---- 4: crash: one load up to the moment HAProxy drops the killed gateway, a second one after it
    report ""
    report "## Crash: SIGKILL under load"
    start_load crash
    sleep "$LEAD"
    crash "$CRASH"
    stop_load crash
    report "- gateway $CRASH killed with $CRASH_CONNECTIONS connections from HAProxy open to it; HAProxy had it DOWN after $CRASH_DOWN_MS ms"
    report "- load until then: $(load_line)"
    local crash_wrk_errors=$LOAD_WRK_ERRORS
    start_load after-crash
    sleep $((LEAD + TAIL))
    stop_load after-crash
    report "- load after it: $(load_line)"
    local bound=$(((FALL + 1) * CHECK_INTER_MS + 500))
    local dropped=0
    [[ $CRASH_DOWN_MS == never ]] || ((CRASH_DOWN_MS > bound)) || dropped=1
    verdict "$dropped" \
        "HAProxy dropped the killed gateway within (fall + 1) x inter + 0.5 s ($bound ms): $CRASH_DOWN_MS ms"
    # wrk counts a connection closed under it as an error, a request on it or not: each of its connections through
    # the killed gateway may cost one error, and nothing else may. (h2load, in a timed run, neither logs nor counts
    # the calls in flight on a connection that breaks; its figures show what it saw.)
    verdict "$(all "$(ok [ "$crash_wrk_errors" -le "$CRASH_CONNECTIONS" ])" "$(ok [ "$LOAD_WRK_ERRORS" == 0 ])" \
        "$(ok [ "$LOAD_H2_FAILED_SENT" == 0 ])")" \
        "only what was open on it failed: wrk errors $crash_wrk_errors, at most its $CRASH_CONNECTIONS connections; after HAProxy dropped it, wrk errors $LOAD_WRK_ERRORS and h2load calls failed $LOAD_H2_FAILED_SENT"
    start_gateway "$CRASH"
    await_gateway_in "$CRASH"

    # ---- the gateways' side
    report ""
    report "## The gateways' access logs over the whole run"
    local logged bad_status bad_grpc left
    read -r logged bad_status bad_grpc left < <(access_log_failures)
    verdict "$(all "$(ok [ "$bad_status" == 0 ])" "$(ok [ "$bad_grpc" == 0 ])")" \
        "$logged exchanges of the load and the streams logged: $bad_status with a status other than 2xx or 101, $bad_grpc with a grpc_status other than 0 ($left left by their client before the answer, error=CLIENT_CLOSED, not counted)"

    local stamp report_file
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    report_file=${REPORT:-$ROOT/bench/results/fleet-$REDIS-$stamp.md}
    mkdir -p "$(dirname "$report_file")"
    printf '%s\n' "${REPORT_LINES[@]}" >"$report_file"
    log "report: $report_file"
    if ((FAILURES > 0)); then
        log "$FAILURES checks NOT met"
        exit 1
    fi
    log "every check met"
}

# On one line, so that bash has read the exit before main runs: a script edited while it runs must not go on
# reading it from where it was.
main "$@"; exit
