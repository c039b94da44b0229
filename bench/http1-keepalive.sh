#!/usr/bin/env bash
# HTTP/1.1 keep-alive reverse-proxy benchmark: the gateway against nginx, both in front of the same
# nginx upstream that returns a fixed 64-byte body. See bench/README.md for what is measured and why.
#
#   bench/http1-keepalive.sh                          # full run (builds the gateway if needed)
#   SKIP_GATEWAY=1 ROUNDS=1 DURATION=3 bench/http1-keepalive.sh
#   RATE=5000 bench/http1-keepalive.sh                # at a fixed 5000 req/s: CPU per request below saturation
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [10s]  WARMUP [20s]  CONNECTIONS [64]  THREADS [2]
#                       the warm-up is wrk flat out per target in both modes, so the JIT has compiled the
#                       gateway's hot path
#   RATE [0]            0: the rounds run wrk flat out (saturation); N: they run h2load --h1 at a fixed N req/s in
#                       total (--rps N / CONNECTIONS per connection, -m 1: no pipelining), since wrk cannot hold a
#                       rate; p50/p99 then come from h2load's per-request log
#   PORT_U [18080]  PORT_N [18081]  PORT_G [18082]   ports; a busy default moves to the next free port,
#                                                     a busy port given explicitly is an error
#   PROXY_THREADS [2]   threads each proxy runs: nginx worker_processes and the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
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
WARMUP=${WARMUP:-20s}
RATE=${RATE:-0}
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
[[ $RATE =~ ^[0-9]+$ ]] || die "RATE must be a non-negative integer (requests/s in total), not '$RATE'"
RATE=$((10#$RATE))
RPS_PER_CLIENT=""
if ((RATE > 0)); then
    RPS_PER_CLIENT=$(per_client_rps "$RATE" "$CONNECTIONS")
    ((THREADS <= CONNECTIONS)) || die "THREADS ($THREADS) must not exceed CONNECTIONS ($CONNECTIONS) for h2load"
    seconds "$DURATION" >/dev/null || die "with RATE, DURATION must be an h2load duration (10, 10s, 1m), not '$DURATION'"
fi

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v wrk >/dev/null || pkgs+=(wrk)
    ((RATE == 0)) || command -v h2load >/dev/null || pkgs+=(nghttp2-client)
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
    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream "$UPSTREAM_CPUS"
    wait_ready "http://127.0.0.1:$PORT_U/" "$NGINX_READY_SECONDS" "$STARTED_PID" "upstream nginx" \
        "$WORK/upstream/error.log"
}

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT"}
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
    mkdir -p "$WORK/results" "$WORK/wrk" "$WORK/h2load"

    local targets=(upstream-direct nginx-proxy)
    local -A url=(
        [upstream-direct]="http://127.0.0.1:$PORT_U/"
        [nginx-proxy]="http://127.0.0.1:$PORT_N/"
    )

    log "upstream nginx on 127.0.0.1:$PORT_U"
    start_upstream
    log "nginx proxy on 127.0.0.1:$PORT_N (worker_processes $PROXY_THREADS, reuseport $NGINX_REUSEPORT)"
    start_nginx_http_proxy "$PORT_N" "$PORT_U" "$NGINX_READY_SECONDS"
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
        log "warm-up $t ($WARMUP, wrk flat out)"
        run_wrk "$t" "${url[$t]}" "$WARMUP" "$WORK/wrk/warmup-$t.txt"
    done

    if ((RATE > 0)); then
        log "rounds at a fixed $RATE req/s: h2load --h1 --rps=$RPS_PER_CLIENT per connection, $CONNECTIONS connections"
    else
        log "rounds flat out (saturation): wrk"
    fi
    local round line before after split cpu raw rps p50 p99 errors requests
    for ((round = 1; round <= ROUNDS; round++)); do
        for t in "${targets[@]}"; do
            before=$(cpu_sample "$t")
            if ((RATE > 0)); then
                raw=$WORK/h2load/round$round-$t.txt
                run_h2load_h1 "$t" "${url[$t]}" "$DURATION" "$raw" "$WORK/h2load/round$round-$t.log"
            else
                raw=$WORK/wrk/round$round-$t.txt
                run_wrk "$t" "${url[$t]}" "$DURATION" "$raw"
            fi
            after=$(cpu_sample "$t")
            split=$(cpu_split "$before" "$after")
            [[ -n $split ]] && echo "$split" >>"$WORK/results/$t.split"
            if ((RATE > 0)); then
                line=$(parse_h2load_h1 "$raw" "$WORK/h2load/round$round-$t.log") || line=""
            else
                line=$(parse_wrk "$raw") || line=""
            fi
            [[ -n $line ]] || {
                cat "$raw" >&2
                die "could not parse the load generator's output for $t"
            }
            echo "$line" >>"$WORK/results/$t.txt"
            read -r rps p50 p99 errors requests <<<"$line"
            cpu=$(cpu_per_request "$before" "$after" "$requests")
            [[ -n $cpu ]] && echo "$cpu" >>"$WORK/results/$t.cpu"
            log "round $round/$ROUNDS $(printf '%-16s %10s req/s  p50 %8s ms  p99 %8s ms  errors %s' "$t" "$rps" "$p50" "$p99" "$errors")${split:+  thread CPU ms $split}${cpu:+  CPU us/req threads/process ${cpu/ //}}"
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
        if ((RATE > 0)); then
            echo "- h2load: $(h2load --version 2>&1 | head -n 1)"
            echo "- load: h2load --h1 -t $THREADS -c $CONNECTIONS -m 1 -D $DURATION --rps=$RPS_PER_CLIENT (a fixed $RATE req/s in total), $ROUNDS interleaved rounds after a $WARMUP wrk warm-up (flat out) per target; p50/p99 from h2load's per-request log"
        else
            echo "- load: wrk -t $THREADS -c $CONNECTIONS -d $DURATION --latency (flat out, saturation), $ROUNDS interleaved rounds after a $WARMUP warm-up per target"
        fi
        echo "- upstream: nginx, worker_processes 1, fixed 64-byte body"
        echo "- proxies: $PROXY_THREADS threads each (nginx worker_processes$( ((NGINX_REUSEPORT)) && echo " with reuseport"), gateway io_threads, transport $TRANSPORT); nginx upstream keepalive 64"
        [[ -n $PROXY_CPUS$UPSTREAM_CPUS$WRK_CPUS ]] &&
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstream ${UPSTREAM_CPUS:-none}, wrk ${WRK_CPUS:-none}"
        [[ $SKIP_GATEWAY != 1 ]] && echo "- JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        echo
        echo "CPU per request: the proxy's CPU in the round over the requests it completed (worker threads: nginx's workers, the gateway's event loops; process: all of it, the JVM's GC and JIT threads included)."
        echo
        echo "| target | req/s (median) | p50 ms (median) | p99 ms (median) | CPU us/req, worker threads (median) | CPU us/req, process (median) | requests (sum) | errors (sum) |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for t in "${targets[@]}"; do
            med_rps[$t]=$(col "$WORK/results/$t.txt" 1 | median)
            med_p99[$t]=$(col "$WORK/results/$t.txt" 3 | median)
            printf '| %s | %.0f | %.3f | %.3f | %s | %s | %d | %d |\n' "$t" "${med_rps[$t]}" \
                "$(col "$WORK/results/$t.txt" 2 | median)" "${med_p99[$t]}" \
                "$(median_or_dash "$WORK/results/$t.cpu" 1 %.1f)" "$(median_or_dash "$WORK/results/$t.cpu" 2 %.1f)" \
                "$(col "$WORK/results/$t.txt" 5 | total)" "$(col "$WORK/results/$t.txt" 4 | total)"
        done
        echo
        cpu_split_report
        echo
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway/nginx ratios."
        else
            awk -v gr="${med_rps[gateway]}" -v nr="${med_rps[nginx-proxy]}" -v rate="$RATE" \
                -v gp="${med_p99[gateway]}" -v np="${med_p99[nginx-proxy]}" 'BEGIN {
                rr = gr / nr; pr = (np > 0) ? gp / np : 0
                if (rate > 0)
                    # The load sets the rate: this only shows whether both proxies kept up with it.
                    printf "- req/s reached at the fixed rate of %d: nginx %.1f%%, gateway %.1f%%%s\n", rate,
                        100 * nr / rate, 100 * gr / rate, (gr < 0.98 * rate || nr < 0.98 * rate) ? " (one fell more than 2% short: it did not keep up)" : ""
                else
                    printf "- gateway/nginx req/s: %.2fx (target >= 0.90x): %s\n", rr, (rr >= 0.9 ? "met" : "NOT met")
                printf "- gateway/nginx p99:   %.2fx (target <= 1.20x): %s\n", pr, (pr <= 1.2 ? "met" : "NOT met")
            }'
            cpu_ratio_line request "$WORK/results/gateway.cpu" "$WORK/results/nginx-proxy.cpu"
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
}

main "$@"
