#!/usr/bin/env bash
# HTTP/1.1 keep-alive reverse-proxy benchmark: the gateway against nginx, both in front of the same
# nginx upstream that returns a fixed 64-byte body. See bench/README.md for what is measured and why.
#
#   bench/http1-keepalive.sh                          # full run (builds the gateway if needed)
#   SKIP_GATEWAY=1 ROUNDS=1 DURATION=3 bench/http1-keepalive.sh
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [10s]  WARMUP [5s]  CONNECTIONS [64]  THREADS [2]
#   PORT_U [18080]  PORT_N [18081]  PORT_G [18082]   ports; a busy default moves to the next free port,
#                                                     a busy port given explicitly is an error
#   PROXY_THREADS [2]   threads each proxy runs: nginx worker_processes and the gateway's io_threads
#   NGINX_REUSEPORT [1] 1: the nginx proxy listens with reuseport, so the kernel spreads connections over
#                       its workers as the gateway spreads them over its event loops; 0: nginx's default
#                       accept, which may leave every connection on one worker (the report shows the split)
#   PROXY_CPUS, UPSTREAM_CPUS, WRK_CPUS   optional taskset CPU lists, e.g. PROXY_CPUS=2,3
#   JAVA_OPTS           extra JVM options for the gateway
#   GATEWAY_JAR [gateway-server/target/gateway.jar]
#   SKIP_GATEWAY [0]    1: benchmark upstream and nginx only (no build, no gateway, no ratios)
#   KEEP_TMP [0]        1: keep the temp dir (configs, logs, raw wrk output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PROXY_THREADS=${PROXY_THREADS:-2}
NGINX_REUSEPORT=${NGINX_REUSEPORT:-1}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
WRK_CPUS=${WRK_CPUS:-}

# The upstream's fixed body: exactly 64 bytes, so every target moves the same bytes per response.
BODY="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"$'\n'
# How long a started process may take to answer before we give up.
NGINX_READY_SECONDS=10
GATEWAY_READY_SECONDS=30

# wrk reads a bare number as seconds; spell the unit out so the report says what ran.
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, CPU pinning,
# nginx and gateway launching, medians and the per-thread CPU split: shared with the other bench scripts.
. "$ROOT/bench/lib.sh"

check_flags NGINX_REUSEPORT
check_positive ROUNDS CONNECTIONS THREADS PROXY_THREADS

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v wrk >/dev/null || pkgs+=(wrk)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

# wait_ready URL SECONDS PID NAME LOG: poll until URL answers 2xx, failing early if PID died.
wait_ready() {
    local url=$1 seconds=$2 pid=$3 name=$4 logfile=$5 deadline
    deadline=$((SECONDS + seconds))
    until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$name exited before it answered on $url"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 20 "$logfile" >&2 || true
            die "$name did not answer on $url within ${seconds}s"
        fi
        sleep 0.2
    done
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
    wait_ready "http://127.0.0.1:$PORT_U/" "$NGINX_READY_SECONDS" "$STARTED_PID" "upstream nginx" \
        "$WORK/upstream/error.log"
}

start_nginx_proxy() {
    {
        nginx_common proxy
        echo "worker_processes $PROXY_THREADS;"
        echo "http {"
        nginx_http_common proxy
        cat <<EOF
    upstream bench_upstream {
        server 127.0.0.1:$PORT_U;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$PORT_N$( ((NGINX_REUSEPORT)) && echo " reuseport");
        location / {
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    } >"$WORK/proxy.conf"
    start_nginx proxy "$PROXY_CPUS"
    wait_ready "http://127.0.0.1:$PORT_N/" "$NGINX_READY_SECONDS" "$STARTED_PID" "nginx proxy" \
        "$WORK/proxy/error.log"
}

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS}
EOF
    cat >"$dir/apps/bench.json" <<EOF
{
  "api_id": "bench",
  "name": "bench",
  "use_keyless": true,
  "active": true,
  "proxy": {
    "listen_path": "/",
    "target_url": "http://127.0.0.1:$PORT_U",
    "strip_listen_path": false
  }
}
EOF
    launch_gateway "$dir"
    wait_ready "http://127.0.0.1:$PORT_G/" "$GATEWAY_READY_SECONDS" "$STARTED_PID" "gateway" "$dir/gateway.log"
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# run_wrk NAME URL DURATION OUTFILE
run_wrk() {
    local url=$2 duration=$3 out=$4
    pin "$WRK_CPUS"
    "${PIN[@]}" wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "$duration" "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "wrk failed against $1"
    }
}

