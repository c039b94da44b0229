#!/usr/bin/env bash
# TCP relay benchmark: the gateway's TCP services against HAProxy in mode tcp (option splice-auto), both in
# front of the same two upstreams: an iperf3 server (bulk throughput) and a redis-server (many small
# request/response exchanges, redis-benchmark). See bench/README.md for what is measured and why.
#
#   bench/tcp-relay.sh                                        # full run (builds the gateway if needed)
#   ROUNDS=1 DURATION=3 WARMUP=1 REDIS_REQUESTS=20000 bench/tcp-relay.sh   # quick check
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [10s]  WARMUP [3s]   rounds; iperf3 -t per target per round, and for its warm-up
#                                             (whole seconds: 10 or 10s)
#   IPERF_STREAMS [1]   iperf3 -P (parallel streams)   IPERF_REVERSE [0]  1: iperf3 -R (server sends)
#   REDIS_REQUESTS [100000]  REDIS_CLIENTS [50]  REDIS_PIPELINE [1]   redis-benchmark -n, -c, -P per test
#   REDIS_WARMUP [20000]     redis-benchmark -n of the warm-up per target
#   PORT_IPERF [18100]  PORT_REDIS [18101]        the upstreams (iperf3 -s, redis-server)
#   PORT_H_IPERF [18102]  PORT_H_REDIS [18103]    HAProxy's frontends
#   PORT_G_IPERF [18104]  PORT_G_REDIS [18105]    the gateway's TCP services
#   PORT_G [18106]                                the gateway's own HTTP port (/hello)
#                       a busy default moves to the next free port, a busy port given explicitly is an error
#   PROXY_THREADS [2]   threads each proxy runs: HAProxy nbthread and the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   PROXY_CPUS, UPSTREAM_CPUS, LOAD_CPUS   optional taskset CPU lists (LOAD_CPUS: iperf3 -c, redis-benchmark)
#   JAVA_OPTS           extra JVM options for the gateway
#   GATEWAY_JAR [gateway-server/target/gateway.jar]
#   SKIP_GATEWAY [0]    1: benchmark direct and HAProxy only (no build, no gateway, no ratios)
#   KEEP_TMP [0]        1: keep the temp dir (configs, logs, raw iperf3 JSON and redis-benchmark CSV)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
IPERF_STREAMS=${IPERF_STREAMS:-1}
IPERF_REVERSE=${IPERF_REVERSE:-0}
REDIS_REQUESTS=${REDIS_REQUESTS:-100000}
REDIS_CLIENTS=${REDIS_CLIENTS:-50}
REDIS_PIPELINE=${REDIS_PIPELINE:-1}
REDIS_WARMUP=${REDIS_WARMUP:-20000}
PROXY_THREADS=${PROXY_THREADS:-2}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
LOAD_CPUS=${LOAD_CPUS:-}

# redis-benchmark -t ping,set,get runs these four tests, in this order (ping runs both forms).
REDIS_TESTS=(PING_INLINE PING_MBULK SET GET)
# The commands the redis verdict takes the median over: ping in RESP form (as clients send it, like SET and
# GET), SET and GET. PING_INLINE is reported too.
REDIS_VERDICT_TESTS=(PING_MBULK SET GET)
# How long a started process may take to answer before we give up.
UPSTREAM_READY_SECONDS=10
GATEWAY_READY_SECONDS=30

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, CPU pinning,
# gateway launching, medians and the gateway's per-thread CPU: shared with the other bench scripts.
. "$ROOT/bench/lib.sh"

# iperf3 -t takes whole seconds: accept 10 or 10s.
for var in DURATION WARMUP; do
    [[ ${!var} =~ ^([0-9]+)s?$ ]] && ((BASH_REMATCH[1] > 0)) ||
        die "$var must be a positive number of seconds (10 or 10s), not '${!var}'"
    printf -v "$var" '%s' "${BASH_REMATCH[1]}"
