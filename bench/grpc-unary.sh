#!/usr/bin/env bash
# gRPC over h2c benchmark: unary req/s of the gateway against nginx's grpc_pass, both in front of the same
# grpc-java upstream (examples' GrpcDemoServers), then server-streaming messages/s through the gateway against
# the upstream direct. See bench/README.md for what is measured and why.
#
#   bench/grpc-unary.sh                                   # full run (builds the jars if needed)
#   ROUNDS=1 DURATION=3 WARMUP=2 bench/grpc-unary.sh      # quick check (the JIT is not done: not a result)
#   RATE=5000 SKIP_STREAM=1 bench/grpc-unary.sh           # unary at a fixed 5000 calls/s: CPU per call below saturation
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [10s]  WARMUP [20s]   h2load rounds, and the time per target per round and for warm-up
#                       (the warm-up always runs flat out, so the JIT has compiled the gateway's hot path)
#   RATE [0]            0: unary rounds flat out (saturation); N: at a fixed N calls/s in total, h2load --rps
#                       N / CONNECTIONS per client; the report then gives the rate reached, p50/p99 from h2load's
#                       per-request log, and CPU per call
#   CONNECTIONS [16]  STREAMS [32]  THREADS [2]   h2load -c (connections), -m (concurrent streams per
#                                                 connection) and -t (threads)
#   PORT_U [18090]  PORT_N [18091]  PORT_G [18092]   ports; a busy default moves to the next free port,
#                                                     a busy port given explicitly is an error
#   PROXY_THREADS [2]   threads each proxy runs: nginx worker_processes and the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   NGINX_REUSEPORT [1] 1: the nginx proxy listens with reuseport (connections spread over its workers)
#   UPSTREAM_KEEPALIVE [CONNECTIONS*STREAMS]   nginx's upstream keepalive cache per worker. nginx's grpc_pass
#                       sends one request per upstream connection at a time, so anything smaller than the
#                       number of concurrent streams makes it open and close upstream connections under load
#   STREAM_COUNT [1000000]  STREAM_NAME_BYTES [64]   messages per server-streaming call and their name size
#                       (a million take about a second; 200000 is over too fast to measure on a small machine)
#   STREAM_WARMUP [500000] messages in the one warm-up streaming call per target (0: none)
#   SKIP_STREAM [0]     1: unary part only
#   PROXY_CPUS, UPSTREAM_CPUS, LOAD_CPUS   optional taskset CPU lists (LOAD_CPUS: h2load and the stream client)
#   JAVA_OPTS           extra JVM options for the gateway
#   GATEWAY_JAR [gateway-server/target/gateway.jar]   EXAMPLES_JAR [examples/target/examples.jar]
#   SKIP_GATEWAY [0]    1: benchmark the upstream and nginx only (no gateway build, no ratios)
#   KEEP_TMP [0]        1: keep the temp dir (configs, logs, raw h2load and stream client output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-20s}
RATE=${RATE:-0}
CONNECTIONS=${CONNECTIONS:-16}
STREAMS=${STREAMS:-32}
THREADS=${THREADS:-2}
PROXY_THREADS=${PROXY_THREADS:-2}
NGINX_REUSEPORT=${NGINX_REUSEPORT:-1}
UPSTREAM_KEEPALIVE=${UPSTREAM_KEEPALIVE:-}
STREAM_COUNT=${STREAM_COUNT:-1000000}
STREAM_NAME_BYTES=${STREAM_NAME_BYTES:-64}
STREAM_WARMUP=${STREAM_WARMUP:-500000}
SKIP_STREAM=${SKIP_STREAM:-0}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
EXAMPLES_JAR=${EXAMPLES_JAR:-$ROOT/examples/target/examples.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
LOAD_CPUS=${LOAD_CPUS:-}

# How long a started process may take to answer a SayHello before we give up.
NGINX_READY_SECONDS=10
JAVA_READY_SECONDS=30

# log, die, the cleanup trap, ports, CPU pinning, nginx and gateway launching, medians and the per-thread CPU
# split: shared with the other bench scripts. The cleanup trap stops every process this script starts in the
# background, on any exit, Ctrl-C too; h2load, nghttp and the stream client run in the foreground and get
# Ctrl-C from the terminal themselves.
. "$ROOT/bench/lib.sh"

# h2load reads a bare number as seconds too; spell the unit out so the report says what ran.
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"
for var in DURATION WARMUP; do
    s=$(seconds "${!var}") && ((s > 0)) || die "$var must be a positive duration (10, 10s, 500ms, 1m), not '${!var}'"
done
check_flags NGINX_REUSEPORT SKIP_STREAM SKIP_GATEWAY KEEP_TMP
check_positive ROUNDS CONNECTIONS STREAMS THREADS PROXY_THREADS STREAM_COUNT
for var in STREAM_NAME_BYTES STREAM_WARMUP RATE; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a non-negative integer, not '${!var}'"
done
((THREADS <= CONNECTIONS)) || die "THREADS ($THREADS) must not exceed CONNECTIONS ($CONNECTIONS): h2load needs a connection per thread"
UPSTREAM_KEEPALIVE=${UPSTREAM_KEEPALIVE:-$((CONNECTIONS * STREAMS))}
check_positive UPSTREAM_KEEPALIVE
RATE=$((10#$RATE))
RPS_PER_CLIENT=""
((RATE == 0)) || RPS_PER_CLIENT=$(per_client_rps "$RATE" "$CONNECTIONS")

# ---------------------------------------------------------------------------------------------------
# Tools
# nginx_has_grpc NGINX: whether this nginx accepts a grpc_pass on an http2 listener (ngx_http_grpc_module and
# ngx_http_v2_module; Debian's nginx-light, nginx-core and nginx-full all have both). Checked with nginx -t on a
# throwaway config rather than by reading nginx -V, which lists only the modules a build leaves out or adds.
nginx_has_grpc() {
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-grpc-nginx-t.XXXXXX")
    cat >"$dir/t.conf" <<EOF
pid $dir/nginx.pid;
error_log $dir/error.log;
events {}
http {
    access_log off;
    upstream u { server 127.0.0.1:1; keepalive 1; }
    server { listen 127.0.0.1:1 http2; location / { grpc_pass grpc://u; } }
}
EOF
    local ok=0
    "$1" -t -q -p "$dir" -c "$dir/t.conf" >"$dir/out" 2>&1 || ok=1
    ((ok == 0)) || sed 's/^/[bench]   /' "$dir/out" >&2
    rm -rf "$dir"
    return $ok
}

install_missing() {
    local pkgs=() nginx
    nginx=$(nginx_bin)
    # nginx_package picks nginx-light where Debian has it, which has the grpc module.
    [[ -n $nginx ]] || pkgs+=("$(nginx_package)")
    command -v h2load >/dev/null && command -v nghttp >/dev/null || pkgs+=(nghttp2-client)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"

    nginx=$(nginx_bin)
    [[ -n $nginx ]] || die "nginx not found after install"
    if ! nginx_has_grpc "$nginx"; then
        # A build without the grpc module (a custom one, or a distribution's minimal package): nginx-core
        # replaces it with the standard module set.
        log "$nginx cannot grpc_pass on an http2 listener (output above); installing nginx-core"
        apt_install nginx-core
        nginx=$(nginx_bin)
        nginx_has_grpc "$nginx" || die "$nginx still has no grpc_pass support"
    fi
}

# wait_ready PORT SECONDS PID NAME LOG: poll with grpc_check until PORT answers, failing early if PID died.
wait_ready() {
    local port=$1 seconds=$2 pid=$3 name=$4 logfile=$5 deadline check=$WORK/check-$4
    deadline=$((SECONDS + seconds))
    until grpc_check "$port" "$check"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$name exited before it answered SayHello on port $port"
        fi
        if ((SECONDS >= deadline)); then
            log "$name: last nghttp exchange:"
            sed 's/^/[bench]   /' "$check.verbose" >&2 || true
            [[ -s $check.body ]] && log "$name: last body: $(od -An -c "$check.body" | tr -s ' ' | head -c 300)"
            log "$name: log tail:"
            tail -n 20 "$logfile" >&2 || true
            die "$name did not answer SayHello correctly on port $port within ${seconds}s"
        fi
        sleep 0.3
    done
}

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstream() {
    local dir=$WORK/upstream
    mkdir -p "$dir"
    pin "$UPSTREAM_CPUS"
    "${PIN[@]}" java -cp "$EXAMPLES_JAR" dev.gateway.examples.grpc.GrpcDemoServers --port "$PORT_U" \
        >"$dir/upstream.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    wait_ready "$PORT_U" "$JAVA_READY_SECONDS" "$STARTED_PID" upstream "$dir/upstream.log"
}

start_nginx_proxy() {
    local worker_connections
    # Per worker: the client connections, and up to one upstream connection per concurrent stream.
    worker_connections=$((CONNECTIONS + CONNECTIONS * STREAMS + UPSTREAM_KEEPALIVE + 64))
    ((worker_connections < 4096)) && worker_connections=4096
    {
        nginx_common proxy "$worker_connections"
        echo "worker_processes $PROXY_THREADS;"
        echo "worker_rlimit_nofile $((2 * worker_connections));"
        echo "http {"
        nginx_http_common proxy
        cat <<EOF
    http2_max_concurrent_streams $((STREAMS > 128 ? STREAMS : 128));
    upstream grpc_upstream {
        server 127.0.0.1:$PORT_U;
        keepalive $UPSTREAM_KEEPALIVE;
        keepalive_requests 1000000;
        keepalive_timeout 75s;
    }
    server {
        listen 127.0.0.1:$PORT_N$( ((NGINX_REUSEPORT)) && echo " reuseport") http2;
        location / {
            grpc_pass grpc://grpc_upstream;
        }
    }
}
EOF
    } >"$WORK/proxy.conf"
    start_nginx proxy "$PROXY_CPUS"
    wait_ready "$PORT_N" "$NGINX_READY_SECONDS" "$STARTED_PID" nginx-proxy "$WORK/proxy/error.log"
}

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT", "http_server_options": {"enable_http2": true}}
EOF
    cat >"$dir/apps/greeter.json" <<EOF
{"api_id":"greeter","name":"greeter","use_keyless":true,"active":true,"proxy":{"listen_path":"/helloworld.Greeter","strip_listen_path":false,"target_url":"h2c://127.0.0.1:$PORT_U"}}
EOF
    cat >"$dir/apps/routeguide.json" <<EOF
{"api_id":"routeguide","name":"routeguide","use_keyless":true,"active":true,"proxy":{"listen_path":"/routeguide.RouteGuide","strip_listen_path":false,"target_url":"h2c://127.0.0.1:$PORT_U"}}
EOF
    launch_gateway "$dir"
    wait_ready "$PORT_G" "$JAVA_READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log"
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# run_h2load NAME PORT DURATION OUTFILE [H2LOAD_ARGS...]. h2load stops its clients when the duration is over,
# even if a target stops answering; timeout is only the backstop for an h2load that hangs anyway (--foreground
# keeps it in our process group, so Ctrl-C still reaches it). The extra arguments are for the fixed rate
# (--rps, --log-file).
run_h2load() {
    local name=$1 port=$2 duration=$3 out=$4 limit
    shift 4
    limit=$(($(seconds "$duration") + 30))
    pin "$LOAD_CPUS"
    if ! timeout --foreground -k 5 "$limit" "${PIN[@]}" h2load -D "$duration" -c "$CONNECTIONS" -m "$STREAMS" \
        -t "$THREADS" "$@" --data="$WORK/request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$port$GREETER_PATH" >"$out" 2>&1; then
        cat "$out" >&2
        die "h2load failed against $name (exit status above; 124 means it ran past ${limit}s)"
    fi
}

# ---------------------------------------------------------------------------------------------------
main() {
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    command -v java >/dev/null || die "java (17 or later) is needed"
    command -v timeout >/dev/null || die "timeout (coreutils) is needed"
    install_missing
    NGINX=$(nginx_bin)
    if [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]]; then
        command -v taskset >/dev/null || die "taskset (util-linux) is needed for *_CPUS"
    fi

    # Build only the module that is missing: mvn -pl <module> -am package, offline first.
    local module jar
    for module in examples gateway-server; do
        [[ $module == gateway-server && $SKIP_GATEWAY == 1 ]] && continue
        jar=$EXAMPLES_JAR
        [[ $module == gateway-server ]] && jar=$GATEWAY_JAR
        [[ -f $jar ]] && continue
        log "building $module (mvn -q -pl $module -am -DskipTests package)"
        (cd "$ROOT" && { mvn -q -o -pl "$module" -am -DskipTests package || mvn -q -pl "$module" -am -DskipTests package; }) >&2
        [[ -f $jar ]] || die "the build did not produce $jar"
    done

    PORT_U=$(pick_port PORT_U 18090)
    PORT_N=$(pick_port PORT_N 18091 "$PORT_U")
    PORT_G=$(pick_port PORT_G 18092 "$PORT_U" "$PORT_N")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-grpc.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/h2load"

    write_grpc_bodies

    local targets=(upstream-direct nginx-proxy)
    local -A port=([upstream-direct]=$PORT_U [nginx-proxy]=$PORT_N)

    log "upstream: grpc-java GrpcDemoServers on 127.0.0.1:$PORT_U"
    start_upstream
    log "nginx grpc_pass proxy on 127.0.0.1:$PORT_N (worker_processes $PROXY_THREADS, reuseport $NGINX_REUSEPORT, upstream keepalive $UPSTREAM_KEEPALIVE)"
    start_nginx_proxy
    PROXY_PID[nginx-proxy]=$STARTED_PID
    if gateway_started "on 127.0.0.1:$PORT_G ($GATEWAY_JAR)"; then
        targets+=(gateway)
        port[gateway]=$PORT_G
    fi
    # wait_ready already required each target's SayHello to end with grpc-status 0 and the exact reply.
    log "SayHello(\"world\") through every target: HTTP 200, reply \"Hello world\", grpc-status 0"

    local t
    for t in "${targets[@]}"; do
        : >"$WORK/results/$t.txt"
        : >"$WORK/results/$t.lat"
        log "warm-up $t ($WARMUP, flat out)"
        run_h2load "$t" "${port[$t]}" "$WARMUP" "$WORK/h2load/warmup-$t.txt"
    done

    # At a fixed rate h2load paces each client (--rps) and logs every request, for the percentiles.
    local rate_args=()
    if ((RATE > 0)); then
        log "unary rounds at a fixed $RATE calls/s: h2load --rps=$RPS_PER_CLIENT per client, $CONNECTIONS clients"
    else
        log "unary rounds flat out (saturation)"
    fi
    local round line before after split cpu lat rps mean done ok problems
    for ((round = 1; round <= ROUNDS; round++)); do
        for t in "${targets[@]}"; do
            ((RATE > 0)) && rate_args=(--rps="$RPS_PER_CLIENT" --log-file="$WORK/h2load/round$round-$t.log")
            before=$(cpu_sample "$t")
            run_h2load "$t" "${port[$t]}" "$DURATION" "$WORK/h2load/round$round-$t.txt" "${rate_args[@]}"
            after=$(cpu_sample "$t")
            split=$(cpu_split "$before" "$after")
            [[ -n $split ]] && echo "$split" >>"$WORK/results/$t.split"
            line=$(parse_h2load "$WORK/h2load/round$round-$t.txt") || {
                cat "$WORK/h2load/round$round-$t.txt" >&2
                die "could not parse h2load output for $t"
            }
            echo "$line" >>"$WORK/results/$t.txt"
            read -r rps mean done ok problems <<<"$line"
            cpu=$(cpu_per_request "$before" "$after" "$done")
            [[ -n $cpu ]] && echo "$cpu" >>"$WORK/results/$t.cpu"
            lat=""
            if ((RATE > 0)); then
                lat=$(h2load_percentiles "$WORK/h2load/round$round-$t.log")
                echo "$lat" >>"$WORK/results/$t.lat"
            fi
            log "round $round/$ROUNDS $(printf '%-16s %9s req/s  mean %8s ms  2xx %9s of %9s  problems %s' \
                "$t" "$rps" "$mean" "$ok" "$done" "$problems")${lat:+  p50/p99 ms ${lat/ //}}${split:+  thread CPU ms $split}${cpu:+  CPU us/call threads/process ${cpu/ //}}"
            ((problems == 0)) || log "  $t: failed, errored, timed-out or non-2xx requests; see the h2load summary:" \
                "$(grep -E '^(requests|status codes):' "$WORK/h2load/round$round-$t.txt" | paste -sd ' ')"
        done
    done

    # Still answering correctly after the load? A target that broke under load shows here, not in h2load.
    local -A after_ok=()
    for t in "${targets[@]}"; do
        if grpc_check "${port[$t]}" "$WORK/check-after-$t"; then
            after_ok[$t]=yes
        else
            after_ok[$t]=NO
            log "$t: SayHello after the load did not return \"Hello world\" with grpc-status 0:"
            sed 's/^/[bench]   /' "$WORK/check-after-$t.verbose" >&2 || true
        fi
    done

    # ---- server streaming ----
    local stream_targets=() stream_status=0
    if [[ $SKIP_STREAM != 1 ]]; then
        local args=()
        for t in "${targets[@]}"; do
            args+=("$t=127.0.0.1:${port[$t]}")
            stream_targets+=("$t")
            : >"$WORK/results/$t.stream"
        done
        log "server streaming: ListFeatures, $STREAM_COUNT messages with $STREAM_NAME_BYTES-byte names per call," \
            "$ROUNDS interleaved rounds after a $STREAM_WARMUP-message warm-up call per target"
        pin "$LOAD_CPUS"
        "${PIN[@]}" java -cp "$EXAMPLES_JAR" dev.gateway.examples.grpc.bench.StreamRate --count "$STREAM_COUNT" \
            --name-bytes "$STREAM_NAME_BYTES" --rounds "$ROUNDS" --warmup-count "$STREAM_WARMUP" "${args[@]}" \
            >"$WORK/stream.out" 2>"$WORK/stream.err" || stream_status=$?
        local kind r name rest
        while read -r kind r name rest; do
            # warmup lines have no round number: "warmup NAME messages ...".
            [[ $kind == warmup ]] && { log "stream warm-up $r: ${name} $rest"; continue; }
            [[ $kind == round ]] || continue
            log "stream round $r/$ROUNDS $(printf '%-16s' "$name") $rest"
            # messages N bytes B seconds S msgs_per_s X mb_per_s Y
            awk '{ print $8, $10 }' <<<"$rest" >>"$WORK/results/$name.stream"
        done <"$WORK/stream.out"
        if ((stream_status != 0)); then
            sed 's/^/[bench]   /' "$WORK/stream.err" >&2
            log "the stream client failed (exit status $stream_status); the stream table shows the rounds it finished"
        fi
    fi

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/grpc-unary-$stamp.md
    mkdir -p "$report_dir"

    local -A med_rps=() med_msgs=() sum_problems=()
    {
        echo "# gRPC (h2c) proxy benchmark: unary req/s and server-streaming messages/s"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- nginx: $("$NGINX" -v 2>&1 | head -n 1)"
        echo "- h2load: $(h2load --version 2>&1 | head -n 1)"
        echo "- java: $(java -version 2>&1 | head -n 1)"
        echo "- upstream: grpc-java GrpcDemoServers (examples.jar), plaintext h2c, helloworld.Greeter and routeguide.RouteGuide"
        echo "- unary load: h2load -D $DURATION -c $CONNECTIONS -m $STREAMS -t $THREADS$( ((RATE > 0)) && echo " --rps=$RPS_PER_CLIENT (a fixed $RATE calls/s in total)" || echo " flat out (saturation)"), POST $GREETER_PATH with HelloRequest{name: \"world\"} (12 bytes framed), $ROUNDS interleaved rounds after a $WARMUP warm-up per target (flat out)"
        echo "- proxies: $PROXY_THREADS threads each (nginx worker_processes$( ((NGINX_REUSEPORT)) && echo " with reuseport"), gateway io_threads, transport $TRANSPORT); nginx grpc_pass with upstream keepalive $UPSTREAM_KEEPALIVE"
        [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]] &&
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstream ${UPSTREAM_CPUS:-none}, load ${LOAD_CPUS:-none}"
        [[ $SKIP_GATEWAY != 1 ]] && echo "- JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        echo
        echo "## Unary: helloworld.Greeter/SayHello"
        echo
        ((RATE > 0)) && echo "At a fixed $RATE calls/s: p50 and p99 from h2load's per-request log; CPU per call is the proxy's CPU in the round over the calls it completed (worker threads: nginx's workers, the gateway's event loops; process: all of it, the JVM's GC and JIT threads included)." ||
            echo "Flat out (saturation). CPU per call is the proxy's CPU in the round over the calls it completed (worker threads: nginx's workers, the gateway's event loops; process: all of it, the JVM's GC and JIT threads included)."
        echo
        echo "| target | req/s (median) | ratio to nginx-proxy | mean ms (median) | p50 ms (median) | p99 ms (median) | CPU us/call, worker threads (median) | CPU us/call, process (median) | requests (sum) | failed or non-2xx (sum) | SayHello after load |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
        for t in "${targets[@]}"; do
            med_rps[$t]=$(col "$WORK/results/$t.txt" 1 | median)
            sum_problems[$t]=$(col "$WORK/results/$t.txt" 5 | total)
        done
        for t in "${targets[@]}"; do
            printf '| %s | %.0f | %.2fx | %.3f | %s | %s | %s | %s | %d | %d | %s |\n' "$t" "${med_rps[$t]}" \
                "$(awk -v a="${med_rps[$t]}" -v b="${med_rps[nginx-proxy]}" 'BEGIN { print (b > 0) ? a / b : 0 }')" \
                "$(col "$WORK/results/$t.txt" 2 | median)" \
                "$(median_or_dash "$WORK/results/$t.lat" 1 %.3f)" "$(median_or_dash "$WORK/results/$t.lat" 2 %.3f)" \
                "$(median_or_dash "$WORK/results/$t.cpu" 1 %.1f)" "$(median_or_dash "$WORK/results/$t.cpu" 2 %.1f)" \
                "$(col "$WORK/results/$t.txt" 3 | total)" \
                "${sum_problems[$t]}" "${after_ok[$t]}"
        done
        echo
        cpu_split_report
        echo
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway/nginx ratio."
        else
            awk -v gr="${med_rps[gateway]}" -v nr="${med_rps[nginx-proxy]}" -v gp="${sum_problems[gateway]}" \
                -v np="${sum_problems[nginx-proxy]}" -v ga="${after_ok[gateway]}" -v rate="$RATE" 'BEGIN {
                rr = (nr > 0) ? gr / nr : 0
                verdict = (rr >= 1.0) ? "met" : "NOT met"
                if (gp > 0) verdict = "NOT met (the gateway had " gp " failed or non-2xx requests)"
                else if (ga != "yes") verdict = "NOT met (the gateway no longer answered SayHello correctly after the load)"
                if (rate > 0) {
                    # The load sets the rate: the ratio only shows whether both proxies kept up with it.
                    printf "- calls/s reached at the fixed rate of %d: nginx %.1f%%, gateway %.1f%%%s\n", rate,
                        100 * nr / rate, 100 * gr / rate, (gr < 0.98 * rate || nr < 0.98 * rate) ? " (one fell more than 2% short: it did not keep up)" : ""
                    if (gp > 0 || ga != "yes") printf "- gateway: %s\n", verdict
                } else
                    printf "- gateway/nginx req/s: %.2fx (target >= 1.00x): %s\n", rr, verdict
                if (np > 0) printf "- note: nginx-proxy had %d failed or non-2xx requests; its req/s is not comparable\n", np
            }'
            cpu_ratio_line call "$WORK/results/gateway.cpu" "$WORK/results/nginx-proxy.cpu"
            if ((RATE > 0)); then
                awk -v g="$(median_or_dash "$WORK/results/gateway.lat" 2 %.3f)" \
                    -v n="$(median_or_dash "$WORK/results/nginx-proxy.lat" 2 %.3f)" \
                    'BEGIN { if (n > 0) printf "- gateway/nginx p99 at the fixed rate: %.2fx (%s against %s ms)\n", g / n, g, n }'
            fi
        fi
        if [[ $SKIP_STREAM != 1 ]]; then
            echo
            echo "## Server streaming: routeguide.RouteGuide/ListFeatures"
            echo
            echo "- $STREAM_COUNT messages per call (Feature with a $STREAM_NAME_BYTES-byte name), one call per target per round, $ROUNDS interleaved rounds after a $STREAM_WARMUP-message warm-up call per target; one client JVM (StreamRate), one channel per target"
            echo
            echo "| target | messages/s (median) | MB/s (median) | ratio to upstream-direct | rounds |"
            echo "| --- | ---: | ---: | ---: | ---: |"
            for t in "${stream_targets[@]}"; do
                med_msgs[$t]=$(col "$WORK/results/$t.stream" 1 | median)
            done
            for t in "${stream_targets[@]}"; do
                printf '| %s | %.0f | %.2f | %.2fx | %d |\n' "$t" "${med_msgs[$t]}" \
                    "$(col "$WORK/results/$t.stream" 2 | median)" \
                    "$(awk -v a="${med_msgs[$t]}" -v b="${med_msgs[upstream-direct]}" 'BEGIN { print (b > 0 && a == a) ? a / b : 0 }')" \
                    "$(wc -l <"$WORK/results/$t.stream")"
            done
            echo
            if ((stream_status != 0)); then
                echo "- the stream client FAILED (exit status $stream_status): $(paste -sd ' ' "$WORK/stream.err" | cut -c 1-500)"
            fi
            if [[ $SKIP_GATEWAY != 1 ]]; then
                awk -v g="${med_msgs[gateway]}" -v d="${med_msgs[upstream-direct]}" -v n="${med_msgs[nginx-proxy]}" 'BEGIN {
                    printf "- gateway/upstream-direct messages/s: %.2fx\n", (d > 0 && g == g) ? g / d : 0
                    printf "- gateway/nginx-proxy messages/s: %.2fx\n", (n > 0 && g == g) ? g / n : 0
                }'
            fi
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
    ((stream_status == 0)) || exit 1
}

main "$@"
