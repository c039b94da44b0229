#!/usr/bin/env bash
# HTTP/2 floods (issue 14): replays four attacks against the gateway, nginx and HAProxy, each in front of the same
# nginx upstream, while a good client (h2load at a fixed rate over h2c) measures its latency through the proxy
# under attack. The attacker is bench/h2_flood.py (raw HTTP/2 frames over sockets, standard library only):
#
#   madeyoureset  MadeYouReset (CVE-2025-8671): streams each made invalid after they open (a WINDOW_UPDATE of 0,
#                 DATA after END_STREAM), 100,000 in all, reconnecting whenever the proxy ends a connection
#   rapidreset    rapid reset (CVE-2023-44487): streams opened and cancelled at once, the same way
#   settings100   empty SETTINGS frames streamed over 100 connections, the acknowledgements read
#   pingnoread    PING and SETTINGS frames from a client that never reads, reconnecting, for 20 s
#   baseline      no attack: the good client alone, for ATTACK_SECONDS, the latency the attacks are set against
#
# For each target and attack: the good client's p50/p99 and failed requests, the proxy's peak RSS growth and CPU
# during the attack, how the attack ended (the first connection, and all of them counted), and the bytes of log
# the proxy wrote. Interleaved rounds; medians. See bench/README.md.
#
#   bench/http2-floods.sh                                   # every attack, 3 rounds (about 12 minutes on 2 cores)
#   ATTACK=madeyoureset ROUNDS=1 bench/http2-floods.sh      # one attack, one round
#   TLS=1 ATTACK=madeyoureset bench/http2-floods.sh         # over TLS (h2 by ALPN) instead of h2c
#
# Environment (defaults in brackets):
#   ATTACK [all]        baseline, madeyoureset, rapidreset, settings100, pingnoread, or all (several:
#                       space-separated)
#   ROUNDS [3]          rounds; in each, every attack against every target in turn
#   ATTACK_SECONDS [10] the longest a stream or SETTINGS attack runs (a stream attack also stops at STREAMS)
#   NOREAD_SECONDS [20] how long pingnoread goes on (the issue's 20 s)
#   STREAMS [100000]    streams a stream attack sends in all, over as many connections as the proxy makes it use
#   SETTINGS_CONNECTIONS [100]   settings100's connections
#   RATE [400]          the good client's requests/s in total: h2load -c GOOD_CONNECTIONS --rps RATE/GOOD_CONNECTIONS
#   GOOD_CONNECTIONS [4]
#   WARMUP [20]         seconds of h2load flat out through the gateway before the first round (the JIT)
#   PEER_WARMUP [5]     the same for nginx and HAProxy
#   TLS [0]             1: every proxy serves HTTP/2 over TLS (ALPN h2, a self-signed certificate), good client too
#   WRITE_TIMEOUT [0]   the gateway's http_server_options.write_timeout in seconds; 0: its default (120 s)
#   PORT_U [18160]  PORT_N [18161]  PORT_H [18162]  PORT_G [18163]   upstream, nginx, HAProxy, gateway
#   PROXY_THREADS [2]   nginx worker_processes, HAProxy nbthread, the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`
#   PROXY_CPUS          optional taskset CPU list for the three proxies
#   JAVA_OPTS, GATEWAY_JAR [gateway-server/target/gateway.jar], SKIP_GATEWAY [0], KEEP_TMP [0]   as elsewhere
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ATTACK=${ATTACK:-all}
ROUNDS=${ROUNDS:-3}
ATTACK_SECONDS=${ATTACK_SECONDS:-10}
NOREAD_SECONDS=${NOREAD_SECONDS:-20}
STREAMS=${STREAMS:-100000}
SETTINGS_CONNECTIONS=${SETTINGS_CONNECTIONS:-100}
RATE=${RATE:-400}
GOOD_CONNECTIONS=${GOOD_CONNECTIONS:-4}
WARMUP=${WARMUP:-20}
PEER_WARMUP=${PEER_WARMUP:-5}
TLS=${TLS:-0}
WRITE_TIMEOUT=${WRITE_TIMEOUT:-0}
PROXY_THREADS=${PROXY_THREADS:-2}
PROXY_CPUS=${PROXY_CPUS:-}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}

