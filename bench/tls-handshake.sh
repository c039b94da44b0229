#!/usr/bin/env bash
# TLS handshake benchmark: the CPU a new TLS connection costs the gateway against HAProxy and nginx, all three
# terminating TLS with the same certificate and key in front of the same nginx upstream. Each connection makes one
# HTTP/1.1 request (Connection: close) and ends. See bench/README.md for what is measured and why.
#
#   bench/tls-handshake.sh                                   # RSA 2048, the four loads, 3 rounds (~10 min)
#   KEY_TYPE=ecdsa-p256 bench/tls-handshake.sh               # the same with an ECDSA P-256 key
#   BASE_JAR=/tmp/before.jar bench/tls-handshake.sh          # an older build beside the new one (gateway-base)
#   LOADS=rate-full ROUNDS=1 DURATION=5 WARMUP=5 bench/tls-handshake.sh   # quick check of the script
#
# Environment (defaults in brackets):
#   KEY_TYPE [rsa2048]  the throwaway certificate's key: rsa2048 or ecdsa-p256 (made with openssl in the temp dir)
#   LOADS [rate-full rate-resumed flat-full flat-resumed]   the loads measured, in this order in every round:
#                       rate-*: RATE new connections/s (h2load -r); flat-*: as many as the proxy takes (closed loop);
#                       *-full: every connection a full handshake; *-resumed: each client makes RESUME_CONNECTIONS
#                       connections one after another, the first a full handshake, the others resuming its session
#   RATE [200]          new connections per second in the rate-* loads
#   RESUME_CONNECTIONS [10]  connections per client in the *-resumed loads
#   FLAT_CLIENTS [32]   clients per h2load run in the flat-* loads; FLAT_LOOPS [2] such runs at once, each started
#                       again as soon as it ends, until DURATION is over
#   ROUNDS [3]  DURATION [10]  WARMUP [20]   rounds; seconds per load per target per round; seconds of flat-full
#                       and then of flat-resumed load per target before the first round (the gateway's JIT)
#   PORT_U [18170]  PORT_H [18171]  PORT_N [18172]  PORT_G [18173]  PORT_B [18174]
#                       upstream, HAProxy, nginx, gateway, gateway-base; a busy default moves to the next free port
#   PROXY_THREADS [2]   threads each proxy runs: HAProxy nbthread, nginx worker_processes, the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`
#   PROXY_CPUS, UPSTREAM_CPUS, LOAD_CPUS   optional taskset CPU lists (LOAD_CPUS: h2load)
#   JAVA_OPTS           extra JVM options for the gateway(s)
#   GATEWAY_JAR [gateway-server/target/gateway.jar]   BASE_JAR [unset]: a second gateway build, target gateway-base
#   SKIP_GATEWAY [0]    1: HAProxy and nginx only (no build, no gateway, no ratios)
#   KEEP_TMP [0]        1: keep the temp dir (certificate, configs, logs, raw h2load output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

KEY_TYPE=${KEY_TYPE:-rsa2048}
LOADS=${LOADS:-rate-full rate-resumed flat-full flat-resumed}
RATE=${RATE:-200}
RESUME_CONNECTIONS=${RESUME_CONNECTIONS:-10}
FLAT_CLIENTS=${FLAT_CLIENTS:-32}
FLAT_LOOPS=${FLAT_LOOPS:-2}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-20}
PROXY_THREADS=${PROXY_THREADS:-2}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
BASE_JAR=${BASE_JAR:-}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
LOAD_CPUS=${LOAD_CPUS:-}

# The upstream's fixed body: exactly 64 bytes, as in the other scripts.
BODY="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"$'\n'
# How long a started process may take to answer before we give up.
PEER_READY_SECONDS=10
GATEWAY_READY_SECONDS=30
# The issue's target: the gateway's CPU per new connection at most this many times HAProxy's.
TARGET_VS_HAPROXY=1.50

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, CPU pinning, nginx
# and gateway launching, medians, the per-thread CPU split and CPU per request: shared with the other bench scripts.
. "$ROOT/bench/lib.sh"

check_flags SKIP_GATEWAY KEEP_TMP
check_positive RATE RESUME_CONNECTIONS FLAT_CLIENTS FLAT_LOOPS ROUNDS DURATION WARMUP PROXY_THREADS
[[ $KEY_TYPE =~ ^(rsa2048|ecdsa-p256)$ ]] || die "KEY_TYPE is rsa2048 or ecdsa-p256, not '$KEY_TYPE'"
for load in $LOADS; do
    [[ $load =~ ^(rate|flat)-(full|resumed)$ ]] || die "a load is rate-full, rate-resumed, flat-full or flat-resumed, not '$load'"
