#!/usr/bin/env bash
# WebSocket benchmark: the gateway against nginx, both in front of the same Netty echo upstream (examples'
# WebSocketEchoServer), with examples' WsLoad as the client. Two parts:
#   - memory per idle proxied pair (a client connection and its upstream connection): IDLE_CONNECTIONS WebSockets
#     held open through each proxy in turn; the gateway's live heap after a full GC (the issue's target: at most
#     4 KiB per pair), and each proxy's RSS and descriptors;
#   - echo round trips: p50, p99 and messages/s through upstream-direct, nginx and the gateway, interleaved rounds.
#
#   bench/websocket.sh                                                # full run (builds the jars if needed)
#   IDLE_CONNECTIONS=1000 ROUNDS=1 RTT_MESSAGES=2000 bench/websocket.sh   # quick check
#
# Environment (defaults in brackets):
#   IDLE_CONNECTIONS [10000]   WebSockets held open through each proxy; lowered, with a warning, to what the
#                       open-files hard limit lets the gateway hold (two descriptors per proxied pair)
#   IDLE_SETTLE [5]     seconds between the last handshake and the memory sample
#   ROUNDS [5]          interleaved echo rounds
#   RTT_CONNECTIONS [16]  RTT_MESSAGES [10000]   WebSockets per echo run, and round trips each makes per run
#   RTT_WARMUP [1000]   unrecorded round trips per connection at the start of each run (the client's JIT)
#   MESSAGE_SIZE [64]   bytes per echo message (binary frames; at least 8)
#   PORT_U [18120]  PORT_N [18121]  PORT_G [18122]   ports; a busy default moves to the next free port,
#                                                     a busy port given explicitly is an error
#   PROXY_THREADS [2]   threads each proxy runs: nginx worker_processes and the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   NGINX_REUSEPORT [1] 1: the nginx proxy listens with reuseport (connections spread over its workers)
#   PROXY_CPUS, UPSTREAM_CPUS, LOAD_CPUS   optional taskset CPU lists (LOAD_CPUS: the WsLoad client)
#   JAVA_OPTS           extra JVM options for the gateway (none by default: the heap a user gets)
#   GATEWAY_JAR [gateway-server/target/gateway.jar]   EXAMPLES_JAR [examples/target/examples.jar]
#   SKIP_GATEWAY [0]    1: benchmark the upstream and nginx only (no gateway build, no ratios)
#   KEEP_TMP [0]        1: keep the temp dir (configs, logs, class histograms, raw WsLoad output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
IDLE_SETTLE=${IDLE_SETTLE:-5}
ROUNDS=${ROUNDS:-5}
RTT_CONNECTIONS=${RTT_CONNECTIONS:-16}
RTT_MESSAGES=${RTT_MESSAGES:-10000}
RTT_WARMUP=${RTT_WARMUP:-1000}
MESSAGE_SIZE=${MESSAGE_SIZE:-64}
PROXY_THREADS=${PROXY_THREADS:-2}
NGINX_REUSEPORT=${NGINX_REUSEPORT:-1}
SKIP_GATEWAY=${SKIP_GATEWAY:-0}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
EXAMPLES_JAR=${EXAMPLES_JAR:-$ROOT/examples/target/examples.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
LOAD_CPUS=${LOAD_CPUS:-}

# The issue's target: at most 4 KiB of live heap per proxied pair (client connection and upstream connection).
HEAP_TARGET_BYTES=4096
# Descriptors the gateway keeps beyond its connections' (listeners, epoll, jars, jcmd's attach socket), so that
# the idle part never runs it out of descriptors.
FD_MARGIN=100
# How long a started process may take to listen, all idle WebSockets to open, the client to close them, and the
# proxy to let go of their descriptors.
READY_SECONDS=30
OPEN_SECONDS=300
RELEASE_SECONDS=60
# The class histogram's lines in the report: its header (3 lines) and the top 25 classes.
HISTOGRAM_LINES=28
WSLOAD=dev.gateway.examples.websocket.WsLoad

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, CPU pinning,
# nginx and gateway launching, medians, the per-thread CPU split and the memory samples: shared with the other
# bench scripts.
. "$ROOT/bench/lib.sh"

check_flags NGINX_REUSEPORT SKIP_GATEWAY KEEP_TMP
check_positive IDLE_CONNECTIONS ROUNDS RTT_CONNECTIONS RTT_MESSAGES MESSAGE_SIZE PROXY_THREADS
for var in IDLE_SETTLE RTT_WARMUP; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a non-negative integer, not '${!var}'"
done
((MESSAGE_SIZE >= 8)) || die "MESSAGE_SIZE must be at least 8 (each message carries its sequence number)"

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    [[ -n $(nginx_bin) ]] || apt_install "$(nginx_package)"
}