ALL_ATTACKS=(baseline madeyoureset rapidreset settings100 pingnoread)
READY_SECONDS=30
# The good client starts first and ends last: this much before the attacker and after it.
GOOD_LEAD=1
GOOD_TAIL=1
# Seconds between two runs, for the proxy to close what the last attack left.
SETTLE=2
# The upstream's fixed body: every good request must get it (h2load counts 2xx only).
BODY=flood-bench

. "$ROOT/bench/lib.sh"

check_flags TLS SKIP_GATEWAY KEEP_TMP
check_positive ROUNDS ATTACK_SECONDS NOREAD_SECONDS STREAMS SETTINGS_CONNECTIONS RATE GOOD_CONNECTIONS WARMUP \
    PROXY_THREADS
[[ $PEER_WARMUP =~ ^[0-9]+$ && $WRITE_TIMEOUT =~ ^[0-9]+$ ]] || die "PEER_WARMUP and WRITE_TIMEOUT are whole seconds"
[[ $ATTACK == all ]] && ATTACK=${ALL_ATTACKS[*]}
read -r -a ATTACKS <<<"$ATTACK"
for a in "${ATTACKS[@]}"; do
    [[ " ${ALL_ATTACKS[*]} " == *" $a "* ]] || die "ATTACK is one of ${ALL_ATTACKS[*]} or all, not '$a'"
done

install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    haproxy_bin >/dev/null || pkgs+=(haproxy)
    command -v h2load >/dev/null || pkgs+=(nghttp2-client)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
    command -v python3 >/dev/null || die "python3 is needed for the attacker"
    ((TLS == 0)) || command -v openssl >/dev/null || die "TLS=1 needs openssl for the test certificate"
}

listening() { port_busy "$1"; }
SCHEME=http
((TLS)) && SCHEME=https
# good_ok PORT: one GET through the proxy over HTTP/2 (prior knowledge on h2c) returns the upstream's body.
good_ok() {
    local flags=(--http2-prior-knowledge)
    ((TLS)) && flags=(--http2 -k)
    [[ $(curl -fsS --max-time 2 "${flags[@]}" "$SCHEME://127.0.0.1:$1/flood/" 2>/dev/null) == "$BODY" ]]
}

# ---------------------------------------------------------------------------------------------------
# Processes under test
write_certificate() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
        -keyout "$WORK/tls.key" -out "$WORK/tls.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
    cat "$WORK/tls.pem" "$WORK/tls.key" >"$WORK/tls-haproxy.pem"
}

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
        location / { return 200 "$BODY"; }
    }
}
EOF
    } >"$WORK/upstream.conf"
    start_nginx upstream ""
    wait_until "$READY_SECONDS" "$STARTED_PID" "nginx upstream" "$WORK/upstream/error.log" listening "$PORT_U"
}

