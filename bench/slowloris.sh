#!/usr/bin/env bash
# Slowloris benchmark: a thousand connections each trickling a request head one byte a second, against the gateway,
# nginx and HAProxy in turn, all in front of the same nginx upstream, while a good client runs a fixed-rate load
# through the same proxy. Does the good client still get fast answers, and does the proxy close every trickling
# connection at its header timeout? See bench/README.md for what is measured and why.
#
#   bench/slowloris.sh                                  # full run (builds the gateway if needed), about 11 min
#   ROUNDS=1 DURATION=12 WARMUP=12 bench/slowloris.sh   # a quick check of the script, about 3 min
#
# Environment (defaults in brackets):
#   ROUNDS [3]           interleaved rounds; in each, every target is attacked in turn
#   DURATION [20]        seconds of good-client load per target per round (whole seconds)
#   WARMUP [20]          seconds of h2load flat out per target before the rounds, so the gateway's JIT is done
#   RATE [1000]          the good client's fixed rate, requests/s in total (h2load --h1 --rps RATE/CONNECTIONS)
#   CONNECTIONS [10]     the good client's keep-alive connections (h2load -c; -m 1, one request at a time)
#   ATTACK_CONNECTIONS [1000]   trickling connections the attacker holds open
#   REOPEN [1]           1: a connection the proxy closes is replaced at once, so the attack lasts the whole load;
#                        0: each of the ATTACK_CONNECTIONS is opened once
#   TRICKLE_INTERVAL [1] seconds between two bytes of a trickled head
#   HEADER_TIMEOUT [10]  seconds: nginx client_header_timeout, HAProxy timeout http-request, and the gateway's
#                        read_header_timeout (its default, 10, is left to the default: no http_server_options)
#   CLOSE_SLACK [2]      seconds past HEADER_TIMEOUT by which every attacker connection must have been closed
#   P99_TARGET_MS [100]  the gateway's good-client p99 must stay below this under the attack
#   BASELINE [1]         1: each target also gets the good load alone, just before its attack, for comparison
#   PORT_U [18190]  PORT_N [18191]  PORT_H [18192]  PORT_G [18193]   upstream / nginx / HAProxy / gateway ports;
#                        a busy default moves to the next free port, a busy port given explicitly is an error
#   PROXY_THREADS [2]    threads each proxy runs: nginx worker_processes, HAProxy nbthread, the gateway's io_threads
#   TRANSPORT [auto]     the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   NGINX_REUSEPORT [1]  1: the nginx proxy listens with reuseport
#   PROXY_CPUS, UPSTREAM_CPUS, LOAD_CPUS   optional taskset CPU lists (LOAD_CPUS: h2load and the attacker)
#   JAVA_OPTS            extra JVM options for the gateway
#   GATEWAY_JAR [gateway-server/target/gateway.jar]
#   SKIP_GATEWAY [0]     1: nginx and HAProxy only (no build, no gateway, no ratios)
#   KEEP_TMP [0]         1: keep the temp dir (configs, logs, h2load output, one line per attacker connection)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
RATE=${RATE:-1000}
CONNECTIONS=${CONNECTIONS:-10}
ATTACK_CONNECTIONS=${ATTACK_CONNECTIONS:-1000}
REOPEN=${REOPEN:-1}
TRICKLE_INTERVAL=${TRICKLE_INTERVAL:-1}
HEADER_TIMEOUT=${HEADER_TIMEOUT:-10}
CLOSE_SLACK=${CLOSE_SLACK:-2}
P99_TARGET_MS=${P99_TARGET_MS:-100}
BASELINE=${BASELINE:-1}
PROXY_THREADS=${PROXY_THREADS:-2}
NGINX_REUSEPORT=${NGINX_REUSEPORT:-1}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
LOAD_CPUS=${LOAD_CPUS:-}

