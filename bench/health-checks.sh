#!/usr/bin/env bash
# Health-check cost benchmark: how much CPU the gateway spends running uptime tests for many targets (the issue's
# "a thousand targets cost little CPU; measure and report it"). Two gateways run side by side on the same APIs:
# one with an uptime test per target, a baseline without any, and both are measured over the same window. Every
# target is a distinct loopback address (127.0.y.z) on one port, served by one redis-server (TCP checks, Tyk's
# Redis example) or one nginx (HTTP checks, GET /health). See bench/README.md for what is measured and why.
#
#   bench/health-checks.sh                              # full run: 1000 targets, 20 s warm-up, 60 s window
#   TARGETS=200 MEASURE=20 bench/health-checks.sh       # quick check (about 45 s)
#   HTTP_SHARE=0 bench/health-checks.sh                 # TCP (Redis) checks only; HTTP_SHARE=100: HTTP only
#
# Environment (defaults in brackets):
#   TARGETS [1000]          checked targets in total, each its own host:port
#   HTTP_SHARE [50]         percentage of TARGETS checked over HTTP; the rest are TCP (Redis) checks
#   TARGETS_PER_API [100]   targets (and check_list entries) per API definition
#   TIME_WAIT [10]          uptime_tests.config.time_wait: seconds between two runs of a check
#   WARMUP [2 x TIME_WAIT]  seconds between the gateways answering and the measured window
#   MEASURE [60]            seconds of the measured window
#   PORT_REDIS [18110]  PORT_HTTP [18111]   the upstreams, listening on every address
#   PORT_G [18112]  PORT_B [18113]          the HTTP ports of the gateway with checks and of the baseline
#   PORT_TCP [18120]        first listen port of the tcp APIs (one per API, per gateway)
#                           a busy default moves to the next free port, a busy port given explicitly is an error
#   PROXY_THREADS [2]       the gateways' io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   PROXY_CPUS, UPSTREAM_CPUS   optional taskset CPU lists for the gateways and for redis-server plus nginx
#   JAVA_OPTS               extra JVM options for both gateways
#   GATEWAY_JAR [gateway-server/target/gateway.jar]
#   KEEP_TMP [0]            1: keep the temp dir (configs, gateway logs, nginx access log, samples)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

TARGETS=${TARGETS:-1000}
HTTP_SHARE=${HTTP_SHARE:-50}
TARGETS_PER_API=${TARGETS_PER_API:-100}
TIME_WAIT=${TIME_WAIT:-10}
WARMUP=${WARMUP:-$((2 * TIME_WAIT))}
MEASURE=${MEASURE:-60}
PROXY_THREADS=${PROXY_THREADS:-2}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}

# uptime_tests.config.failure_trigger_sample_size, as in the Redis example of docs/health-checks.md.
FAILURE_TRIGGER_SAMPLE_SIZE=3
# Every SLICE seconds of the window the gateways' CPU is sampled, so a disturbed stretch shows in the report.
SLICE=10
# How long a started process may take to answer before we give up.
UPSTREAM_READY_SECONDS=10
GATEWAY_READY_SECONDS=30
# Targets are 127.0.y.z with y from 1 and z in 1..250: this many fit.
MAX_TARGETS=$((254 * 250))

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, CPU pinning,
# nginx and gateway launching: shared with the other bench scripts.
. "$ROOT/bench/lib.sh"

check_flags KEEP_TMP
check_positive TARGETS TARGETS_PER_API TIME_WAIT WARMUP MEASURE PROXY_THREADS
[[ $HTTP_SHARE =~ ^[0-9]+$ ]] && ((HTTP_SHARE <= 100)) || die "HTTP_SHARE must be a percentage 0..100, not '$HTTP_SHARE'"
((TARGETS <= MAX_TARGETS)) || die "TARGETS must be at most $MAX_TARGETS (distinct 127.0.y.z addresses)"

N_HTTP=$(((TARGETS * HTTP_SHARE + 50) / 100))
N_TCP=$((TARGETS - N_HTTP))
TCP_APIS=$(((N_TCP + TARGETS_PER_API - 1) / TARGETS_PER_API))
HTTP_APIS=$(((N_HTTP + TARGETS_PER_API - 1) / TARGETS_PER_API))
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v redis-server >/dev/null || pkgs+=(redis-server)
    command -v redis-cli >/dev/null || pkgs+=(redis-tools)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