# nginx with http2 on its port (nginx 1.22's `listen ... http2`: h2c with prior knowledge, or h2 by ALPN with ssl),
# proxying to the upstream over HTTP/1.1 keep-alive. Its error log at lib.sh's level (warn).
start_nginx_proxy() {
    local listen="listen 127.0.0.1:$PORT_N reuseport http2;" tls=""
    if ((TLS)); then
        listen="listen 127.0.0.1:$PORT_N reuseport ssl http2;"
        tls="ssl_certificate $WORK/tls.pem; ssl_certificate_key $WORK/tls.key;"
    fi
    {
        nginx_common nginx-proxy
        echo "worker_processes $PROXY_THREADS;"
        echo "http {"
        nginx_http_common nginx-proxy
        cat <<EOF
    upstream flood_upstream {
        server 127.0.0.1:$PORT_U;
        keepalive 64;
    }
    server {
        $listen
        $tls
        location / {
            proxy_pass http://flood_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    } >"$WORK/nginx-proxy.conf"
    start_nginx nginx-proxy "$PROXY_CPUS"
    PROXY_PID[nginx-proxy]=$STARTED_PID
    wait_until "$READY_SECONDS" "$STARTED_PID" "nginx proxy" "$WORK/nginx-proxy/error.log" good_ok "$PORT_N"
}

# HAProxy with an h2 frontend (proto h2: h2c with prior knowledge; ssl alpn h2 with TLS), HTTP/1.1 to the upstream.
# No log directive: it logs nothing, as a default install logs nothing without a syslog target.
start_haproxy() {
    local bind="bind 127.0.0.1:$PORT_H proto h2"
    ((TLS)) && bind="bind 127.0.0.1:$PORT_H ssl crt $WORK/tls-haproxy.pem alpn h2"
    cat >"$WORK/haproxy.cfg" <<EOF
global
    nbthread $PROXY_THREADS
    maxconn 4000

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 75s

frontend flood_in
    $bind
    default_backend flood_upstream

backend flood_upstream
    http-reuse always
    server upstream 127.0.0.1:$PORT_U
EOF
    "$HAPROXY" -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || {
        cat "$WORK/haproxy-check.log" >&2
        die "haproxy -c rejected $WORK/haproxy.cfg"
    }
    # -db: foreground, no master process, so $! is HAProxy itself.
    start_bg haproxy "$PROXY_CPUS" "$HAPROXY" -db -f "$WORK/haproxy.cfg"
    PROXY_PID[haproxy]=$STARTED_PID
    wait_until "$READY_SECONDS" "$STARTED_PID" haproxy "$WORK/haproxy.log" good_ok "$PORT_H"
}

# The gateway with enable_http2 on its port, its log as it comes (no access log: issue 14's configuration).
start_gateway() {
    local dir=$WORK/gateway options='"enable_http2": true'
    mkdir -p "$dir/apps"
    ((WRITE_TIMEOUT == 0)) || options+=", \"write_timeout\": $WRITE_TIMEOUT"
    ((TLS)) && options+=", \"use_ssl\": true, \"certificates\": [{\"domain_name\": \"localhost\",
     \"cert_file\": \"$WORK/tls.pem\", \"key_file\": \"$WORK/tls.key\"}]"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "http_server_options": {$options}}
EOF
    cat >"$dir/apps/flood.json" <<EOF
{"api_id": "flood", "name": "flood", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "/", "target_url": "http://127.0.0.1:$PORT_U", "strip_listen_path": false}}
EOF
    launch_gateway "$dir"
    wait_until "$READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" good_ok "$PORT_G"
}

# proxy_log TARGET: the file the proxy writes its log to.
proxy_log() {
    case $1 in
        gateway) echo "$WORK/gateway/gateway.log" ;;
        nginx-proxy) echo "$WORK/nginx-proxy/error.log" ;;
        haproxy) echo "$WORK/haproxy.log" ;;
    esac
}
file_bytes() { stat -c %s "$1" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------------------------------------------
# The good client and one run
# good_load PORT SECONDS OUT RPS_PER_CONNECTION: h2load at a fixed rate (h2c with prior knowledge, or h2 over TLS),
# its per-request log in OUT.log. Runs in the foreground of its caller's subshell.
good_load() {
    local port=$1 secs=$2 out=$3 rps=$4
    timeout -k 5 $((secs + 30)) h2load -c "$GOOD_CONNECTIONS" -t 1 -m 1 -D "$secs" --rps="$rps" \
        --log-file="$out.log" "$SCHEME://127.0.0.1:$port/flood/" >"$out" 2>&1
}

# run_attack TARGET PORT ATTACK ROUND: one attack on one proxy under the good client. Appends to
# $WORK/results/TARGET.ATTACK: "p50_ms p99_ms failed rss_growth_mib cpu_pct log_bytes fds_after", and the attacker's
# ENDING line to .ending, its RESULT line to .result.
run_attack() {
    local target=$1 port=$2 attack=$3 round=$4 secs out rps rss_before rss_peak_kib cpu_before cpu_after t0 t1
    local log_before log_after stats failed sampler attack_args=() fds=0 pid p50 p99
    out=$WORK/raw/$target.$attack.$round
    secs=$ATTACK_SECONDS
    [[ $attack == pingnoread ]] && secs=$NOREAD_SECONDS
    case $attack in
        madeyoureset | rapidreset) attack_args=(--streams "$STREAMS") ;;
        settings100) attack_args=(--connections "$SETTINGS_CONNECTIONS") ;;
    esac
    ((TLS)) && attack_args+=(--tls)
    rps=$(per_client_rps "$RATE" "$GOOD_CONNECTIONS")
    log_before=$(file_bytes "$(proxy_log "$target")")
    rss_before=$(proxy_rss_kib "$target")
    rss_peak "$target" "$out.rss"
    sampler=$STARTED_PID
    good_load "$port" $((GOOD_LEAD + secs + GOOD_TAIL)) "$out.good" "$rps" &
    local good=$!
    sleep "$GOOD_LEAD"
    cpu_before=$(proxy_process_cpu "$target")
    t0=$(date +%s%N)
    if [[ $attack == baseline ]]; then
        sleep "$secs"
        printf 'RESULT none\nENDING no attack\n' >"$out.attack"
    else
        python3 "$ROOT/bench/h2_flood.py" "$attack" 127.0.0.1 "$port" --seconds "$secs" --path /flood/ \
            "${attack_args[@]}" >"$out.attack" 2>"$out.attack.conns" ||
            log "the attacker failed against $target (see $out.attack.conns)"
    fi
    t1=$(date +%s%N)
    cpu_after=$(proxy_process_cpu "$target")
    wait "$good" || log "h2load against $target ended with an error (see $out.good)"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    rss_peak_kib=$(cat "$out.rss" 2>/dev/null || echo "$rss_before")
    sleep "$SETTLE"
    log_after=$(file_bytes "$(proxy_log "$target")")
    for pid in $(proxy_pids "$target"); do fds=$((fds + $(fd_count "$pid"))); done
    # What the descriptors left after the attack are: the proxy's TCP sockets, by state and peer port.
    ss -Htanp 2>/dev/null | grep -E "pid=(${PROXY_PID[$target]}|$(pgrep -d '|' -P "${PROXY_PID[$target]}" || echo 0)),"         >"$out.sockets" || true
    stats=$(parse_h2load "$out.good") || die "no h2load summary against $target (see $out.good)"
    failed=$(awk '{ print $5 }' <<<"$stats")
    read -r p50 p99 < <(h2load_percentiles "$out.good.log")
    awk -v p50="$p50" -v p99="$p99" -v failed="$failed" -v rb="$rss_before" -v rp="$rss_peak_kib" \
        -v c0="$cpu_before" -v c1="$cpu_after" -v t0="$t0" -v t1="$t1" -v logged=$((log_after - log_before)) \
        -v fds="$fds" 'BEGIN {
            printf "%s %s %d %.1f %.0f %d %d\n", p50, p99, failed, (rp - rb) / 1024, (c1 - c0) / (t1 - t0) * 100,
                logged, fds }' >>"$WORK/results/$target.$attack"
    sed -n 's/^ENDING //p' "$out.attack" >>"$WORK/results/$target.$attack.ending"
    sed -n 's/^RESULT //p' "$out.attack" >>"$WORK/results/$target.$attack.result"
    log "  $target $attack: p50 $p50 ms, p99 $p99 ms, failed $failed, RSS +$(((rss_peak_kib - rss_before) / 1024)) MiB," \
        "log +$((log_after - log_before)) B; $(sed -n 's/^ENDING //p' "$out.attack" | cut -c1-160)"
}