done
check_flags IPERF_REVERSE SKIP_GATEWAY KEEP_TMP
check_positive ROUNDS IPERF_STREAMS REDIS_REQUESTS REDIS_CLIENTS REDIS_PIPELINE REDIS_WARMUP PROXY_THREADS

# HAProxy's client and server timeouts: 60 s, or longer when an iperf3 test is, as iperf3's control connection
# stays idle for the whole test.
HAPROXY_TIMEOUT=$((DURATION + 30 > 60 ? DURATION + 30 : 60))

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    command -v iperf3 >/dev/null || pkgs+=(iperf3)
    command -v redis-benchmark >/dev/null && command -v redis-cli >/dev/null || pkgs+=(redis-tools)
    command -v redis-server >/dev/null || pkgs+=(redis-server)
    haproxy_bin >/dev/null || pkgs+=(haproxy)
    # apt_install sets DEBIAN_FRONTEND=noninteractive: iperf3's package asks through debconf whether to start
    # a daemon, and the default (no) is what we want.
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

# listening PORT: whether something listens on 127.0.0.1:PORT (or on every address).
listening() { ! port_free "$1"; }

# redis_ping PORT: redis-cli PING through PORT prints PONG.
redis_ping() { [[ $(timeout 5 redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null) == PONG ]]; }

hello_ok() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT_G/hello" 2>/dev/null; }

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstreams() {
    # iperf3 serves one test at a time; the runs below are sequential.
    start_bg iperf3-server "$UPSTREAM_CPUS" iperf3 -s -p "$PORT_IPERF"
    wait_until "$UPSTREAM_READY_SECONDS" "$STARTED_PID" "iperf3 server" "$WORK/iperf3-server.log" \
        listening "$PORT_IPERF"
    start_bg redis-server "$UPSTREAM_CPUS" redis-server --port "$PORT_REDIS" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$WORK"
    wait_until "$UPSTREAM_READY_SECONDS" "$STARTED_PID" redis-server "$WORK/redis-server.log" \
        redis_ping "$PORT_REDIS"
}

start_haproxy() {
    local maxconn
    maxconn=$(haproxy_maxconn)
    cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $PROXY_THREADS
    maxconn $maxconn

defaults
    mode tcp
    option splice-auto
    maxconn $maxconn
    timeout connect 5s
    timeout client ${HAPROXY_TIMEOUT}s
    timeout server ${HAPROXY_TIMEOUT}s

frontend iperf_in
    bind 127.0.0.1:$PORT_H_IPERF
    default_backend iperf

backend iperf
    server iperf3 127.0.0.1:$PORT_IPERF

frontend redis_in
    bind 127.0.0.1:$PORT_H_REDIS
    default_backend redis

backend redis
    server redis 127.0.0.1:$PORT_REDIS
EOF
    "$HAPROXY" -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || {
        cat "$WORK/haproxy-check.log" >&2
        die "haproxy -c rejected $WORK/haproxy.cfg"
    }
    # -db: foreground, no master process, so $! is HAProxy itself and its threads are its tasks.
    start_bg haproxy "$PROXY_CPUS" "$HAPROXY" -db -f "$WORK/haproxy.cfg"
    wait_until "$UPSTREAM_READY_SECONDS" "$STARTED_PID" haproxy "$WORK/haproxy.log" listening "$PORT_H_IPERF"
    wait_until "$UPSTREAM_READY_SECONDS" "$STARTED_PID" haproxy "$WORK/haproxy.log" redis_ping "$PORT_H_REDIS"
}

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "ports_whitelist": {"tcp": {"ports": [$PORT_G_IPERF, $PORT_G_REDIS]}}}
EOF
    cat >"$dir/apps/iperf.json" <<EOF
{"api_id": "iperf", "name": "iperf", "protocol": "tcp", "listen_port": $PORT_G_IPERF,
 "proxy": {"target_url": "127.0.0.1:$PORT_IPERF"}}