done
[[ -z $BASE_JAR || -f $BASE_JAR ]] || die "BASE_JAR=$BASE_JAR does not exist"

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    haproxy_bin >/dev/null || pkgs+=(haproxy)
    command -v h2load >/dev/null || pkgs+=(nghttp2-client)
    command -v openssl >/dev/null || pkgs+=(openssl)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

# https_ok PORT: GET / over TLS, verifying the certificate against the throwaway one, returns the upstream's body.
https_ok() {
    [[ "$(curl -fsS --max-time 2 --cacert "$WORK/tls/cert.pem" "https://127.0.0.1:$1/" 2>/dev/null)"$'\n' == "$BODY" ]]
}

# ---------------------------------------------------------------------------------------------------
# The certificate: one throwaway key and self-signed certificate for every proxy, valid for 127.0.0.1 and
# localhost. openssl writes the key as PKCS#8 ("BEGIN PRIVATE KEY"); HAProxy takes certificate and key in one file.
make_certificate() {
    local dir=$WORK/tls key_args
    mkdir -p "$dir"
    case $KEY_TYPE in
        rsa2048) key_args=(-newkey rsa:2048) ;;
        ecdsa-p256) key_args=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
    esac
    openssl req -x509 "${key_args[@]}" -nodes -sha256 -days 2 -subj /CN=localhost \
        -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 || {
        cat "$dir/openssl.log" >&2
        die "openssl could not make a $KEY_TYPE certificate"
    }
    cat "$dir/cert.pem" "$dir/key.pem" >"$dir/haproxy.pem"
}

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstream() {
    {
        nginx_common upstream
        echo "worker_processes 1;"
        echo "http {"
        nginx_http_common upstream
        cat <<EOF
    server {
        listen 127.0.0.1:$PORT_U;
        default_type text/plain;
        location / { return 200 "${BODY%$'\n'}\n"; }
    }
}
EOF
    } >"$WORK/upstream.conf"
    start_nginx upstream "$UPSTREAM_CPUS"
    wait_until "$PEER_READY_SECONDS" "$STARTED_PID" "upstream nginx" "$WORK/upstream/error.log" \
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT_U/"
}

# HAProxy's defaults are what a TLS terminator is usually run with: a session cache (tune.ssl.cachesize 20000) and
# session tickets with keys it makes at start.
start_haproxy() {
    local maxconn
    maxconn=$(haproxy_maxconn)
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

frontend tls_in
    bind 127.0.0.1:$PORT_H ssl crt $WORK/tls/haproxy.pem ssl-min-ver TLSv1.2
    default_backend upstream

backend upstream
    server upstream 127.0.0.1:$PORT_U
EOF
    "$HAPROXY" -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || {
        cat "$WORK/haproxy-check.log" >&2
        die "haproxy -c rejected $WORK/haproxy.cfg"
    }
    # -db: foreground, no master process, so $! is HAProxy itself and its threads are its tasks.
    pin "$PROXY_CPUS"
    "${PIN[@]}" "$HAPROXY" -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    PROXY_PID[haproxy]=$STARTED_PID
    wait_until "$PEER_READY_SECONDS" "$STARTED_PID" haproxy "$WORK/haproxy.log" https_ok "$PORT_H"
}