# parse_wrk FILE: "req_per_sec p50_ms p99_ms errors" from wrk --latency output.
parse_wrk() {
    awk '
        function ms(v,    n, u) {
            n = v; sub(/[a-z]+$/, "", n)
            u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s")  return n * 1000
            if (u == "m")  return n * 60000
            return -1
        }
        /^Requests\/sec:/            { rps = $2 }
        /^[ \t]+50%/                 { p50 = ms($2) }
        /^[ \t]+99%/                 { p99 = ms($2) }
        /Socket errors:/             { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/  { errors += $5 }
        END {
            if (rps == "" || p50 == "" || p99 == "" || p50 < 0 || p99 < 0) exit 1
            printf "%.0f %.3f %.3f %d\n", rps, p50, p99, errors
        }' "$1"
}

# ---------------------------------------------------------------------------------------------------
main() {
    command -v curl >/dev/null || die "curl is needed"
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
    if [[ -n $PROXY_CPUS$UPSTREAM_CPUS$WRK_CPUS ]]; then
        command -v taskset >/dev/null || die "taskset (util-linux) is needed for *_CPUS"
    fi

    if [[ $SKIP_GATEWAY != 1 && ! -f $GATEWAY_JAR ]]; then
        log "building the gateway (mvn -q -DskipTests package)"
        (cd "$ROOT" && mvn -q -DskipTests package) >&2
        [[ -f $GATEWAY_JAR ]] || die "the build did not produce $GATEWAY_JAR"
    fi

    PORT_U=$(pick_port PORT_U 18080)
    PORT_N=$(pick_port PORT_N 18081 "$PORT_U")
    PORT_G=$(pick_port PORT_G 18082 "$PORT_U" "$PORT_N")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-http1.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/wrk"

    local targets=(upstream-direct nginx-proxy)
    local -A url=(
        [upstream-direct]="http://127.0.0.1:$PORT_U/"
        [nginx-proxy]="http://127.0.0.1:$PORT_N/"
    )

    log "upstream nginx on 127.0.0.1:$PORT_U"
    start_upstream
    log "nginx proxy on 127.0.0.1:$PORT_N (worker_processes $PROXY_THREADS, reuseport $NGINX_REUSEPORT)"
    start_nginx_proxy
    PROXY_PID[nginx-proxy]=$STARTED_PID
    if gateway_started "on 127.0.0.1:$PORT_G ($GATEWAY_JAR)"; then
        targets+=(gateway)
        url[gateway]="http://127.0.0.1:$PORT_G/"
    fi

    # Every target must return the upstream's exact body, or we would be measuring something else.
    local t got
    for t in "${targets[@]}"; do
        got=$(curl -fsS "${url[$t]}") || die "$t: request failed"
        [[ "$got"$'\n' == "$BODY" ]] || die "$t returned an unexpected body: $got"
        : >"$WORK/results/$t.txt"
    done

    for t in "${targets[@]}"; do
        log "warm-up $t ($WARMUP)"
        run_wrk "$t" "${url[$t]}" "$WARMUP" "$WORK/wrk/warmup-$t.txt"
    done

    local round line before split
    for ((round = 1; round <= ROUNDS; round++)); do
        for t in "${targets[@]}"; do
            before=$(worker_cpu "$t")
            run_wrk "$t" "${url[$t]}" "$DURATION" "$WORK/wrk/round$round-$t.txt"
            split=$(cpu_split "$before" "$(worker_cpu "$t")")
            [[ -n $split ]] && echo "$split" >>"$WORK/results/$t.split"
            line=$(parse_wrk "$WORK/wrk/round$round-$t.txt") || {
                cat "$WORK/wrk/round$round-$t.txt" >&2
                die "could not parse wrk output for $t"
            }
            echo "$line" >>"$WORK/results/$t.txt"
            read -r rps p50 p99 errors <<<"$line"
            log "round $round/$ROUNDS $(printf '%-16s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s' "$t" "$rps" "$p50" "$p99" "$errors")${split:+  thread CPU ms $split}"
        done
    done

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/http1-keepalive-$stamp.md
    mkdir -p "$report_dir"

    local -A med_rps med_p99
    {
        echo "# HTTP/1.1 keep-alive proxy benchmark"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- nginx: $("$NGINX" -v 2>&1 | head -n 1)"
        echo "- wrk: $(wrk -v 2>&1 | head -n 1 || true)"
        echo "- java: $(java -version 2>&1 | head -n 1 || echo 'not found')"
        echo "- load: wrk -t $THREADS -c $CONNECTIONS -d $DURATION --latency, $ROUNDS interleaved rounds after a $WARMUP warm-up per target"
        echo "- upstream: nginx, worker_processes 1, fixed 64-byte body"
        echo "- proxies: $PROXY_THREADS threads each (nginx worker_processes$( ((NGINX_REUSEPORT)) && echo " with reuseport"), gateway io_threads); nginx upstream keepalive 64"
        [[ -n $PROXY_CPUS$UPSTREAM_CPUS$WRK_CPUS ]] &&
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstream ${UPSTREAM_CPUS:-none}, wrk ${WRK_CPUS:-none}"
        [[ $SKIP_GATEWAY != 1 ]] && echo "- JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        echo
        echo "| target | req/s (median) | p50 ms (median) | p99 ms (median) | errors (sum) |"
        echo "| --- | ---: | ---: | ---: | ---: |"
        for t in "${targets[@]}"; do
            med_rps[$t]=$(col "$WORK/results/$t.txt" 1 | median)
            med_p99[$t]=$(col "$WORK/results/$t.txt" 3 | median)
            printf '| %s | %.0f | %.3f | %.3f | %d |\n' "$t" "${med_rps[$t]}" \
                "$(col "$WORK/results/$t.txt" 2 | median)" "${med_p99[$t]}" "$(col "$WORK/results/$t.txt" 4 | total)"
        done
        echo
        cpu_split_report
        echo
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway/nginx ratios."
        else
            awk -v gr="${med_rps[gateway]}" -v nr="${med_rps[nginx-proxy]}" \
                -v gp="${med_p99[gateway]}" -v np="${med_p99[nginx-proxy]}" 'BEGIN {
                rr = gr / nr; pr = (np > 0) ? gp / np : 0
                printf "- gateway/nginx req/s: %.2fx (target >= 0.90x): %s\n", rr, (rr >= 0.9 ? "met" : "NOT met")
                printf "- gateway/nginx p99:   %.2fx (target <= 1.20x): %s\n", pr, (pr <= 1.2 ? "met" : "NOT met")
            }'
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
}

main "$@"