# ---------------------------------------------------------------------------------------------------
main() {
    install_missing
    NGINX=$(nginx_bin)
    HAPROXY=$(haproxy_bin) || die "haproxy not found"
    if [[ $SKIP_GATEWAY != 1 && ! -f $GATEWAY_JAR ]]; then
        log "building the gateway"
        (cd "$ROOT" && mvn -B -ntp -q -o package -pl gateway-server -am -DskipTests) || die "the build failed"
    fi
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/http2-floods.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/raw"
    raise_fd_limit
    PORT_U=$(pick_port PORT_U 18160)
    PORT_N=$(pick_port PORT_N 18161 "$PORT_U")
    PORT_H=$(pick_port PORT_H 18162 "$PORT_U" "$PORT_N")
    PORT_G=$(pick_port PORT_G 18163 "$PORT_U" "$PORT_N" "$PORT_H")
    ((TLS)) && write_certificate

    local load_before targets=(nginx-proxy haproxy) t a r
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    local -A port=([nginx-proxy]=$PORT_N [haproxy]=$PORT_H [gateway]=$PORT_G)
    log "upstream nginx on $PORT_U"
    start_upstream
    log "nginx proxy (http2) on $PORT_N"
    start_nginx_proxy
    log "haproxy (h2 frontend) on $PORT_H"
    start_haproxy
    if gateway_started "(enable_http2) on $PORT_G"; then targets=(gateway "${targets[@]}"); fi

    for t in "${targets[@]}"; do
        local w=$PEER_WARMUP
        [[ $t == gateway ]] && w=$WARMUP
        ((w > 0)) || continue
        log "warming up $t for ${w}s (h2load flat out)"
        h2load -c 16 -m 10 -t 1 -D "$w" "$SCHEME://127.0.0.1:${port[$t]}/flood/" >"$WORK/raw/warmup-$t" 2>&1 ||
            die "the warm-up failed against $t (see $WORK/raw/warmup-$t)"
    done

    for ((r = 1; r <= ROUNDS; r++)); do
        for a in "${ATTACKS[@]}"; do
            log "round $r/$ROUNDS: $a"
            for t in "${targets[@]}"; do
                kill -0 "${PROXY_PID[$t]}" 2>/dev/null || die "$t has died"
                run_attack "$t" "${port[$t]}" "$a" "$r"
            done
        done
    done
    report "$load_before" "${targets[@]}"
}