EOF
    cat >"$dir/apps/redis.json" <<EOF
{"api_id": "redis", "name": "redis", "protocol": "tcp", "listen_port": $PORT_G_REDIS,
 "proxy": {"target_url": "127.0.0.1:$PORT_REDIS"}}
EOF
    launch_gateway "$dir"
    wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" hello_ok
    # The TCP ports are bound after the HTTP one; iperf3's is checked by listening only (a bare connect would
    # reach the iperf3 server as a test without a cookie), redis's end to end.
    wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" listening "$PORT_G_IPERF"
    wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" redis_ping "$PORT_G_REDIS"
}

# ---------------------------------------------------------------------------------------------------
# Checks
# redis_roundtrip PORT NAME: SET a 1 MiB value through PORT and GET it back byte for byte, so a relay that
# loses, reorders or truncates data under a large transfer fails here rather than in a benchmark number.
redis_roundtrip() {
    local port=$1 name=$2 key=bench:tcp-relay:$2
    redis-cli -h 127.0.0.1 -p "$port" -x SET "$key" <"$WORK/value.bin" >"$WORK/check-$name.set" 2>&1 &&
        [[ $(cat "$WORK/check-$name.set") == OK ]] &&
        redis-cli -h 127.0.0.1 -p "$port" GET "$key" >"$WORK/check-$name.get" 2>&1 &&
        # redis-cli prints the value and a newline.
        cmp -s <(head -c -1 "$WORK/check-$name.get") "$WORK/value.bin" &&
        redis-cli -h 127.0.0.1 -p "$port" DEL "$key" >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# run_iperf NAME PORT SECONDS OUTFILE: one iperf3 test (JSON). The server takes a moment to reset after a
# test; a "server is busy" answer is retried a few times.
run_iperf() {
    local name=$1 port=$2 secs=$3 out=$4 try args
    args=(-c 127.0.0.1 -p "$port" -t "$secs" -P "$IPERF_STREAMS" -J --connect-timeout 5000)
    ((IPERF_REVERSE)) && args+=(-R)
    pin "$LOAD_CPUS"
    for try in 1 2 3 4 5; do
        if timeout --foreground -k 5 $((secs + 30)) "${PIN[@]}" iperf3 "${args[@]}" >"$out" 2>"$out.err"; then
            return 0
        fi
        grep -q 'busy' "$out" "$out.err" 2>/dev/null || break
        sleep 1
    done
    cat "$out" "$out.err" >&2
    die "iperf3 failed against $name (port $port; exit status 124 means it ran past $((secs + 30))s)"
}

# parse_iperf FILE: "gbit_per_s retransmits" from iperf3's JSON (end.sum_received, end.sum_sent).
parse_iperf() {
    python3 - "$1" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
if d.get("error"):
    sys.exit("iperf3: " + d["error"])
end = d["end"]
received = end["sum_received"]
if received["bytes"] <= 0:
    sys.exit("iperf3: no bytes received")
print("%.3f %d" % (received["bits_per_second"] / 1e9, end.get("sum_sent", {}).get("retransmits", 0)))
EOF
}

# run_redis NAME PORT REQUESTS OUTFILE: redis-benchmark -t ping,set,get, CSV output.
run_redis() {
    local name=$1 port=$2 n=$3 out=$4 limit
    # Generous: 4 tests at 1000 req/s or more.
    limit=$((60 + 4 * n / 1000))
    pin "$LOAD_CPUS"
    if ! timeout --foreground -k 5 "$limit" "${PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -t ping,set,get \
        -n "$n" -c "$REDIS_CLIENTS" -P "$REDIS_PIPELINE" --csv >"$out" 2>"$out.err"; then
        cat "$out" "$out.err" >&2
        die "redis-benchmark failed against $name (port $port; exit status 124 means it ran past ${limit}s)"
    fi
}

# parse_redis FILE: the req/s of each of REDIS_TESTS, space-separated, from redis-benchmark --csv; fails when
# one is missing or the output shows an error.
parse_redis() {
    awk -F'"?,"?' -v tests="${REDIS_TESTS[*]}" '
        { gsub(/^"|"$/, "") }
        $1 == "test" { next }
        /rror|ERR/ { exit 1 }
        { rps[$1] = $2 }
        END {
            n = split(tests, t, " ")
            for (i = 1; i <= n; i++) {
                if (!(t[i] in rps) || rps[t[i]] + 0 <= 0) exit 1
                printf "%s%.0f", (i > 1 ? " " : ""), rps[t[i]]
            }
            print ""
        }' "$1"
}

# ratio A B: A / B with two decimals, 0 when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

# ---------------------------------------------------------------------------------------------------
main() {
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    command -v curl >/dev/null || die "curl is needed"
    command -v python3 >/dev/null || die "python3 is needed (it reads iperf3's JSON)"
    command -v timeout >/dev/null || die "timeout (coreutils) is needed"
    install_missing
    HAPROXY=$(haproxy_bin) || die "haproxy not found after install"
    local tool
    for tool in iperf3 redis-benchmark redis-cli redis-server; do
        command -v "$tool" >/dev/null || die "$tool not found after install"
    done
    if [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]]; then
        command -v taskset >/dev/null || die "taskset (util-linux) is needed for *_CPUS"
    fi

    if [[ $SKIP_GATEWAY != 1 ]]; then
        command -v java >/dev/null || die "java (17 or later) is needed"
        if [[ ! -f $GATEWAY_JAR ]]; then
            log "building the gateway (mvn -q -pl gateway-server -am -DskipTests package)"
            (cd "$ROOT" && { mvn -q -o -pl gateway-server -am -DskipTests package ||
                mvn -q -pl gateway-server -am -DskipTests package; }) >&2
            [[ -f $GATEWAY_JAR ]] || die "the build did not produce $GATEWAY_JAR"
        fi
    fi

    PORT_IPERF=$(pick_port PORT_IPERF 18100)
    PORT_REDIS=$(pick_port PORT_REDIS 18101 "$PORT_IPERF")
    PORT_H_IPERF=$(pick_port PORT_H_IPERF 18102 "$PORT_IPERF" "$PORT_REDIS")
    PORT_H_REDIS=$(pick_port PORT_H_REDIS 18103 "$PORT_IPERF" "$PORT_REDIS" "$PORT_H_IPERF")
    local taken=("$PORT_IPERF" "$PORT_REDIS" "$PORT_H_IPERF" "$PORT_H_REDIS")
    PORT_G_IPERF=$(pick_port PORT_G_IPERF 18104 "${taken[@]}")
    PORT_G_REDIS=$(pick_port PORT_G_REDIS 18105 "${taken[@]}" "$PORT_G_IPERF")
    PORT_G=$(pick_port PORT_G 18106 "${taken[@]}" "$PORT_G_IPERF" "$PORT_G_REDIS")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-tcp.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/iperf3" "$WORK/redis"
    # 1 MiB of printable random bytes for the round-trip check.
    head -c 786432 /dev/urandom | base64 -w 0 >"$WORK/value.bin"

    local targets=(direct haproxy)
    local -A iperf_port=([direct]=$PORT_IPERF [haproxy]=$PORT_H_IPERF)
    local -A redis_port=([direct]=$PORT_REDIS [haproxy]=$PORT_H_REDIS)

    log "upstreams: iperf3 -s on 127.0.0.1:$PORT_IPERF, redis-server on 127.0.0.1:$PORT_REDIS"
    start_upstreams
    log "haproxy mode tcp, splice-auto, nbthread $PROXY_THREADS: iperf3 on $PORT_H_IPERF, redis on $PORT_H_REDIS"
    start_haproxy
    PROXY_PID[haproxy]=$STARTED_PID
    if gateway_started "($GATEWAY_JAR), io_threads $PROXY_THREADS: /hello on $PORT_G, iperf3 on $PORT_G_IPERF, redis on $PORT_G_REDIS"; then
        targets+=(gateway)
        iperf_port[gateway]=$PORT_G_IPERF
        redis_port[gateway]=$PORT_G_REDIS
    fi

    # End to end before anything is measured: PING answers PONG and a 1 MiB value comes back intact through
    # every target. (iperf3 through each target is checked by its warm-up, which must move bytes.)
    local t
    for t in "${targets[@]}"; do
        redis_ping "${redis_port[$t]}" || die "$t: redis-cli -p ${redis_port[$t]} PING did not print PONG"
        redis_roundtrip "${redis_port[$t]}" "$t" ||
            die "$t: a 1 MiB value did not come back intact through port ${redis_port[$t]} (see $WORK/check-$t.*; KEEP_TMP=1 keeps them)"
        : >"$WORK/results/$t.iperf"
        : >"$WORK/results/$t.redis"
    done
    log "redis-cli PING -> PONG and a 1 MiB SET/GET round trip through: ${targets[*]}"

    local line
    for t in "${targets[@]}"; do
        log "warm-up $t: iperf3 ${WARMUP}s, redis-benchmark -n $REDIS_WARMUP"
        run_iperf "$t" "${iperf_port[$t]}" "$WARMUP" "$WORK/iperf3/warmup-$t.json"
        line=$(parse_iperf "$WORK/iperf3/warmup-$t.json") || die "$t: iperf3 warm-up moved no data"
        log "  iperf3 warm-up $t: ${line%% *} Gbit/s"
        run_redis "$t" "${redis_port[$t]}" "$REDIS_WARMUP" "$WORK/redis/warmup-$t.csv"
        parse_redis "$WORK/redis/warmup-$t.csv" >/dev/null || {
            cat "$WORK/redis/warmup-$t.csv" >&2
            die "$t: could not parse the redis-benchmark warm-up"
        }
    done

    local round before split gbps retr
    for ((round = 1; round <= ROUNDS; round++)); do
        for t in "${targets[@]}"; do
            before=$(worker_cpu "$t")
            run_iperf "$t" "${iperf_port[$t]}" "$DURATION" "$WORK/iperf3/round$round-$t.json"
            split=$(cpu_split "$before" "$(worker_cpu "$t")")
            [[ -n $split ]] && echo "$split" >>"$WORK/results/$t.iperf.split"
            line=$(parse_iperf "$WORK/iperf3/round$round-$t.json") || die "could not read iperf3's result for $t"
            echo "$line" >>"$WORK/results/$t.iperf"
            read -r gbps retr <<<"$line"
            log "round $round/$ROUNDS $(printf '%-8s iperf3 %8s Gbit/s  retransmits %s' "$t" "$gbps" "$retr")${split:+  thread CPU ms $split}"

            before=$(worker_cpu "$t")
            run_redis "$t" "${redis_port[$t]}" "$REDIS_REQUESTS" "$WORK/redis/round$round-$t.csv"
            split=$(cpu_split "$before" "$(worker_cpu "$t")")
            if [[ -n $split ]]; then
                echo "$split" >>"$WORK/results/$t.redis.split"
                # CPU per request: every proxy thread's CPU in the round over the requests of its four tests.
                awk -F/ -v n=$((REDIS_REQUESTS * ${#REDIS_TESTS[@]})) '{ s = 0; for (i = 1; i <= NF; i++) s += $i
                    printf "%.2f\n", s * 1000 / n }' <<<"$split" >>"$WORK/results/$t.redis.cpu"
            fi
            line=$(parse_redis "$WORK/redis/round$round-$t.csv") || {
                cat "$WORK/redis/round$round-$t.csv" "$WORK/redis/round$round-$t.csv.err" >&2
                die "could not parse redis-benchmark output for $t"
            }
            echo "$line" >>"$WORK/results/$t.redis"
            log "round $round/$ROUNDS $(printf '%-8s redis  %s' "$t" "$(paste -d= <(printf '%s\n' "${REDIS_TESTS[@]}") <(tr ' ' '\n' <<<"$line") | paste -sd ' ')") req/s${split:+  thread CPU ms $split}"
        done
    done

    # Still relaying after the load?
    local -A after_ok=()
    for t in "${targets[@]}"; do
        if redis_ping "${redis_port[$t]}" && redis_roundtrip "${redis_port[$t]}" "$t-after"; then
            after_ok[$t]=yes
        else
            after_ok[$t]=NO
            log "$t: PING or the 1 MiB round trip failed after the load"
        fi
    done
    local gateway_problems
    gateway_problems=$(gateway_log_problems)

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/tcp-relay-$stamp.md
    mkdir -p "$report_dir"

    local -A med_gbps=() med_rps=() redis_ratio=()
    local i test_name
    for t in "${targets[@]}"; do
        med_gbps[$t]=$(col "$WORK/results/$t.iperf" 1 | median)
        for i in "${!REDIS_TESTS[@]}"; do
            med_rps[$t:${REDIS_TESTS[$i]}]=$(col "$WORK/results/$t.redis" $((i + 1)) | median)
        done
    done
    # Per target: the median over REDIS_VERDICT_TESTS of its req/s ratio to haproxy.
    for t in "${targets[@]}"; do
        redis_ratio[$t]=$(for test_name in "${REDIS_VERDICT_TESTS[@]}"; do
            ratio "${med_rps[$t:$test_name]}" "${med_rps[haproxy:$test_name]}"
            echo
        done | median)
    done

    {
        echo "# TCP relay benchmark: iperf3 throughput and redis-benchmark req/s"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- haproxy: $("$HAPROXY" -v 2>&1 | head -n 1)"
        echo "- iperf3: $(iperf3 --version 2>&1 | head -n 1)"
        echo "- redis: $(redis-server --version 2>&1 | head -n 1)"
        if [[ $SKIP_GATEWAY != 1 ]]; then
            echo "- java: $(java -version 2>&1 | head -n 1); JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        fi
        echo "- iperf3: -t $DURATION -P $IPERF_STREAMS$( ((IPERF_REVERSE)) && echo " -R (server sends)"), $ROUNDS interleaved rounds after a ${WARMUP}s warm-up per target"
        echo "- redis-benchmark: -t ping,set,get -n $REDIS_REQUESTS -c $REDIS_CLIENTS -P $REDIS_PIPELINE, same rounds, after a -n $REDIS_WARMUP warm-up per target"
        echo "- proxies: $PROXY_THREADS threads each (haproxy nbthread, mode tcp, option splice-auto; gateway io_threads, transport $TRANSPORT, protocol tcp APIs)"
        if [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]]; then
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstreams ${UPSTREAM_CPUS:-none}, load ${LOAD_CPUS:-none}"
        fi
        echo
        echo "## iperf3 throughput"
        echo
        echo "| target | Gbit/s (median) | ratio to haproxy | ratio to direct | rounds (Gbit/s) | retransmits (sum) |"
        echo "| --- | ---: | ---: | ---: | --- | ---: |"
        for t in "${targets[@]}"; do
            printf '| %s | %.2f | %sx | %sx | %s | %d |\n' "$t" "${med_gbps[$t]}" \
                "$(ratio "${med_gbps[$t]}" "${med_gbps[haproxy]}")" "$(ratio "${med_gbps[$t]}" "${med_gbps[direct]}")" \
                "$(col "$WORK/results/$t.iperf" 1 | paste -sd ' ' | sed 's/ / \/ /g')" \
                "$(col "$WORK/results/$t.iperf" 2 | total)"
        done
        echo
        for t in haproxy gateway; do
            if [[ -s $WORK/results/$t.iperf.split ]]; then
                echo "- $t CPU ms per thread, by round: $(paste -sd ' ' "$WORK/results/$t.iperf.split" | sed 's/ /, /g')"
            fi
        done
        echo
        echo "## redis-benchmark req/s"
        echo
        printf '| target |'
        printf ' %s req/s |' "${REDIS_TESTS[@]}"
        echo " ratio to haproxy (median of ${REDIS_VERDICT_TESTS[*]}) | PING and 1 MiB round trip after load |"
        printf '| --- |'
        for test_name in "${REDIS_TESTS[@]}"; do printf ' ---: |'; done
        echo ' ---: | --- |'
        for t in "${targets[@]}"; do
            printf '| %s |' "$t"
            for test_name in "${REDIS_TESTS[@]}"; do
                printf ' %.0f (%sx) |' "${med_rps[$t:$test_name]}" \
                    "$(ratio "${med_rps[$t:$test_name]}" "${med_rps[haproxy:$test_name]}")"
            done
            printf ' %.2fx | %s |\n' "${redis_ratio[$t]}" "${after_ok[$t]}"
        done
        echo
        echo "Each cell: the median req/s over rounds, and in brackets its ratio to haproxy's."
        echo
        for t in haproxy gateway; do
            if [[ -s $WORK/results/$t.redis.split ]]; then
                echo "- $t CPU ms per thread, by round: $(paste -sd ' ' "$WORK/results/$t.redis.split" | sed 's/ /, /g')"
                echo "- $t CPU µs per request (all its threads), by round: $(paste -sd ' ' "$WORK/results/$t.redis.cpu" | sed 's/ /, /g'); median $(median <"$WORK/results/$t.redis.cpu")"
            fi
        done
        echo
        echo "## Targets"
        echo
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway ratios."
            printf -- '- haproxy/direct iperf3: %sx\n' "$(ratio "${med_gbps[haproxy]}" "${med_gbps[direct]}")"
        else
            local per_test=""
            for test_name in "${REDIS_TESTS[@]}"; do
                per_test+="$test_name $(ratio "${med_rps[gateway:$test_name]}" "${med_rps[haproxy:$test_name]}")x, "
            done
            local cpu_ratio=""
            if [[ -s $WORK/results/gateway.redis.cpu && -s $WORK/results/haproxy.redis.cpu ]]; then
                cpu_ratio=$(ratio "$(median <"$WORK/results/gateway.redis.cpu")" \
                    "$(median <"$WORK/results/haproxy.redis.cpu")")
            fi
            awk -v gh="$(ratio "${med_gbps[gateway]}" "${med_gbps[haproxy]}")" -v cr="$cpu_ratio" \
                -v gd="$(ratio "${med_gbps[gateway]}" "${med_gbps[direct]}")" -v rr="${redis_ratio[gateway]}" \
                -v per="${per_test%, }" -v after="${after_ok[gateway]}" -v problems="$gateway_problems" \
                -v tests="${REDIS_VERDICT_TESTS[*]}" 'BEGIN {
                suffix = (after == "yes") ? "" : " (but the gateway failed PING or the round trip after the load)"
                v = (gh >= 1.0) ? "met" : "NOT met"
                printf "- gateway/haproxy iperf3: %.2fx (target >= 1.00x): %s%s\n", gh, v, suffix
                v = (gd >= 0.8) ? "met" : "NOT met"
                printf "- gateway/direct iperf3: %.2fx (target >= 0.80x): %s%s\n", gd, v, suffix
                v = (rr >= 1.0) ? "met" : "NOT met"
                printf "- gateway/haproxy redis-benchmark, median over %s: %.2fx (target >= 1.00x): %s%s\n", tests, rr, v, suffix
                printf "- gateway/haproxy redis-benchmark per test: %s\n", per
                if (cr != "") {
                    v = (cr <= 1.0) ? "met" : "NOT met"
                    printf "- gateway/haproxy redis-benchmark CPU per request (median of rounds): %.2fx (target <= 1.00x): %s\n", cr, v
                }
                printf "- gateway log: %d WARN/ERROR lines\n", problems
            }'
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
    [[ ${after_ok[*]} != *NO* ]] || exit 1
}

main "$@"