# The gateway's read_header_timeout when http_server_options does not set it (docs/configuration.md).
GATEWAY_DEFAULT_HEADER_TIMEOUT=10
# How long a started process may take to answer, and the attacker to open its connections, before we give up.
NGINX_READY_SECONDS=10
GATEWAY_READY_SECONDS=30
OPEN_SECONDS=60
# Connections the warm-up runs flat out with (h2load -c).
WARMUP_CONNECTIONS=16
# Descriptors each process keeps beyond its connections (listeners, logs, the JVM's jars, epoll).
FD_MARGIN=256
# What the gateway keeps out of its default max_connections beyond that: 128 and its accept backlog (1024).
GATEWAY_FD_RESERVE=$((128 + 1024))
ATTACKER=$ROOT/bench/slowloris.py
# The upstream's fixed body: every target must return it.
BODY=slowloris-bench

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, CPU pinning, the
# upstream, nginx, HAProxy and gateway launching, medians, CPU samples and h2load parsing: shared with the other
# bench scripts.
. "$ROOT/bench/lib.sh"

for var in DURATION WARMUP HEADER_TIMEOUT; do
    [[ ${!var} =~ ^([0-9]+)s?$ ]] && ((BASH_REMATCH[1] > 0)) ||
        die "$var must be a positive number of seconds (20 or 20s), not '${!var}'"
    printf -v "$var" '%s' "${BASH_REMATCH[1]}"