# nginx's session cache is off unless configured; the shared cache below is what a production TLS server has
# (tickets are on by default, with keys made at start).
start_nginx_proxy() {
    {
        nginx_common proxy
        echo "worker_processes $PROXY_THREADS;"
        echo "http {"
        nginx_http_common proxy
        cat <<EOF
    upstream tls_upstream {
        server 127.0.0.1:$PORT_U;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$PORT_N ssl reuseport;
        ssl_certificate $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:TLS:10m;
        location / {
            proxy_pass http://tls_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    } >"$WORK/proxy.conf"
    start_nginx proxy "$PROXY_CPUS"
    PROXY_PID[nginx]=$STARTED_PID
    wait_until "$PEER_READY_SECONDS" "$STARTED_PID" "nginx proxy" "$WORK/proxy/error.log" https_ok "$PORT_N"
}

# start_gateway_target TARGET PORT JAR: the gateway's own port in HTTPS (use_ssl) with the certificate, TLS 1.2 and
# up (min_version 771), one keyless API to the upstream. The jar is copied into the temp dir first, so a rebuild
# during the run does not change it under the running JVM.
start_gateway_target() {
    local target=$1 port=$2 dir=$WORK/$1
    mkdir -p "$dir/apps"
    cp "$3" "$dir/gateway.jar"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $port, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "http_server_options": {"use_ssl": true, "min_version": 771,
   "certificates": [{"domain_name": "localhost", "cert_file": "$WORK/tls/cert.pem", "key_file": "$WORK/tls/key.pem"}]}}
EOF
    cat >"$dir/apps/bench.json" <<EOF
{"api_id": "bench", "name": "bench", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "/", "target_url": "http://127.0.0.1:$PORT_U", "strip_listen_path": false}}
EOF
    GATEWAY_JAR=$dir/gateway.jar launch_gateway "$dir"
    PROXY_PID[$target]=$STARTED_PID
    wait_until "$GATEWAY_READY_SECONDS" "$STARTED_PID" "$target" "$dir/gateway.log" https_ok "$port"
}

# ---------------------------------------------------------------------------------------------------
# What each target negotiates and whether it resumes
# negotiated PORT: "PROTOCOL CIPHER GROUP SIGNATURE" of one handshake, from openssl s_client -brief.
negotiated() {
    timeout 10 openssl s_client -connect "127.0.0.1:$1" -brief </dev/null 2>&1 | awk -F': ' '
        $1 == "Protocol version" { p = $2 } $1 == "Ciphersuite" { c = $2 }
        $1 == "Server Temp Key" { k = $2; sub(/,.*/, "", k) } $1 == "Signature type" { s = $2 }
        END { printf "%s %s %s %s\n", p, c, k, s }'
}

# resumption PORT VERSION: "RESUMED TOTAL": the connections openssl s_time -reuse made in a second with TLS VERSION
# (1.2 or 1.3) and how many of them resumed the first one's session (s_time prints r for a resumed one, * for a
# full handshake).
resumption() {
    timeout 30 openssl s_time -connect "127.0.0.1:$1" -reuse "-tls${2/./_}" -www / -time 1 2>/dev/null |
        awk '/^[r*]+$/ { n += length($0); r += gsub(/r/, "") } END { printf "%d %d\n", r, n }'
}

# ---------------------------------------------------------------------------------------------------
# Load
# h2load_once OUT ARGS...: one h2load --h1 run against URL (in ARGS) whose every request asks the server to close,
# so each request is a connection of its own. timeout is only a backstop; --foreground lets Ctrl-C reach it.
h2load_once() {
    local out=$1
    shift
    pin "$LOAD_CPUS"
    timeout --foreground -k 5 $((DURATION + WARMUP + 120)) "${PIN[@]}" h2load --h1 -H 'Connection: close' "$@" \
        >"$out" 2>&1 || {
        cat "$out" >&2
        die "h2load $* failed (124 means it ran past its backstop)"
    }
}

# flat_loop OUT_PREFIX PORT SECONDS PER_CLIENT: h2load runs of FLAT_CLIENTS clients, each making PER_CLIENT
# connections one after another, started again as each ends until SECONDS are over.
flat_loop() {
    local prefix=$1 port=$2 until=$((SECONDS + $3)) per_client=$4 i=0
    while ((SECONDS < until)); do
        i=$((i + 1))
        h2load_once "$prefix.$i" -t 1 -c "$FLAT_CLIENTS" -n $((FLAT_CLIENTS * per_client)) "https://127.0.0.1:$port/"
    done
}

# run_load LOAD PORT SECONDS OUT_PREFIX: one load against a port; its h2load outputs are OUT_PREFIX.*.
run_load() {
    local load=$1 port=$2 seconds=$3 prefix=$4 per_client=1 clients loop n period loops=()
    [[ $load == *-resumed ]] && per_client=$RESUME_CONNECTIONS
    if [[ $load == rate-* ]]; then
        # RATE / PER_CLIENT clients a second, started as evenly as h2load allows (-r N clients every period of
        # whole milliseconds: the smallest N that makes the period whole), so new connections come at RATE a second;
        # h2load ends when the last client is done.
        clients=$(((RATE * seconds + per_client - 1) / per_client))
        read -r n period < <(awk -v r="$RATE" -v k="$per_client" 'BEGIN {
            for (n = 1; n <= 1000; n++) { p = n * 1000 * k / r; if (p >= 1 && p == int(p)) break }
            if (n > 1000) { n = r / k; p = 1000 }
            printf "%d %d\n", n, p }')
        h2load_once "$prefix.1" -t 1 -r "$n" --rate-period="${period}ms" -c "$clients" -n $((clients * per_client)) \
            "https://127.0.0.1:$port/"
    else
        for ((loop = 1; loop <= FLAT_LOOPS; loop++)); do
            flat_loop "$prefix.loop$loop" "$port" "$seconds" "$per_client" &
            loops+=($!)
        done
        # The loops are subshells: a failing h2load stops its loop with a non-zero status.
        for loop in "${loops[@]}"; do
            wait "$loop" || die "a flat-out load loop against port $port failed"
        done
    fi
}

# load_totals OUT_PREFIX: "DONE PROBLEMS" summed over the h2load outputs OUT_PREFIX.* (lib.sh's parse_h2load:
# problems are failed, errored and timed-out requests and non-2xx responses).
load_totals() {
    local f line done_total=0 problems_total=0 rps mean done ok problems
    for f in "$1".*; do
        line=$(parse_h2load "$f") || { cat "$f" >&2; die "could not read h2load's output $f"; }
        read -r rps mean done ok problems <<<"$line"
        done_total=$((done_total + done))
        problems_total=$((problems_total + problems))
    done
    echo "$done_total $problems_total"
}

now() { date +%s.%N; }

# ---------------------------------------------------------------------------------------------------
main() {
    command -v curl >/dev/null || die "curl is needed"
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    command -v timeout >/dev/null || die "timeout (coreutils) is needed"
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
    HAPROXY=$(haproxy_bin) || die "haproxy not found after install"
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

    PORT_U=$(pick_port PORT_U 18170)
    PORT_H=$(pick_port PORT_H 18171 "$PORT_U")
    PORT_N=$(pick_port PORT_N 18172 "$PORT_U" "$PORT_H")
    PORT_G=$(pick_port PORT_G 18173 "$PORT_U" "$PORT_H" "$PORT_N")
    PORT_B=$(pick_port PORT_B 18174 "$PORT_U" "$PORT_H" "$PORT_N" "$PORT_G")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-tls.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/h2load"
    make_certificate

    local targets=(haproxy nginx)
    local -A port=([haproxy]=$PORT_H [nginx]=$PORT_N)
    log "upstream nginx on 127.0.0.1:$PORT_U"
    start_upstream
    log "haproxy (nbthread $PROXY_THREADS) on 127.0.0.1:$PORT_H, $KEY_TYPE certificate"
    start_haproxy
    log "nginx proxy (worker_processes $PROXY_THREADS) on 127.0.0.1:$PORT_N"
    start_nginx_proxy
    if [[ $SKIP_GATEWAY != 1 ]]; then
        log "gateway ($GATEWAY_JAR), io_threads $PROXY_THREADS, on 127.0.0.1:$PORT_G"
        start_gateway_target gateway "$PORT_G" "$GATEWAY_JAR"
        targets+=(gateway)
        port[gateway]=$PORT_G
        if [[ -n $BASE_JAR ]]; then
            log "gateway-base ($BASE_JAR) on 127.0.0.1:$PORT_B"
            start_gateway_target gateway-base "$PORT_B" "$BASE_JAR"
            targets+=(gateway-base)
            port[gateway-base]=$PORT_B
        fi
    fi

    # What every target negotiates with an OpenSSL client, and whether it resumes sessions in TLS 1.3 and 1.2.
    local t
    local -A tls_params=() resumed13=() resumed12=()
    for t in "${targets[@]}"; do
        tls_params[$t]=$(negotiated "${port[$t]}")
        resumed13[$t]=$(resumption "${port[$t]}" 1.3)
        resumed12[$t]=$(resumption "${port[$t]}" 1.2)
        log "$t: ${tls_params[$t]}; s_time -reuse resumed (of connections): TLS 1.3 ${resumed13[$t]/ / of }, TLS 1.2 ${resumed12[$t]/ / of }"
    done

    for t in "${targets[@]}"; do
        log "warm-up $t: ${WARMUP}s flat-full, then ${WARMUP}s flat-resumed"
        run_load flat-full "${port[$t]}" "$WARMUP" "$WORK/h2load/warmup-full-$t"
        run_load flat-resumed "${port[$t]}" "$WARMUP" "$WORK/h2load/warmup-resumed-$t"
    done

    local round load before after split cpu start elapsed done problems rate prefix th0 th1
    for ((round = 1; round <= ROUNDS; round++)); do
        for load in $LOADS; do
            for t in "${targets[@]}"; do
                prefix=$WORK/h2load/round$round-$load-$t
                before=$(cpu_sample "$t")
                [[ $t == gateway* ]] && th0=$(thread_ns "${PROXY_PID[$t]}")
                start=$(now)
                run_load "$load" "${port[$t]}" "$DURATION" "$prefix"
                elapsed=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
                after=$(cpu_sample "$t")
                if [[ $t == gateway* ]]; then
                    th1=$(thread_ns "${PROXY_PID[$t]}")
                    echo "$(thread_groups "$th0" "$th1")" >>"$WORK/results/$load.$t.groups"
                fi
                read -r done problems < <(load_totals "$prefix")
                ((done > 0)) || die "$t completed no connection in round $round ($load)"
                rate=$(awk -v n="$done" -v s="$elapsed" 'BEGIN { printf "%.0f", n / s }')
                split=$(cpu_split "$before" "$after")
                cpu=$(cpu_per_request "$before" "$after" "$done")
                echo "$cpu" >>"$WORK/results/$load.$t.cpu"
                echo "$rate $done $problems" >>"$WORK/results/$load.$t.load"
                echo "$split" >>"$WORK/results/$load.$t.split"
                log "round $round/$ROUNDS $(printf '%-13s %-12s %6s conn/s %7s conns  failed %s' "$load" "$t" "$rate" "$done" "$problems")  thread CPU ms $split  CPU us/conn threads/process ${cpu/ //}"
            done
        done
    done
    local gateway_problems=0 base_problems=0
    if [[ $SKIP_GATEWAY != 1 ]]; then
        gateway_problems=$(grep -cE '\b(WARN|ERROR)\b' "$WORK/gateway/gateway.log" || true)
        [[ -z $BASE_JAR ]] || base_problems=$(grep -cE '\b(WARN|ERROR)\b' "$WORK/gateway-base/gateway.log" || true)
    fi

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/tls-handshake-$KEY_TYPE-$stamp.md
    mkdir -p "$report_dir"

    {
        echo "# TLS handshake benchmark: CPU per new connection, $KEY_TYPE"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- haproxy: $("$HAPROXY" -v 2>&1 | head -n 1); $("$HAPROXY" -vv 2>&1 | grep -m 1 'Running on OpenSSL' | sed 's/^ *//')"
        echo "- nginx: $("$NGINX" -V 2>&1 | grep -m 1 -i 'openssl' | sed 's/^ *//') ($("$NGINX" -v 2>&1 | head -n 1))"
        echo "- h2load: $(h2load --version 2>&1 | head -n 1); $(openssl version)"
        if [[ $SKIP_GATEWAY != 1 ]]; then
            echo "- java: $(java -version 2>&1 | head -n 1); JAVA_OPTS: ${JAVA_OPTS:-(none)}"
            echo "- gateway: $(grep -m 1 -o 'gateway started: .*' "$WORK/gateway/gateway.log" || echo '(no start line)')"
            [[ -z $BASE_JAR ]] ||
                echo "- gateway-base ($BASE_JAR): $(grep -m 1 -o 'gateway started: .*' "$WORK/gateway-base/gateway.log" || echo '(no start line)')"
        fi
        echo "- certificate: $KEY_TYPE, self-signed, the same files for every proxy; servers accept TLS 1.2 and 1.3"
        echo "- proxies: $PROXY_THREADS threads each (haproxy nbthread, nginx worker_processes with reuseport, gateway io_threads, transport $TRANSPORT); upstream nginx, worker_processes 1, a 64-byte body"
        echo "- load: h2load --h1 with 'Connection: close', one request per connection; rate-*: $RATE new connections/s (-r 1 per period); flat-*: $FLAT_LOOPS h2load runs of $FLAT_CLIENTS clients at once, restarted until ${DURATION}s are over; *-resumed: $RESUME_CONNECTIONS connections per client, the first a full handshake"
        echo "- $ROUNDS interleaved rounds of ${DURATION}s per load per target, after ${WARMUP}s flat-full and ${WARMUP}s flat-resumed per target"
        [[ -z $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]] ||
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstream ${UPSTREAM_CPUS:-none}, h2load ${LOAD_CPUS:-none}"
        echo
        echo "## What each target negotiates"
        echo
        echo "| target | protocol, cipher, group, signature (s_client) | TLS 1.3 resumed (s_time -reuse, 1 s) | TLS 1.2 resumed |"
        echo "| --- | --- | ---: | ---: |"
        for t in "${targets[@]}"; do
            printf '| %s | %s | %s | %s |\n' "$t" "${tls_params[$t]}" "${resumed13[$t]/ / of }" "${resumed12[$t]/ / of }"
        done
        echo
        echo "## CPU per new connection"
        echo
        echo "Whole process (utime + stime from /proc: every HAProxy thread, nginx's master and workers, the JVM with its GC and JIT) over the connections the round completed; median of the rounds, µs."
        echo
        printf '| load |'
        for t in "${targets[@]}"; do printf ' %s |' "$t"; done
        if [[ $SKIP_GATEWAY != 1 ]]; then
            printf ' gateway/haproxy | gateway/nginx |'
            [[ -z $BASE_JAR ]] || printf ' gateway-base/haproxy | gateway/gateway-base |'
        fi
        echo
        printf '| --- |'
        for t in "${targets[@]}"; do printf ' ---: |'; done
        [[ $SKIP_GATEWAY == 1 ]] || printf ' ---: | ---: |'
        [[ -z $BASE_JAR ]] || printf ' ---: | ---: |'
        echo
        local -A med=()
        for load in $LOADS; do
            printf '| %s |' "$load"
            for t in "${targets[@]}"; do
                med[$t]=$(col "$WORK/results/$load.$t.cpu" 2 | median)
                printf ' %.0f |' "${med[$t]}"
            done
            if [[ $SKIP_GATEWAY != 1 ]]; then
                awk -v g="${med[gateway]}" -v h="${med[haproxy]}" -v n="${med[nginx]}" \
                    'BEGIN { printf " %.2fx | %.2fx |", g / h, g / n }'
                [[ -z $BASE_JAR ]] || awk -v b="${med[gateway-base]}" -v g="${med[gateway]}" -v h="${med[haproxy]}" \
                    'BEGIN { printf " %.2fx | %.2fx |", b / h, g / b }'
            fi
            echo
        done
        echo
        echo "## Each load, each target"
        echo
        echo "| load | target | conn/s (median) | CPU µs/conn, worker threads | CPU µs/conn, process | process, by round | connections (sum) | failed (sum) |"
        echo "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |"
        for load in $LOADS; do
            for t in "${targets[@]}"; do
                printf '| %s | %s | %.0f | %.1f | %.1f | %s | %d | %d |\n' "$load" "$t" \
                    "$(col "$WORK/results/$load.$t.load" 1 | median)" \
                    "$(col "$WORK/results/$load.$t.cpu" 1 | median)" "$(col "$WORK/results/$load.$t.cpu" 2 | median)" \
                    "$(col "$WORK/results/$load.$t.cpu" 2 | paste -sd ' ' | sed 's/ / \/ /g')" \
                    "$(col "$WORK/results/$load.$t.load" 2 | total)" "$(col "$WORK/results/$load.$t.load" 3 | total)"
            done
        done
        echo
        echo "Worker threads: HAProxy's threads, nginx's workers, the gateway's event loops (not its acceptor)."
        if [[ $SKIP_GATEWAY != 1 ]]; then
            echo
            echo "The gateway's JVM by thread group, CPU s per round (event loops, GC, JIT compilers, the rest with the acceptor):"
            echo
            for load in $LOADS; do
                for t in "${targets[@]}"; do
                    [[ $t == gateway* ]] || continue
                    echo "- $load $t: $(awk '{ printf "%sio %s gc %s jit %s other %s", (NR > 1 ? ", " : ""), $1, $2, $3, $4 }' "$WORK/results/$load.$t.groups")"
                done
            done
        fi
        echo
        echo "## Targets"
        echo
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway ratios."
        else
            for load in $LOADS; do
                cpu_ratio_line "new connection ($load)" "$WORK/results/$load.gateway.cpu" \
                    "$WORK/results/$load.haproxy.cpu" haproxy "$TARGET_VS_HAPROXY"
                cpu_ratio_line "new connection ($load)" "$WORK/results/$load.gateway.cpu" \
                    "$WORK/results/$load.nginx.cpu" nginx -
            done
            echo "- gateway log: $gateway_problems WARN/ERROR lines$([[ -z $BASE_JAR ]] || echo "; gateway-base log: $base_problems")"
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
}

main "$@"