# listening PORT: whether something listens on 127.0.0.1:PORT (or on every address).
listening() { ! port_free "$1"; }

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstream() {
    mkdir -p "$WORK/upstream"
    pin "$UPSTREAM_CPUS"
    "${PIN[@]}" java -cp "$EXAMPLES_JAR" dev.gateway.examples.websocket.WebSocketEchoServer "$PORT_U" \
        >"$WORK/upstream/upstream.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    wait_until "$READY_SECONDS" "$STARTED_PID" "echo upstream" "$WORK/upstream/upstream.log" listening "$PORT_U"
}

start_nginx_proxy() {
    # Per worker, with reuseport's uneven spread: room for every idle pair on one worker.
    local worker_connections=$((2 * IDLE_CONNECTIONS + 256))
    {
        nginx_common proxy "$worker_connections"
        echo "worker_processes $PROXY_THREADS;"
        echo "http {"
        nginx_http_common proxy
        # nginx's documented WebSocket proxy: HTTP/1.1 upstream, Upgrade passed on, Connection: upgrade for an
        # upgrade request; the read timeout is the idle limit of an upgraded connection, an hour like the
        # gateway's stream_idle_timeout default.
        cat <<EOF
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }
    server {
        listen 127.0.0.1:$PORT_N$( ((NGINX_REUSEPORT)) && echo " reuseport");
        location / {
            proxy_pass http://127.0.0.1:$PORT_U;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }
    }
}
EOF
    } >"$WORK/proxy.conf"
    start_nginx proxy "$PROXY_CPUS"
    wait_until "$READY_SECONDS" "$STARTED_PID" "nginx proxy" "$WORK/proxy/error.log" listening "$PORT_N"
}

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "http_server_options": {"enable_websockets": true}}
EOF
    cat >"$dir/apps/echo.json" <<EOF
{"api_id": "echo", "name": "echo", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "/", "target_url": "ws://127.0.0.1:$PORT_U", "strip_listen_path": false}}
EOF
    launch_gateway "$dir"
    wait_until "$READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" listening "$PORT_G"
}

# ---------------------------------------------------------------------------------------------------
# Checks
# ws_check NAME PORT: ten 64-byte echoes on one WebSocket through PORT, each checked by WsLoad.
ws_check() {
    local out=$WORK/check-$1
    timeout --foreground -k 5 60 java -cp "$EXAMPLES_JAR" "$WSLOAD" rtt "ws://127.0.0.1:$2/" 1 10 64 0 \
        >"$out.out" 2>"$out.err" || {
        cat "$out.out" "$out.err" >&2
        die "$1: a WebSocket echo through port $2 failed (WsLoad's output above)"
    }
}