report() {
    local load_before=$1 t a f stamp out gw_p99 peer
    shift
    local targets=("$@")
    stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
    out=$ROOT/bench/results/http2-floods-$stamp.md
    mkdir -p "$ROOT/bench/results"
    {
        echo "# HTTP/2 floods, $stamp"
        echo
        echo "- machine: $(nproc) cores; load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
        echo "- gateway: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), transport $TRANSPORT," \
            "io_threads $PROXY_THREADS; $(java -version 2>&1 | head -n 1)"
        echo "- nginx: $("$NGINX" -v 2>&1); $("$HAPROXY" -v 2>&1 | head -n 1); $(h2load --version 2>&1 | head -n 1)"
        echo "- $( ((TLS)) && echo "TLS (h2 by ALPN)" || echo "h2c (prior knowledge)"); good client h2load" \
            "-c $GOOD_CONNECTIONS --rps $(per_client_rps "$RATE" "$GOOD_CONNECTIONS") ($RATE req/s); rounds $ROUNDS;" \
            "stream attacks $STREAMS streams or ${ATTACK_SECONDS}s; settings100 $SETTINGS_CONNECTIONS connections" \
            "${ATTACK_SECONDS}s; pingnoread ${NOREAD_SECONDS}s"
        echo
        echo "Medians over rounds. RSS: peak during the attack minus before it. CPU: the proxy's processes over the"
        echo "attack, % of one core. Log: bytes the proxy's log grew by. Ending: the first connection's, then all."
        echo
        for a in "${ATTACKS[@]}"; do
            echo "## $a"
            echo
            echo "| target | p50 ms | p99 ms | failed | RSS growth MiB | CPU % | log bytes | fds after | p99 by round | ending in round 1 |"
            echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
            for t in "${targets[@]}"; do
                f=$WORK/results/$t.$a
                [[ -s $f ]] || continue
                printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" \
                    "$(median_or_dash "$f" 1 %.1f)" "$(median_or_dash "$f" 2 %.1f)" "$(col "$f" 3 | total)" \
                    "$(median_or_dash "$f" 4 %.0f)" "$(median_or_dash "$f" 5 %.0f)" "$(median_or_dash "$f" 6 %.0f)" \
                    "$(median_or_dash "$f" 7 %.0f)" "$(col "$f" 2 | paste -sd / -)" "$(head -n 1 "$f.ending")"
            done
            echo
            for t in "${targets[@]}"; do
                [[ -s $WORK/results/$t.$a.result ]] || continue
                echo "- $t attacker, by round: $(paste -sd ';' "$WORK/results/$t.$a.result" | sed 's/;/; /g')"
                echo "- $t endings, by round: $(paste -sd '|' "$WORK/results/$t.$a.ending" | sed 's/|/ | /g')"
            done
            if [[ -s $WORK/results/gateway.$a ]]; then
                gw_p99=$(col "$WORK/results/gateway.$a" 2 | median)
                for peer in nginx-proxy haproxy; do
                    [[ -s $WORK/results/$peer.$a ]] || continue
                    awk -v g="$gw_p99" -v p="$(col "$WORK/results/$peer.$a" 2 | median)" -v peer="$peer" 'BEGIN {
                        printf "- gateway/%s p99: %.2fx (%.1f against %.1f ms)\n", peer, (p > 0 ? g / p : 0), g, p }'
                done
            fi
            echo
        done
    } | tee "$out"
    log "report: $out"
    log "gateway log WARN/ERROR lines: $(gateway_log_problems)"
}

main "$@"