# address I: the loopback address of target I (0-based): 127.0.1.1, 127.0.1.2, ... 127.0.1.250, 127.0.2.1, ...
# All of 127.0.0.0/8 is loopback on Linux, so each is a distinct host:port for the gateway and the same server.
address() { echo "127.0.$(($1 / 250 + 1)).$(($1 % 250 + 1))"; }

# redis_ping HOST PORT: redis-cli PING prints PONG.
redis_ping() { [[ $(timeout 5 redis-cli -h "$1" -p "$2" PING 2>/dev/null) == PONG ]]; }

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstreams() {
    # Bound to every address, so one server answers for all the 127.0.y.z targets. Redis's protected mode (on by
    # default: no password, every address) still refuses clients from other machines.
    pin "$UPSTREAM_CPUS"
    "${PIN[@]}" redis-server --port "$PORT_REDIS" --bind 0.0.0.0 --save '' --appendonly no --dir "$WORK" \
        >"$WORK/redis-server.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    REDIS_PID=$STARTED_PID
    wait_until "$UPSTREAM_READY_SECONDS" "$REDIS_PID" redis-server "$WORK/redis-server.log" \
        redis_ping "$(address $((TARGETS - 1)))" "$PORT_REDIS"

    # One worker; every request, the checks' GET /health included, answers 200 "ok". The access log, one line per
    # request with the address the request came to and the status, counts the HTTP checks.
    {
        nginx_common http
        echo "worker_processes 1;"
        echo "http {"
        nginx_http_common http
        cat <<EOF
    log_format checks '\$server_addr \$status \$msec';
    server {
        listen $PORT_HTTP;
        access_log $WORK/http/access.log checks;
        location / { default_type text/plain; return 200 "ok\n"; }
    }
}
EOF
    } >"$WORK/http.conf"
    start_nginx http "$UPSTREAM_CPUS"
    NGINX_PID=$STARTED_PID
    wait_until "$UPSTREAM_READY_SECONDS" "$NGINX_PID" nginx "$WORK/http/error.log" \
        http_ok "http://$(address $((TARGETS - 1))):$PORT_HTTP/health"
}

# write_gateway DIR HTTP_PORT CHECKS TCP_PORT...: tyk.conf and the API definitions of one gateway, with an uptime
# test per target when CHECKS is 1, without any (the baseline) when 0. The APIs are the same either way.
write_gateway() {
    local dir=$1 http_port=$2 checks=$3
    shift 3
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $http_port, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "uptime_tests": {"config": {"failure_trigger_sample_size": $FAILURE_TRIGGER_SAMPLE_SIZE, "time_wait": $TIME_WAIT}},
 "ports_whitelist": {"tcp": {"ports": [$(IFS=,; echo "$*")]}}}
EOF
    python3 - "$dir/apps" "$checks" "$N_TCP" "$N_HTTP" "$TARGETS_PER_API" "$PORT_REDIS" "$PORT_HTTP" "$@" <<'EOF'
import json, sys

apps, checks, n_tcp, n_http, per_api, port_redis, port_http = sys.argv[1], sys.argv[2] == "1", *map(int, sys.argv[3:8])
tcp_ports = [int(p) for p in sys.argv[8:]]

def address(i):
    return "127.0.%d.%d" % (i // 250 + 1, i % 250 + 1)

# Tyk's Redis example (docs/health-checks.md), without its harmless trailing send of "+OK".
redis_commands = [
    {"name": "send", "message": "PING\r\n"},
    {"name": "expect", "message": "+PONG"},
    {"name": "send", "message": "info  replication\r\n"},
    {"name": "expect", "message": "role:master"},
    {"name": "send", "message": "QUIT\r\n"},
]

def write(api_id, api):
    with open("%s/%s.json" % (apps, api_id), "w") as f:
        json.dump(api, f, indent=1)

for n, start in enumerate(range(0, n_tcp, per_api)):
    hosts = ["%s:%d" % (address(i), port_redis) for i in range(start, min(start + per_api, n_tcp))]
    api_id = "hc-tcp-%d" % (n + 1)
    write(api_id, {
        "api_id": api_id, "name": api_id, "protocol": "tcp", "listen_port": tcp_ports[n],
        "proxy": {"enable_load_balancing": True, "check_host_against_uptime_tests": True, "target_list": hosts},
        "uptime_tests": {"check_list": [{"url": h, "commands": redis_commands} for h in hosts] if checks else []},
    })

for n, start in enumerate(range(0, n_http, per_api)):
    hosts = ["http://%s:%d" % (address(i), port_http) for i in range(start, min(start + per_api, n_http))]
    api_id = "hc-http-%d" % (n + 1)
    write(api_id, {
        "api_id": api_id, "name": api_id, "use_keyless": True, "active": True,
        "proxy": {"listen_path": "/%s/" % api_id, "strip_listen_path": True, "enable_load_balancing": True,
                  "check_host_against_uptime_tests": True, "target_list": hosts},
        "uptime_tests": {"check_list": [{"url": h + "/health"} for h in hosts] if checks else []},
    })
EOF
}