# ---------------------------------------------------------------------------------------------------
# Measuring memory (fd_count, rss_kib, proxy_pids and mem_sample are in lib.sh)
# idle_run TARGET PORT: holds IDLE WebSockets through PORT with WsLoad idle, and samples the proxy's memory
# before, once all are open (after IDLE_SETTLE seconds), and after the client has closed them. Writes
# "rss_before rss_open rss_after fds_before fds_open fds_after live_before live_open live_after used_before
# used_open used_after open_seconds closed_early" to $WORK/results/TARGET.idle.
idle_run() {
    local target=$1 port=$2 before open after hold out=$WORK/idle-$1.out client deadline
    before=$(mem_sample "$target" "$target-before")
    # WsLoad holds its WebSockets until its standard input ends: a FIFO that this shell keeps open for writing.
    mkfifo "$WORK/idle-$target.hold"
    exec {hold}<>"$WORK/idle-$target.hold"
    pin "$LOAD_CPUS"
    "${PIN[@]}" java -cp "$EXAMPLES_JAR" "$WSLOAD" idle "ws://127.0.0.1:$port/idle" "$IDLE" \
        <"$WORK/idle-$target.hold" >"$out" 2>"$out.err" {hold}>&- &
    client=$!
    PIDS+=("$client")
    wait_until "$OPEN_SECONDS" "$client" "WsLoad idle ($target)" "$out.err" grep -q '^open ' "$out"
    log "  $(head -n 1 "$out") through $target; sampling in ${IDLE_SETTLE}s"
    sleep "$IDLE_SETTLE"
    open=$(mem_sample "$target" "$target-open")
    exec {hold}>&-
    deadline=$((SECONDS + RELEASE_SECONDS))
    while kill -0 "$client" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$client" 2>/dev/null &&
        die "WsLoad idle ($target) did not exit within ${RELEASE_SECONDS}s of its input ending"
    wait "$client" || die "WsLoad idle ($target) failed: $(cat "$out.err")"
    grep -q '^held ' "$out" || die "WsLoad idle ($target) did not report what it held: $(cat "$out" "$out.err")"
    # Every WebSocket closed by the client must end in the proxy too: its descriptors back near where they were.
    local fds_before
    read -r _ fds_before _ <<<"$before"
    deadline=$((SECONDS + RELEASE_SECONDS))
    while (($(for pid in $(proxy_pids "$target"); do fd_count "$pid"; done | total) > fds_before + 10)); do
        if ((SECONDS >= deadline)); then
            log "$target still holds descriptors ${RELEASE_SECONDS}s after the client closed"
            break
        fi
        sleep 0.5
    done
    after=$(mem_sample "$target" "$target-after")
    paste -d ' ' <(tr ' ' '\n' <<<"$before") <(tr ' ' '\n' <<<"$open") <(tr ' ' '\n' <<<"$after") | paste -sd ' ' |
        awk -v o="$(awk '/^open / { print $4 }' "$out")" -v c="$(awk '/^held / { print $4 }' "$out")" \
            '{ print $0, o, c }' >"$WORK/results/$target.idle"
}

# ---------------------------------------------------------------------------------------------------
# Measuring latency
# run_rtt NAME PORT OUTFILE: one WsLoad rtt run. timeout is the backstop for a target that stops answering
# (--foreground keeps it in our process group, so Ctrl-C still reaches it).
run_rtt() {
    local name=$1 port=$2 out=$3 limit
    limit=$((60 + RTT_CONNECTIONS * (RTT_MESSAGES + RTT_WARMUP) / 1000))
    pin "$LOAD_CPUS"
    if ! timeout --foreground -k 5 "$limit" "${PIN[@]}" java -cp "$EXAMPLES_JAR" "$WSLOAD" rtt \
        "ws://127.0.0.1:$port/" "$RTT_CONNECTIONS" "$RTT_MESSAGES" "$MESSAGE_SIZE" "$RTT_WARMUP" >"$out" 2>&1; then
        cat "$out" >&2
        die "WsLoad rtt failed against $name (exit status 124 means it ran past ${limit}s)"
    fi
}

# parse_rtt FILE: "p50_us p99_us max_us msgs_per_s" from WsLoad rtt's line.
parse_rtt() {
    awk '$1 == "rtt" {
            for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
            if (v["p50_us"] == "" || v["p99_us"] == "" || v["msgs_per_s"] == "") exit 1
            print v["p50_us"], v["p99_us"], v["max_us"], v["msgs_per_s"]; found = 1
        }
        END { if (!found) exit 1 }' "$1"
}