done
check_flags REOPEN BASELINE NGINX_REUSEPORT SKIP_GATEWAY KEEP_TMP
check_positive ROUNDS RATE CONNECTIONS ATTACK_CONNECTIONS PROXY_THREADS P99_TARGET_MS
[[ $CLOSE_SLACK =~ ^[0-9]+$ ]] || die "CLOSE_SLACK must be a whole number of seconds, not '$CLOSE_SLACK'"
[[ $TRICKLE_INTERVAL =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v i="$TRICKLE_INTERVAL" 'BEGIN { exit !(i > 0) }' ||
    die "TRICKLE_INTERVAL must be a positive number of seconds, not '$TRICKLE_INTERVAL'"
RPS_PER_CLIENT=$(per_client_rps "$RATE" "$CONNECTIONS")
# By when every attacker connection must be closed, counted from its connect (its first byte goes at once).
CLOSE_LIMIT=$((HEADER_TIMEOUT + CLOSE_SLACK))
# The attacker trickles on for this long once all its connections are open: through the good client's whole run.
# Then it opens no more, and waits for each still open to be closed, or to outlive CLOSE_LIMIT (survived).
ATTACK_HOLD=$((DURATION + 1))

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    haproxy_bin >/dev/null || pkgs+=(haproxy)
    command -v h2load >/dev/null || pkgs+=(nghttp2-client)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

# check_fd_limit: raises the soft open-files limit to the hard one and makes sure it holds the attack: the attacker
# holds a descriptor per connection, and a proxy two per proxied connection (nginx per worker at worst). The
# gateway's default max_connections is half of what the limit leaves after its descriptors at start, 128 more and its
# accept backlog (docs/configuration.md); the gateway's start-up line says what it came to, and the report quotes it.
check_fd_limit() {
    local need
    raise_fd_limit
    FD_LIMIT=$(ulimit -Sn)
    [[ $FD_LIMIT == unlimited ]] && return 0
    need=$((2 * (ATTACK_CONNECTIONS + CONNECTIONS + WARMUP_CONNECTIONS) + FD_MARGIN + GATEWAY_FD_RESERVE))
    ((FD_LIMIT >= need)) ||
        die "the open-files limit ($FD_LIMIT, hard) is below the $need this attack needs;" \
            "raise ulimit -Hn, or lower ATTACK_CONNECTIONS"
}

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_haproxy() {
    local maxconn
    maxconn=$(haproxy_maxconn)
    ((maxconn >= ATTACK_CONNECTIONS + CONNECTIONS + WARMUP_CONNECTIONS)) ||
        die "haproxy's maxconn ($maxconn, from the open-files limit) cannot hold the attack; lower ATTACK_CONNECTIONS"
    # timeout http-request is the header timeout under test; the others are kept well clear of it: the client's
    # (30 s) would otherwise cut a trickled head too, and http-keep-alive would default to http-request.
    cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $PROXY_THREADS
    maxconn $maxconn

defaults
    mode http
    maxconn $maxconn
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request ${HEADER_TIMEOUT}s
    timeout http-keep-alive 75s

frontend bench_in
    bind 127.0.0.1:$PORT_H
    default_backend bench

backend bench
    server upstream 127.0.0.1:$PORT_U
EOF
    "$HAPROXY" -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || {
        cat "$WORK/haproxy-check.log" >&2
        die "haproxy -c rejected $WORK/haproxy.cfg"
    }
    # -db: foreground, no master process, so $! is HAProxy itself and its threads are its tasks.
    start_bg haproxy "$PROXY_CPUS" "$HAPROXY" -db -f "$WORK/haproxy.cfg"
    wait_until "$NGINX_READY_SECONDS" "$STARTED_PID" haproxy "$WORK/haproxy.log" http_ok "http://127.0.0.1:$PORT_H/"
}

start_gateway() {
    local dir=$WORK/gateway options=""
    mkdir -p "$dir/apps"
    # The default read_header_timeout is what is under test; a HEADER_TIMEOUT other than it is written out.
    ((HEADER_TIMEOUT == GATEWAY_DEFAULT_HEADER_TIMEOUT)) ||
        options=", \"http_server_options\": {\"read_header_timeout\": $HEADER_TIMEOUT}"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT"$options}
EOF
    cat >"$dir/apps/bench.json" <<EOF
{"api_id": "bench", "name": "bench", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "/", "target_url": "http://127.0.0.1:$PORT_U", "strip_listen_path": false}}
EOF
    launch_gateway "$dir"
    wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" http_ok "http://127.0.0.1:$PORT_G/"
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# run_h2load NAME URL SECONDS OUTFILE [LOGFILE]: HTTP/1.1 keep-alive GETs, one at a time per connection: with a
# LOGFILE the good client, CONNECTIONS at RPS_PER_CLIENT each, logging every request; without, the warm-up, flat
# out. timeout is only a backstop; --foreground lets Ctrl-C reach it.
run_h2load() {
    local url=$2 secs=$3 out=$4 args
    if [[ -n ${5:-} ]]; then
        args=(-c "$CONNECTIONS" -t 1 --rps="$RPS_PER_CLIENT" --log-file="$5")
    else
        args=(-c "$WARMUP_CONNECTIONS" -t 1)
    fi
    pin "$LOAD_CPUS"
    timeout --foreground -k 5 $((secs + 30)) "${PIN[@]}" h2load --h1 -m 1 -D "$secs" "${args[@]}" "$url" \
        >"$out" 2>&1 || {
        cat "$out" >&2
        die "h2load failed against $1 (124 means it ran past $((secs + 30))s)"
    }
}

# good_load TARGET URL OUTBASE: the good client's run, with the proxy's CPU sampled around it. Sets GOOD to "p50_ms
# p99_ms failed done req_per_s cpu_pct" (cpu_pct: the whole process's CPU over the run, in % of one core) and
# GOOD_SPLIT to the CPU milliseconds of each worker thread over the run.
good_load() {
    local rps mean done ok problems before after start used
    before=$(cpu_sample "$1")
    start=$(date +%s.%N)
    run_h2load "$1" "$2" "$DURATION" "$3.txt" "$3.log"
    after=$(cpu_sample "$1")
    used=$(cpu_used "$before" "$after")
    # The whole process's microseconds over the run's seconds, in % of one core.
    used=$(awk -v us="${used#* }" -v a="$start" -v b="$(date +%s.%N)" \
        'BEGIN { printf "%.1f\n", (b > a) ? us / 1e4 / (b - a) : 0 }')
    GOOD_SPLIT=$(cpu_split "$before" "$after")
    read -r rps mean done ok problems < <(parse_h2load "$3.txt") || {
        cat "$3.txt" >&2
        die "could not parse h2load's output for $1"
    }
    GOOD="$(h2load_percentiles "$3.log") $problems $done $rps $used"
}

# start_attacker TARGET PORT HOLD OUTBASE: the attacker against PORT, in the background, trickling for HOLD seconds
# once all its connections are open; returns once they are. Its output goes to OUTBASE.attacker, its record of each
# connection to OUTBASE.tsv, its pid to ATTACKER_PID. Run it in this shell (not in a $(...)), so that the cleanup
# trap knows the attacker.
start_attacker() {
    local target=$1 out=$4 args=()
    ((REOPEN)) && args+=(--reopen)
    # Created here, not by the background job's redirection, which may come after the first look for "open".
    : >"$out.attacker"
    pin "$LOAD_CPUS"
    "${PIN[@]}" python3 "$ATTACKER" 127.0.0.1 "$2" "$ATTACK_CONNECTIONS" "$3" "$CLOSE_LIMIT" "$out.tsv" \
        --interval "$TRICKLE_INTERVAL" "${args[@]}" >"$out.attacker" 2>"$out.attacker.err" &
    ATTACKER_PID=$!
    PIDS+=("$ATTACKER_PID")
    wait_until "$OPEN_SECONDS" "$ATTACKER_PID" "the attacker ($target)" "$out.attacker.err" \
        grep -q '^open ' "$out.attacker"
}

# finish_attacker TARGET OUTBASE: waits for the attacker to end; sets ATTACK to "open_s opened closed within late
# survived status_408 median_close_s max_close_s failed_connects attack_s": how long opening took, then its summary's
# values (attack_s: from its first connect to its last close).
finish_attacker() {
    local out=$2 summary
    wait "$ATTACKER_PID" || {
        cat "$out.attacker" "$out.attacker.err" >&2
        die "the attacker failed against $1"
    }
    forget_pid "$ATTACKER_PID"
    # The summary's values, without their names.
    summary=$(awk '$1 == "summary" { for (i = 3; i <= NF; i += 2) printf "%s%s", (i > 3 ? " " : ""), $i }' \
        "$out.attacker")
    [[ -n $summary ]] || die "the attacker printed no summary against $1: $(cat "$out.attacker.err")"
    ATTACK="$(awk '$1 == "open" { print $3 }' "$out.attacker") $summary"
}

# attack TARGET PORT URL OUTBASE: the attacker against PORT and, once its connections are open, the good client
# through URL. Appends to $WORK/results/TARGET.attack "p50_ms p99_ms failed done req_per_s cpu_pct open_s opened
# closed within late survived status_408 median_close_s max_close_s failed_connects attack_s", and sets LINE to it.
# The proxy's CPU is over the good client's run, as in baseline, so that the two compare.
attack() {
    local target=$1 out=$4
    start_attacker "$target" "$2" "$ATTACK_HOLD" "$out"
    good_load "$target" "$3" "$out"
    finish_attacker "$target" "$out"
    [[ -n $GOOD_SPLIT ]] && echo "$GOOD_SPLIT" >>"$WORK/results/$target.split"
    LINE="$GOOD $ATTACK"
    echo "$LINE" >>"$WORK/results/$target.attack"
}

# baseline TARGET URL OUTBASE: the good client alone. Appends "p50_ms p99_ms failed done req_per_s cpu_pct" to
# $WORK/results/TARGET.base and sets LINE to it.
baseline() {
    good_load "$1" "$2" "$3"
    LINE=$GOOD
    echo "$LINE" >>"$WORK/results/$1.base"
}

# ratio A B: A / B with two decimals, 0 when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

# ---------------------------------------------------------------------------------------------------
main() {
    command -v curl >/dev/null || die "curl is needed"
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    command -v timeout >/dev/null || die "timeout (coreutils) is needed"
    command -v python3 >/dev/null || die "python3 (3.7 or later) is needed for the attacker"
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
    HAPROXY=$(haproxy_bin) || die "haproxy not found after install"
    command -v h2load >/dev/null || die "h2load not found after install"
    if [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]]; then
        command -v taskset >/dev/null || die "taskset (util-linux) is needed for *_CPUS"
    fi
    if [[ $SKIP_GATEWAY != 1 && ! -f $GATEWAY_JAR ]]; then
        command -v java >/dev/null || die "java (17 or later) is needed"
        log "building the gateway (mvn -q -pl gateway-server -am -DskipTests package)"
        (cd "$ROOT" && { mvn -q -o -pl gateway-server -am -DskipTests package ||
            mvn -q -pl gateway-server -am -DskipTests package; }) >&2
        [[ -f $GATEWAY_JAR ]] || die "the build did not produce $GATEWAY_JAR"
    fi
    check_fd_limit
    log "open-files limit for everything started here: $FD_LIMIT"

    PORT_U=$(pick_port PORT_U 18190)
    PORT_N=$(pick_port PORT_N 18191 "$PORT_U")
    PORT_H=$(pick_port PORT_H 18192 "$PORT_U" "$PORT_N")
    PORT_G=$(pick_port PORT_G 18193 "$PORT_U" "$PORT_N" "$PORT_H")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-slowloris.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/runs"

    local targets=(nginx-proxy haproxy)
    local -A port=([nginx-proxy]=$PORT_N [haproxy]=$PORT_H)

    log "upstream nginx on 127.0.0.1:$PORT_U"
    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream "$UPSTREAM_CPUS"
    wait_until "$NGINX_READY_SECONDS" "$STARTED_PID" "upstream nginx" "$WORK/upstream/error.log" \
        http_ok "http://127.0.0.1:$PORT_U/"
    log "nginx proxy on 127.0.0.1:$PORT_N (worker_processes $PROXY_THREADS, client_header_timeout ${HEADER_TIMEOUT}s)"
    # Each worker may get every connection (reuseport spreads them unevenly): room for all, two descriptors each.
    start_nginx_http_proxy "$PORT_N" "$PORT_U" "$NGINX_READY_SECONDS" \
        $((2 * (ATTACK_CONNECTIONS + CONNECTIONS + WARMUP_CONNECTIONS) + FD_MARGIN)) \
        "client_header_timeout ${HEADER_TIMEOUT}s;"
    PROXY_PID[nginx-proxy]=$STARTED_PID
    log "haproxy on 127.0.0.1:$PORT_H (mode http, nbthread $PROXY_THREADS, timeout http-request ${HEADER_TIMEOUT}s)"
    start_haproxy
    PROXY_PID[haproxy]=$STARTED_PID
    if gateway_started "on 127.0.0.1:$PORT_G ($GATEWAY_JAR), read_header_timeout ${HEADER_TIMEOUT}s"; then
        targets=(gateway "${targets[@]}")
        port[gateway]=$PORT_G
    fi

    # Every target must return the upstream's exact body, or we would be measuring something else.
    local t got
    for t in "${targets[@]}"; do
        got=$(curl -fsS "http://127.0.0.1:${port[$t]}/") || die "$t: request failed"
        [[ $got == "$BODY" ]] || die "$t returned an unexpected body: $got"
        : >"$WORK/results/$t.attack"
        : >"$WORK/results/$t.base"
    done

    # The warm-up runs under attack too, so that the gateway's JIT has compiled what the attack exercises (accepting,
    # one-byte reads, the 408 at the header timeout) as well as the proxy path.
    local out
    for t in "${targets[@]}"; do
        log "warm-up $t (${WARMUP}s, h2load flat out, $WARMUP_CONNECTIONS connections, under attack)"
        out=$WORK/runs/warmup-$t
        start_attacker "$t" "${port[$t]}" "$WARMUP" "$out"
        run_h2load "$t" "http://127.0.0.1:${port[$t]}/" "$WARMUP" "$out.txt"
        finish_attacker "$t" "$out"
    done

    log "rounds: good client h2load --h1 -c $CONNECTIONS --rps=$RPS_PER_CLIENT (${RATE} req/s) for ${DURATION}s;" \
        "attacker $ATTACK_CONNECTIONS connections, a byte every ${TRICKLE_INTERVAL}s, reopen $REOPEN"
    local round p50 p99 failed done rps cpu open_s opened closed within late survived s408 med max fails attack_s
    for ((round = 1; round <= ROUNDS; round++)); do
        for t in "${targets[@]}"; do
            if ((BASELINE)); then
                baseline "$t" "http://127.0.0.1:${port[$t]}/" "$WORK/runs/round$round-$t-base"
                read -r p50 p99 failed done rps cpu <<<"$LINE"
                log "round $round/$ROUNDS $(printf '%-11s alone        p50 %7s ms  p99 %8s ms  failed %s/%s  CPU %5s%% of a core' \
                    "$t" "$p50" "$p99" "$failed" "$done" "$cpu")"
            fi
            attack "$t" "${port[$t]}" "http://127.0.0.1:${port[$t]}/" "$WORK/runs/round$round-$t"
            read -r p50 p99 failed done rps cpu open_s opened closed within late survived s408 med max fails attack_s \
                <<<"$LINE"
            log "round $round/$ROUNDS $(printf '%-11s under attack p50 %7s ms  p99 %8s ms  failed %s/%s  CPU %5s%% of a core' \
                "$t" "$p50" "$p99" "$failed" "$done" "$cpu");" \
                "attackers: $opened opened ($ATTACK_CONNECTIONS in ${open_s}s), $closed closed by $t (median ${med}s, max ${max}s," \
                "$s408 with 408), $late late, $survived survived, $fails failed connects"
        done
    done

    local gateway_problems gateway_cap=""
    gateway_problems=$(gateway_log_problems)
    # The connection cap in force, from the gateway's start-up line.
    [[ $SKIP_GATEWAY == 1 ]] || gateway_cap=$(grep -o -m 1 'max_connections=[0-9]*' "$WORK/gateway/gateway.log" || true)

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/slowloris-$stamp.md
    mkdir -p "$report_dir"

    local -A med_p99=()
    local f
    {
        echo "# Slowloris: $ATTACK_CONNECTIONS trickled heads against each proxy"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc); open-files limit: $FD_LIMIT${gateway_cap:+; gateway $gateway_cap}"
        echo "- nginx: $("$NGINX" -v 2>&1 | head -n 1)"
        echo "- haproxy: $("$HAPROXY" -v 2>&1 | head -n 1)"
        echo "- h2load: $(h2load --version 2>&1 | head -n 1); python3: $(python3 --version 2>&1)"
        [[ $SKIP_GATEWAY != 1 ]] && echo "- java: $(java -version 2>&1 | head -n 1); JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        echo "- upstream: nginx, worker_processes 1, return 200 \"$BODY\""
        echo "- header timeout: ${HEADER_TIMEOUT}s each: the gateway's read_header_timeout$( ((HEADER_TIMEOUT == GATEWAY_DEFAULT_HEADER_TIMEOUT)) && echo " (its default: no http_server_options)"), nginx client_header_timeout (its default is 60s), HAProxy timeout http-request"
        echo "- proxies: $PROXY_THREADS threads each (nginx worker_processes$( ((NGINX_REUSEPORT)) && echo " with reuseport"), HAProxy nbthread, gateway io_threads, transport $TRANSPORT)"
        echo "- attacker: bench/slowloris.py, $ATTACK_CONNECTIONS connections, each sending a request head that never ends, a byte every ${TRICKLE_INTERVAL}s from its connect; $( ((REOPEN)) && echo "each one closed is replaced at once" || echo "no connection replaced"); it trickles for ${ATTACK_HOLD}s once all are open, then opens no more and waits for each left to be closed or to outlive ${CLOSE_LIMIT}s"
        echo "- good client: h2load --h1 -c $CONNECTIONS -t 1 -m 1 --rps=$RPS_PER_CLIENT -D $DURATION ($RATE req/s in total), started once the attacker's connections are open; p50/p99 from its per-request log"
        echo "- $ROUNDS interleaved rounds after a ${WARMUP}s warm-up per target: h2load flat out ($WARMUP_CONNECTIONS connections) while the attacker trickles$( ((BASELINE)) && echo "; in each round each target first serves the good client alone (baseline), then under attack")"
        [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]] &&
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstream ${UPSTREAM_CPUS:-none}, load ${LOAD_CPUS:-none}"
        echo
        echo "Attacker connections: **closed** by the proxy (end of file or reset; **408** of them answered 408 first),"
        echo "in seconds from their connect; **late**: closed after ${CLOSE_LIMIT}s (the header timeout + ${CLOSE_SLACK}s); **survived**: still open"
        echo "${CLOSE_LIMIT}.5s after its connect. CPU: the proxy's whole process (nginx master and workers, HAProxy, the"
        echo "JVM with GC and JIT), in % of one core over the good client's run, alone and under attack."
        echo
        echo "| target | round | good p50 ms | good p99 ms | good failed / requests | req/s | attackers opened | closed | 408 | median s to close | max s to close | late | survived | CPU % of a core | alone: p99 ms | alone: CPU % |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for t in "${targets[@]}"; do
            round=0
            while read -r p50 p99 failed done rps cpu open_s opened closed within late survived s408 med max fails attack_s; do
                round=$((round + 1))
                local base_p99=- base_cpu=-
                if ((BASELINE)); then
                    read -r _ base_p99 _ _ _ base_cpu < <(sed -n "${round}p" "$WORK/results/$t.base")
                fi
                printf '| %s | %d | %.2f | %.2f | %d / %d | %.0f | %d | %d | %d | %.2f | %.2f | %d | %d | %.1f | %s | %s |\n' \
                    "$t" "$round" "$p50" "$p99" "$failed" "$done" "$rps" "$opened" "$closed" "$s408" "$med" "$max" \
                    "$late" "$survived" "$cpu" "$base_p99" "$base_cpu"
            done <"$WORK/results/$t.attack"
        done
        for t in "${targets[@]}"; do
            f=$WORK/results/$t.attack
            med_p99[$t]=$(col "$f" 2 | median)
            printf '| **%s** | median | %.2f | %.2f | %d / %d (sum) | %.0f | %d (sum) | %d (sum) | %d (sum) | %.2f | %.2f (max) | %d (sum) | %d (sum) | %.1f | %s | %s |\n' \
                "$t" "$(col "$f" 1 | median)" "${med_p99[$t]}" "$(col "$f" 3 | total)" "$(col "$f" 4 | total)" \
                "$(col "$f" 5 | median)" "$(col "$f" 8 | total)" "$(col "$f" 9 | total)" "$(col "$f" 13 | total)" \
                "$(col "$f" 14 | median)" "$(col "$f" 15 | sort -g | tail -n 1)" "$(col "$f" 11 | total)" \
                "$(col "$f" 12 | total)" "$(col "$f" 6 | median)" \
                "$(median_or_dash "$WORK/results/$t.base" 2 %.2f)" "$(median_or_dash "$WORK/results/$t.base" 6 %.1f)"
        done
        echo
        cpu_split_report
        echo
        echo "## Verdict"
        echo
        local -A verdict=()
        local worst sum_failed sum_opened sum_closed sum_late sum_survived sum_fails ok
        for t in "${targets[@]}"; do
            f=$WORK/results/$t.attack
            worst=$(col "$f" 2 | sort -g | tail -n 1)
            sum_failed=$(col "$f" 3 | total); sum_opened=$(col "$f" 8 | total); sum_closed=$(col "$f" 9 | total)
            sum_late=$(col "$f" 11 | total); sum_survived=$(col "$f" 12 | total); sum_fails=$(col "$f" 16 | total)
            ok=("NOT met" "NOT met" "NOT met")
            awk -v p="${med_p99[$t]}" -v t="$P99_TARGET_MS" 'BEGIN { exit !(p < t) }' && ok[0]=met
            ((sum_failed == 0)) && ok[1]=met
            ((sum_closed > 0 && sum_closed == sum_opened && sum_late == 0 && sum_fails == 0)) && ok[2]=met
            verdict[$t]="NOT met"
            [[ ${ok[0]}${ok[1]}${ok[2]} == metmetmet ]] && verdict[$t]=met
            printf -- '- %s: good p99 %.2f ms (median; worst round %.2f) < %d ms: %s; failed good requests %d: %s; attacker connections closed within %ds: %d of %d (%d late, %d survived), %d failed connects: %s\n' \
                "$t" "${med_p99[$t]}" "$worst" "$P99_TARGET_MS" "${ok[0]}" "$sum_failed" "${ok[1]}" "$CLOSE_LIMIT" \
                "$((sum_closed - sum_late))" "$sum_opened" "$sum_late" "$sum_survived" "$sum_fails" "${ok[2]}"
        done
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway verdict, no ratios."
        else
            echo
            local per_round
            for t in nginx-proxy haproxy; do
                per_round=$(paste -d ' ' <(col "$WORK/results/gateway.attack" 2) <(col "$WORK/results/$t.attack" 2) |
                    awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), ($2 > 0) ? $1 / $2 : 0 }')
                echo "- gateway/$t good p99 under attack: $(ratio "${med_p99[gateway]}" "${med_p99[$t]}")x (medians; round by round $per_round)"
            done
            echo "- gateway log: $gateway_problems WARN/ERROR lines"
            echo
            echo "**Gateway: ${verdict[gateway]}** (good p99 < ${P99_TARGET_MS} ms, no failed good request, every attacker connection closed by ${CLOSE_LIMIT}s)."
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
}

main "$@"