# start_gateway NAME HTTP_PORT CHECKS TCP_PORT...: write the config, launch the gateway, and wait until /hello
# answers and every API relays: PING -> PONG through each tcp API, 200 through each HTTP API.
start_gateway() {
    local name=$1 http_port=$2 checks=$3 dir=$WORK/$1 port n
    shift 3
    write_gateway "$dir" "$http_port" "$checks" "$@"
    launch_gateway "$dir"
    wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" "gateway $name" "$dir/gateway.log" \
        http_ok "http://127.0.0.1:$http_port/hello"
    for port; do
        wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" "gateway $name" "$dir/gateway.log" \
            redis_ping 127.0.0.1 "$port"
    done
    for ((n = 1; n <= HTTP_APIS; n++)); do
        wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" "gateway $name" "$dir/gateway.log" \
            http_ok "http://127.0.0.1:$http_port/hc-http-$n/health"
    done
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# cpu_ticks PID: "USER SYS" CPU time of the whole process in clock ticks, every thread included, exited ones too
# (/proc/PID/stat utime and stime; the fields after the command name, which may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }

# child_ticks PID: utime + stime of PID and its children (nginx's master and worker), in clock ticks.
child_ticks() {
    local p sum=0 t
    for p in "$1" $(pgrep -P "$1" || true); do
        t=$(cpu_ticks "$p" 2>/dev/null) || continue
        sum=$((sum + ${t% *} + ${t#* }))
    done
    echo "$sum"
}

# machine_busy: "BUSY TOTAL" jiffies of all CPUs from /proc/stat (busy = all but idle and iowait).
machine_busy() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }

redis_connections() {
    redis-cli -h 127.0.0.1 -p "$PORT_REDIS" INFO stats | tr -d '\r' | awk -F: '$1 == "total_connections_received" { print $2 }'
}

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$1/status"; }
rss_mib() { awk '$1 == "VmRSS:" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
now() { date +%s.%N; }

# calc EXPR: floating-point arithmetic (awk), e.g. calc "1 / 3" prints 0.333333.
calc() { awk "BEGIN { print ($1) }"; }

# ---------------------------------------------------------------------------------------------------
main() {
    local tool
    for tool in ss curl python3 timeout awk find getconf pgrep; do
        command -v "$tool" >/dev/null || die "$tool is needed"
    done
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
    for tool in redis-server redis-cli java; do
        command -v "$tool" >/dev/null || die "$tool not found (java 17 or later is needed)"
    done
    [[ -z $PROXY_CPUS$UPSTREAM_CPUS ]] || command -v taskset >/dev/null || die "taskset (util-linux) is needed for *_CPUS"
    [[ -f $GATEWAY_JAR ]] || die "$GATEWAY_JAR is missing; build it (mvn -q -pl gateway-server -am -DskipTests package)"

    PORT_REDIS=$(pick_port PORT_REDIS 18110)
    PORT_HTTP=$(pick_port PORT_HTTP 18111 "$PORT_REDIS")
    PORT_G=$(pick_port PORT_G 18112 "$PORT_REDIS" "$PORT_HTTP")
    PORT_B=$(pick_port PORT_B 18113 "$PORT_REDIS" "$PORT_HTTP" "$PORT_G")
    local taken=("$PORT_REDIS" "$PORT_HTTP" "$PORT_G" "$PORT_B") tcp_ports=() base_ports=() i port
    local tcp_start=${PORT_TCP:-18120}
    [[ $tcp_start =~ ^[0-9]+$ ]] || die "PORT_TCP must be a port number, not '$tcp_start'"
    for ((i = 0; i < 2 * TCP_APIS; i++)); do
        port=$(pick_port _NO_SUCH_VARIABLE "$tcp_start" "${taken[@]}")
        [[ -z ${PORT_TCP:-} ]] || ((port == tcp_start + i)) || die "PORT_TCP=$PORT_TCP: port $((tcp_start + i)) is in use"
        taken+=("$port")
        if ((i < TCP_APIS)); then tcp_ports+=("$port"); else base_ports+=("$port"); fi
    done

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-hc.XXXXXX")
    mkdir -p "$WORK/http" "$WORK/samples"
    # The JVMs read classes from the jar as they need them: run a copy, so a rebuild during the run cannot pull it
    # out from under them.
    JAR_BUILT=$(date -u -r "$GATEWAY_JAR" '+%Y-%m-%d %H:%M UTC')
    cp "$GATEWAY_JAR" "$WORK/gateway.jar"
    GATEWAY_JAR=$WORK/gateway.jar

    log "$TARGETS targets: $N_TCP TCP (Redis) checks on 127.0.y.z:$PORT_REDIS in $TCP_APIS tcp APIs, $N_HTTP HTTP checks on 127.0.y.z:$PORT_HTTP/health in $HTTP_APIS http APIs; time_wait ${TIME_WAIT}s"
    log "upstreams: redis-server on *:$PORT_REDIS, nginx on *:$PORT_HTTP"
    start_upstreams

    # Both gateways run at once, so a neighbour that slows the machine slows both; the baseline has the same APIs,
    # targets and listeners, and no uptime tests.
    log "gateway with uptime tests: /hello on $PORT_G, tcp APIs on ${tcp_ports[*]:-(none)}"
    start_gateway checks "$PORT_G" 1 "${tcp_ports[@]}"
    local gw=$STARTED_PID
    log "baseline gateway, no uptime tests: /hello on $PORT_B, tcp APIs on ${base_ports[*]:-(none)}"
    start_gateway baseline "$PORT_B" 0 "${base_ports[@]}"
    local base=$STARTED_PID

    log "warm-up: ${WARMUP}s (checks run every ${TIME_WAIT}s +- 10%)"
    sleep "$WARMUP"
    local down
    down=$(grep -c 'WARN.*is down' "$WORK/checks/gateway.log" || true)
    if ((down > 0)); then
        grep 'WARN.*is down' "$WORK/checks/gateway.log" | head -n 5 | sed 's/^/[bench]   /' >&2
        die "$down hosts went down during the warm-up against healthy servers; no measurement (KEEP_TMP=1 keeps the logs)"
    fi

    # ---- the window ----
    log "measuring: ${MEASURE}s"
    local t0 t1 gw0 gw1 base0 base1 gwth0 gwth1 baseth0 baseth1 redis0 redis1 http0 http1 mach0 mach1
    local redis_cpu0 redis_cpu1 nginx_cpu0 nginx_cpu1 log0 log1 s fd fd_min fd_max bfd_min bfd_max
    redis0=$(redis_connections)
    http0=$(wc -l <"$WORK/http/access.log")
    log0=$(wc -l <"$WORK/checks/gateway.log")
    redis_cpu0=$(child_ticks "$REDIS_PID")
    nginx_cpu0=$(child_ticks "$NGINX_PID")
    mach0=$(machine_busy)
    gw0=$(cpu_ticks "$gw")
    base0=$(cpu_ticks "$base")
    gwth0=$(thread_ns "$gw")
    baseth0=$(thread_ns "$base")
    t0=$(now)
    fd_min=$(fd_count "$gw") fd_max=$fd_min
    bfd_min=$(fd_count "$base") bfd_max=$bfd_min
    echo "0 ${gw0% *} ${gw0#* } ${base0% *} ${base0#* }" >"$WORK/samples/cpu"
    for ((s = 1; s <= MEASURE; s++)); do
        sleep 1
        kill -0 "$gw" 2>/dev/null || die "the gateway with uptime tests exited during the window"
        kill -0 "$base" 2>/dev/null || die "the baseline gateway exited during the window"
        fd=$(fd_count "$gw")
        if ((fd < fd_min)); then fd_min=$fd; fi
        if ((fd > fd_max)); then fd_max=$fd; fi
        fd=$(fd_count "$base")
        if ((fd < bfd_min)); then bfd_min=$fd; fi
        if ((fd > bfd_max)); then bfd_max=$fd; fi
        if ((s % SLICE == 0 || s == MEASURE)); then
            gw1=$(cpu_ticks "$gw")
            base1=$(cpu_ticks "$base")
            echo "$s ${gw1% *} ${gw1#* } ${base1% *} ${base1#* }" >>"$WORK/samples/cpu"
        fi
    done
    gw1=$(cpu_ticks "$gw")
    base1=$(cpu_ticks "$base")
    gwth1=$(thread_ns "$gw")
    baseth1=$(thread_ns "$base")
    t1=$(now)
    mach1=$(machine_busy)
    redis_cpu1=$(child_ticks "$REDIS_PID")
    nginx_cpu1=$(child_ticks "$NGINX_PID")
    http1=$(wc -l <"$WORK/http/access.log")
    log1=$(wc -l <"$WORK/checks/gateway.log")
    # The INFO call that reads the count is a connection of its own.
    redis1=$(($(redis_connections) - 1))
    local fd_end bfd_end
    fd_end=$(fd_count "$gw")
    bfd_end=$(fd_count "$base")

    # ---- checks ----
    local elapsed tcp_checks http_checks checks http_non200 http_seen down_all up_again problems
    elapsed=$(calc "$t1 - $t0")
    tcp_checks=$((redis1 - redis0))
    http_checks=$((http1 - http0))
    checks=$((tcp_checks + http_checks))
    sed -n "$((http0 + 1)),${http1}p" "$WORK/http/access.log" >"$WORK/samples/http-window.log"
    http_non200=$(awk '$2 != 200' "$WORK/samples/http-window.log" | wc -l)
    http_seen=$(awk '{ print $1 }' "$WORK/samples/http-window.log" | sort -u | wc -l)
    # Seconds between two checks of the same HTTP host in the window: "mean min max count".
    local interval
    interval=$(awk '{ if ($1 in last) { d = $3 - last[$1]; s += d; n++; if (n == 1 || d < lo) lo = d; if (d > hi) hi = d }
        last[$1] = $3 } END { if (n) printf "%.2f %.2f %.2f %d", s / n, lo, hi, n; else print "0 0 0 0" }' \
        "$WORK/samples/http-window.log")
    down_all=$(grep -c 'WARN.*is down' "$WORK/checks/gateway.log" || true)
    up_again=$(grep -c 'is up again' "$WORK/checks/gateway.log" || true)
    problems=$(grep -E '\b(WARN|ERROR)\b' "$WORK/checks/gateway.log" "$WORK/baseline/gateway.log" |
        grep -vc 'is down' || true)

    local void=()
    ((down_all == 0)) || void+=("$down_all 'is down' lines in the gateway's log: a healthy host failed its check")
    ((up_again == 0)) || void+=("$up_again 'is up again' lines in the gateway's log")
    ((http_non200 == 0)) || void+=("$http_non200 HTTP checks in the window were answered with a status other than 200")
    # Each check runs every TIME_WAIT +- 10%: a window of 1.2 x TIME_WAIT or more sees every HTTP host.
    if ((MEASURE * 10 >= TIME_WAIT * 12)) && ((http_seen != N_HTTP)); then
        void+=("only $http_seen of the $N_HTTP HTTP hosts were checked in the window")
    fi
    # The schedule runs each check about elapsed / TIME_WAIT times. The checks start within a second of each other
    # and drift apart only slowly (the jitter is a random walk), so they come in waves, one per TIME_WAIT: a window
    # that is not a multiple of TIME_WAIT may hold one wave more or less than the average says.
    local expected_tcp expected_http
    expected_tcp=$(calc "$N_TCP * $elapsed / $TIME_WAIT")
    expected_http=$(calc "$N_HTTP * $elapsed / $TIME_WAIT")
    if awk -v m="$checks" -v e="$(calc "$expected_tcp + $expected_http")" -v n="$TARGETS" \
        'BEGIN { exit !(m < 0.95 * e - n || m > 1.05 * e + n) }'; then
        void+=("$checks checks ran where the schedule gives about $(printf '%.0f' "$(calc "$expected_tcp + $expected_http")")")
    fi

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/health-checks-$stamp.md
    mkdir -p "$report_dir"

    # seconds of CPU from ticks
    local gw_user gw_sys gw_cpu base_user base_sys base_cpu diff_cpu gw_io base_io diff_io
    gw_user=$(calc "(${gw1% *} - ${gw0% *}) / $CLK_TCK")
    gw_sys=$(calc "(${gw1#* } - ${gw0#* }) / $CLK_TCK")
    gw_cpu=$(calc "$gw_user + $gw_sys")
    base_user=$(calc "(${base1% *} - ${base0% *}) / $CLK_TCK")
    base_sys=$(calc "(${base1#* } - ${base0#* }) / $CLK_TCK")
    base_cpu=$(calc "$base_user + $base_sys")
    diff_cpu=$(calc "$gw_cpu - $base_cpu")
    local gw_groups base_groups
    gw_groups=$(thread_groups "$gwth0" "$gwth1")
    base_groups=$(thread_groups "$baseth0" "$baseth1")
    gw_io=${gw_groups%% *}
    base_io=${base_groups%% *}
    diff_io=$(calc "$gw_io - $base_io")
    local per_s pct_gw pct_base pct_diff us_gw us_diff us_io
    per_s=$(calc "$checks / $elapsed")
    pct_gw=$(calc "100 * $gw_cpu / $elapsed")
    pct_base=$(calc "100 * $base_cpu / $elapsed")
    pct_diff=$(calc "100 * $diff_cpu / $elapsed")
    us_gw=$(calc "$checks > 0 ? 1e6 * $gw_cpu / $checks : 0")
    us_diff=$(calc "$checks > 0 ? 1e6 * $diff_cpu / $checks : 0")
    us_io=$(calc "$checks > 0 ? 1e6 * $diff_io / $checks : 0")
    local mach_pct redis_s nginx_s i_mean i_min i_max i_n g_io g_gc g_jit g_other b_io b_gc b_jit b_other
    mach_pct=$(calc "100 * (${mach1% *} - ${mach0% *}) / (${mach1#* } - ${mach0#* })")
    redis_s=$(calc "($redis_cpu1 - $redis_cpu0) / $CLK_TCK")
    nginx_s=$(calc "($nginx_cpu1 - $nginx_cpu0) / $CLK_TCK")
    # CPU ms per slice of the window, for each gateway: shows a disturbed stretch.
    local slices
    slices=$(awk -v hz="$CLK_TCK" 'NR > 1 { printf "%s%d-%ds %.0f/%.0f", (NR > 2 ? ", " : ""), s, $1,
        1000 * ($2 + $3 - u) / hz, 1000 * ($4 + $5 - b) / hz } { s = $1; u = $2 + $3; b = $4 + $5 }' "$WORK/samples/cpu")

    {
        echo "# Health checks: gateway CPU for $TARGETS targets"
        echo
        if ((${#void[@]} > 0)); then
            echo "**VOID: the measurement does not count.**"
            printf -- '- %s\n' "${void[@]}"
            echo
        fi
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); nproc: $(nproc); kernel $(uname -r)"
        echo "- java: $(java -version 2>&1 | head -n 1); JAVA_OPTS: ${JAVA_OPTS:-(none)}; gateway io_threads $PROXY_THREADS, transport $TRANSPORT"
        echo "- gateway: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), jar built $JAR_BUILT"
        echo "- nginx: $("$NGINX" -v 2>&1 | head -n 1 | sed 's/^nginx version: //'); redis: $(redis-server --version | awk '{ print $3 }' | sed 's/^v=//')"
        echo "- targets: $TARGETS, each its own 127.0.y.z address: $N_TCP TCP checks (Tyk's Redis example: PING, +PONG, info replication, role:master, QUIT) against one redis-server, $N_HTTP HTTP checks (GET /health, 200) against one nginx; $TARGETS_PER_API targets per API ($TCP_APIS tcp, $HTTP_APIS http APIs), load balancing gated by the checks"
        echo "- uptime_tests: time_wait ${TIME_WAIT}s, failure_trigger_sample_size $FAILURE_TRIGGER_SAMPLE_SIZE, default check timeout (500 ms)"
        echo "- window: ${WARMUP}s after both gateways answered, $(printf '%.1f' "$elapsed")s measured; the baseline gateway (same APIs, no check_list) ran at the same time"
        if [[ -n $PROXY_CPUS$UPSTREAM_CPUS ]]; then
            echo "- CPU pinning: gateways ${PROXY_CPUS:-none}, upstreams ${UPSTREAM_CPUS:-none}"
        fi
        echo
        echo "| gateway | CPU s in window (user + sys) | % of one core | event loops CPU s | checks run (TCP + HTTP) | checks/s | CPU µs per check |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        printf '| with uptime tests | %.2f (%.2f + %.2f) | %.2f%% | %.2f | %d (%d + %d) | %.1f | %.0f |\n' \
            "$gw_cpu" "$gw_user" "$gw_sys" "$pct_gw" "$gw_io" "$checks" "$tcp_checks" "$http_checks" "$per_s" "$us_gw"
        printf '| baseline, no uptime tests | %.2f (%.2f + %.2f) | %.2f%% | %.2f | 0 | 0 | |\n' \
            "$base_cpu" "$base_user" "$base_sys" "$pct_base" "$base_io"
        printf '| **difference: the checks** | **%.2f** | **%.2f%%** | %.2f | %d | %.1f | **%.0f** (event loops: %.0f) |\n' \
            "$diff_cpu" "$pct_diff" "$diff_io" "$checks" "$per_s" "$us_diff" "$us_io"
        echo
        echo "- CPU s: utime + stime of the whole JVM from /proc/<pid>/stat ($CLK_TCK ticks/s); event loops: the gateway-io-* threads' schedstat. CPU µs per check: CPU ÷ checks run, the difference row net of the baseline."
        printf -- '- checks counted at the upstreams: %d TCP (redis total_connections_received), %d HTTP (nginx access log); the schedule gives about %.0f and %.0f\n' \
            "$tcp_checks" "$http_checks" "$expected_tcp" "$expected_http"
        echo "- HTTP hosts seen in the window: $http_seen of $N_HTTP; HTTP answers other than 200: $http_non200"
        read -r i_mean i_min i_max i_n <<<"$interval"
        if ((i_n > 0)); then
            echo "- seconds between two checks of one HTTP host (nginx's \$msec): mean $i_mean, min $i_min, max $i_max over $i_n intervals (time_wait ${TIME_WAIT}s +- 10%, plus the check itself)"
        fi
        read -r g_io g_gc g_jit g_other <<<"$gw_groups"
        read -r b_io b_gc b_jit b_other <<<"$base_groups"
        printf -- '- CPU s by thread, with checks: event loops %.2f, GC %.2f, JIT compilers %.2f, other live threads %.2f, the rest (exited threads, tick rounding) %.2f; baseline: %.2f, %.2f, %.2f, %.2f, %.2f\n' \
            "$g_io" "$g_gc" "$g_jit" "$g_other" "$(calc "$gw_cpu - $g_io - $g_gc - $g_jit - $g_other")" \
            "$b_io" "$b_gc" "$b_jit" "$b_other" "$(calc "$base_cpu - $b_io - $b_gc - $b_jit - $b_other")"
        echo "- 'is down' lines in the gateway's log, whole run: $down_all; 'is up again': $up_again; other WARN/ERROR lines (both gateways): $problems; log lines during the window: $((log1 - log0))"
        echo "- CPU ms per ${SLICE}s slice, with checks/baseline: $slices"
        echo "- open file descriptors during the window (sampled every second): with checks $fd_min-$fd_max (end $fd_end), baseline $bfd_min-$bfd_max (end $bfd_end)"
        echo "- threads at the end: with checks $(threads "$gw"), baseline $(threads "$base"); RSS: $(rss_mib "$gw") MiB, $(rss_mib "$base") MiB"
        printf -- '- upstreams CPU in the window: redis-server %.2f s, nginx %.2f s; the whole machine was %.0f%% busy (all %d CPUs)\n' \
            "$redis_s" "$nginx_s" "$mach_pct" "$(nproc)"
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
    if ((${#void[@]} > 0)); then
        printf '[bench] VOID: %s\n' "${void[@]}" >&2
        if ((down_all > 0)); then
            grep 'WARN.*is down' "$WORK/checks/gateway.log" | head -n 5 | sed 's/^/[bench]   /' >&2
        fi
        exit 1
    fi
}

main "$@"