# ratio A B: A / B with two decimals, 0 when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

# ---------------------------------------------------------------------------------------------------
main() {
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    command -v java >/dev/null || die "java (17 or later) is needed"
    command -v timeout >/dev/null || die "timeout (coreutils) is needed"
    if [[ $SKIP_GATEWAY != 1 ]]; then
        command -v jcmd >/dev/null || die "jcmd (a JDK, not a JRE) is needed to read the gateway's heap"
    fi
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
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
        (cd "$ROOT" && { mvn -q -o -pl "$module" -am -DskipTests package ||
            mvn -q -pl "$module" -am -DskipTests package; }) >&2
        [[ -f $jar ]] || die "the build did not produce $jar"
    done

    local fd_limit
    raise_fd_limit
    fd_limit=$(ulimit -Sn)
    log "open-files limit for everything started here: $fd_limit"

    PORT_U=$(pick_port PORT_U 18120)
    PORT_N=$(pick_port PORT_N 18121 "$PORT_U")
    PORT_G=$(pick_port PORT_G 18122 "$PORT_U" "$PORT_N")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-websocket.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/rtt"

    local targets=(upstream-direct nginx-proxy)
    local -A port=([upstream-direct]=$PORT_U [nginx-proxy]=$PORT_N)

    log "upstream: WebSocketEchoServer (examples.jar) on 127.0.0.1:$PORT_U"
    start_upstream
    log "nginx WebSocket proxy on 127.0.0.1:$PORT_N (worker_processes $PROXY_THREADS, reuseport $NGINX_REUSEPORT)"
    start_nginx_proxy
    PROXY_PID[nginx-proxy]=$STARTED_PID
    if gateway_started "on 127.0.0.1:$PORT_G ($GATEWAY_JAR), enable_websockets, target ws://127.0.0.1:$PORT_U"; then
        targets+=(gateway)
        port[gateway]=$PORT_G
    fi

    local t
    for t in "${targets[@]}"; do
        ws_check "$t" "${port[$t]}"
    done
    log "ten echoes on one WebSocket through: ${targets[*]}"

    # ---- idle connections ----
    IDLE=$IDLE_CONNECTIONS
    if [[ $SKIP_GATEWAY != 1 && $fd_limit != unlimited ]]; then
        local room=$(((fd_limit - $(fd_count "${PROXY_PID[gateway]}") - FD_MARGIN) / 2))
        if ((room < IDLE)); then
            log "WARNING: the open-files limit ($fd_limit, hard) lets the gateway hold $room pairs, not $IDLE:" \
                "holding $room"
            IDLE=$room
        fi
    fi
    ((IDLE > 0)) || die "the open-files limit ($fd_limit) leaves no room for idle WebSockets"
    local idle_targets=(nginx-proxy)
    [[ $SKIP_GATEWAY != 1 ]] && idle_targets+=(gateway)
    for t in "${idle_targets[@]}"; do
        log "idle: $IDLE WebSockets through $t"
        idle_run "$t" "${port[$t]}"
    done

    # ---- echo round trips ----
    for t in "${targets[@]}"; do
        : >"$WORK/results/$t.rtt"
        log "warm-up $t: $RTT_CONNECTIONS connections x $RTT_MESSAGES echoes"
        run_rtt "$t" "${port[$t]}" "$WORK/rtt/warmup-$t.txt"
    done
    local round line before split p50 p99 max rate
    for ((round = 1; round <= ROUNDS; round++)); do
        for t in "${targets[@]}"; do
            before=$(worker_cpu "$t")
            run_rtt "$t" "${port[$t]}" "$WORK/rtt/round$round-$t.txt"
            split=$(cpu_split "$before" "$(worker_cpu "$t")")
            [[ -n $split ]] && echo "$split" >>"$WORK/results/$t.split"
            line=$(parse_rtt "$WORK/rtt/round$round-$t.txt") || {
                cat "$WORK/rtt/round$round-$t.txt" >&2
                die "could not parse WsLoad output for $t"
            }
            echo "$line" >>"$WORK/results/$t.rtt"
            read -r p50 p99 max rate <<<"$line"
            log "round $round/$ROUNDS $(printf '%-16s p50 %8s us  p99 %8s us  max %9s us  %8s msgs/s' \
                "$t" "$p50" "$p99" "$max" "$rate")${split:+  thread CPU ms $split}"
        done
    done

    local gateway_problems
    gateway_problems=$(gateway_log_problems)

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/websocket-$stamp.md
    mkdir -p "$report_dir"

    local -A med_p50=() med_p99=() med_rate=() per_pair=()
    local rss_b rss_o rss_a fds_b fds_o live_b live_o live_a used_b used_o open_s closed_early heap_cells live_mib
    {
        echo "# WebSocket proxy benchmark: memory per idle connection, echo round trips"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- nginx: $("$NGINX" -v 2>&1 | head -n 1)"
        echo "- java: $(java -version 2>&1 | head -n 1)"
        echo "- upstream: WebSocketEchoServer (examples.jar, Netty NIO), every frame echoed as sent"
        echo "- client: WsLoad (examples.jar, Netty NIO); binary messages of $MESSAGE_SIZE bytes"
        echo "- proxies: $PROXY_THREADS threads each (nginx worker_processes$( ((NGINX_REUSEPORT)) && echo " with reuseport")," \
            "gateway io_threads, transport $TRANSPORT); nginx proxy_http_version 1.1 with Upgrade and Connection passed on," \
            "proxy_read_timeout 3600s"
        echo "- open-files limit: $fd_limit"
        [[ -n $PROXY_CPUS$UPSTREAM_CPUS$LOAD_CPUS ]] &&
            echo "- CPU pinning: proxies ${PROXY_CPUS:-none}, upstream ${UPSTREAM_CPUS:-none}, load ${LOAD_CPUS:-none}"
        [[ $SKIP_GATEWAY != 1 ]] && echo "- JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        echo
        echo "## $IDLE idle WebSockets"
        echo
        echo "Each proxied pair is a client connection and an upstream connection in the proxy. Memory is sampled before"
        echo "the client opens them, ${IDLE_SETTLE}s after the last handshake, and after the client has closed them all;"
        echo "for the gateway each sample follows a full GC. Per pair: (open - before) / $IDLE."
        [[ $IDLE != "$IDLE_CONNECTIONS" ]] &&
            echo "**Lowered from $IDLE_CONNECTIONS**: the open-files hard limit ($fd_limit) holds no more pairs in the gateway."
        echo
        echo "| proxy | opened in | live heap per pair | heap used per pair | RSS per pair | descriptors per pair | RSS before / open / after close (MiB) | live heap before / open / after close (MiB) | closed early |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |"
        for t in "${idle_targets[@]}"; do
            read -r rss_b rss_o rss_a fds_b fds_o _ live_b live_o live_a used_b used_o _ open_s closed_early \
                <"$WORK/results/$t.idle"
            per_pair[$t:live]=$(((live_o - live_b) / IDLE))
            per_pair[$t:rss]=$(((rss_o - rss_b) * 1024 / IDLE))
            # nginx has no heap to read: its cells say so.
            heap_cells="n/a | n/a"
            live_mib=n/a
            if [[ $t == gateway ]]; then
                heap_cells="${per_pair[$t:live]} B | $(((used_o - used_b) * 1024 / IDLE)) B"
                live_mib=$(awk -v b="$live_b" -v o="$live_o" -v a="$live_a" \
                    'BEGIN { printf "%.1f / %.1f / %.1f", b / 1048576, o / 1048576, a / 1048576 }')
            fi
            printf '| %s | %ss | %s | %d B | %s | %s | %s | %d |\n' "$t" "$open_s" "$heap_cells" "${per_pair[$t:rss]}" \
                "$(awk -v o="$fds_o" -v b="$fds_b" -v n="$IDLE" 'BEGIN { printf "%.2f", (o - b) / n }')" \
                "$(awk -v b="$rss_b" -v o="$rss_o" -v a="$rss_a" \
                    'BEGIN { printf "%.0f / %.0f / %.0f", b / 1024, o / 1024, a / 1024 }')" \
                "$live_mib" "$closed_early"
        done
        echo
        echo "nginx's RSS is the sum over its master and workers. The gateway's RSS includes heap the collector keeps"
        echo "committed beyond what is live."
        if [[ $SKIP_GATEWAY != 1 ]]; then
            echo
            echo "The gateway's class histogram with the WebSockets open (\`jcmd PID GC.class_histogram\`, top 25):"
            echo
            echo '```'
            head -n "$HISTOGRAM_LINES" "$WORK/histogram-gateway-open.txt"
            awk '$1 == "Total"' "$WORK/histogram-gateway-open.txt"
            echo '```'
        fi
        echo
        echo "## Echo round trips"
        echo
        echo "- WsLoad rtt: $RTT_CONNECTIONS WebSockets, each sending a message and waiting for its echo before the next:"
        echo "  $RTT_WARMUP unrecorded then $RTT_MESSAGES recorded round trips per connection per run;"
        echo "  one warm-up run per target, then $ROUNDS interleaved rounds. Medians over the rounds."
        echo
        echo "| target | p50 us | p99 us | max us (median) | msgs/s | p50 by round | p99 by round |"
        echo "| --- | ---: | ---: | ---: | ---: | --- | --- |"
        for t in "${targets[@]}"; do
            med_p50[$t]=$(col "$WORK/results/$t.rtt" 1 | median)
            med_p99[$t]=$(col "$WORK/results/$t.rtt" 2 | median)
            med_rate[$t]=$(col "$WORK/results/$t.rtt" 4 | median)
            printf '| %s | %.1f | %.1f | %.1f | %.0f | %s | %s |\n' "$t" "${med_p50[$t]}" "${med_p99[$t]}" \
                "$(col "$WORK/results/$t.rtt" 3 | median)" "${med_rate[$t]}" \
                "$(col "$WORK/results/$t.rtt" 1 | paste -sd ' ' | sed 's/ /, /g')" \
                "$(col "$WORK/results/$t.rtt" 2 | paste -sd ' ' | sed 's/ /, /g')"
        done
        echo
        cpu_split_report
        echo
        echo "## Targets"
        echo
        if [[ $SKIP_GATEWAY == 1 ]]; then
            echo "Gateway skipped (SKIP_GATEWAY=1): no gateway figures or ratios."
        else
            awk -v live="${per_pair[gateway:live]}" -v target="$HEAP_TARGET_BYTES" -v n="$IDLE" 'BEGIN {
                printf "- gateway live heap per idle proxied pair: %d B = %.2f KiB over %d pairs (target <= %.0f KiB): %s\n",
                    live, live / 1024, n, target / 1024, (live <= target ? "met" : "NOT met")
            }'
            printf -- '- gateway/nginx RSS per idle pair: %sx\n' "$(ratio "${per_pair[gateway:rss]}" "${per_pair[nginx-proxy:rss]}")"
            printf -- '- gateway/nginx echo p50: %sx, p99: %sx, msgs/s: %sx\n' \
                "$(ratio "${med_p50[gateway]}" "${med_p50[nginx-proxy]}")" \
                "$(ratio "${med_p99[gateway]}" "${med_p99[nginx-proxy]}")" \
                "$(ratio "${med_rate[gateway]}" "${med_rate[nginx-proxy]}")"
            echo "- gateway log: $gateway_problems WARN/ERROR lines"
        fi
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
    local early
    for t in "${idle_targets[@]}"; do
        read -r _ _ _ _ _ _ _ _ _ _ _ _ _ early <"$WORK/results/$t.idle"
        ((early == 0)) || die "$t closed $early idle WebSockets before the client let go of them"
    done
}

main "$@"
