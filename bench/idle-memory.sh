#!/usr/bin/env bash
# Idle memory per connection (issue 14): how much the gateway keeps for a client connection that has finished a
# request and waits, keep-alive, for its next one. CONNECTIONS idle HTTP/1.1 connections, then (separately)
# CONNECTIONS idle HTTP/2 connections (h2c with prior knowledge), each after one completed GET proxied to an nginx
# upstream, held by bench/idle_client.py. For each protocol the gateway is sampled before, with the connections
# open, and after the client closed them: the live heap after a full GC (jcmd GC.run, GC.class_histogram's total),
# RSS, and with NMT (on by default) the JVM's native memory, whose "Other" category is the direct memory that Netty
# takes with Unsafe.allocateMemory. Per connection: (open - before) / CONNECTIONS. Targets: at most 4 KiB of heap
# per idle HTTP/1.1 connection, 16 KiB per idle HTTP/2 connection. The report also lists the classes whose live
# bytes grew most with the connections open (the class histogram's difference), what to look at when a target is
# missed.
#
#   bench/idle-memory.sh                                # 10,000 of each (about 2 minutes)
#   CONNECTIONS=1000 PROTOCOLS=h2 bench/idle-memory.sh  # a quick check, HTTP/2 only
#
# Environment (defaults in brackets):
#   CONNECTIONS [10000] idle connections per protocol; lowered, with a warning, to what the open-files limit lets
#                       the gateway hold (one descriptor each)
#   PROTOCOLS ["h1 h2"] which to measure, in order: h1 (HTTP/1.1 keep-alive), h2 (h2c, prior knowledge)
#   SETTLE [5]          seconds between the last response and the sample with the connections open
#   CONCURRENCY [200]   connections the client sets up at once
#   WARMUP_CONNECTIONS [500]   connections per protocol opened and closed before the first sample: the classes, the
#                       JIT's first compiles and the upstream pool are then there before "before" is taken
#   NMT [1]             1: the gateway runs with -XX:NativeMemoryTracking=summary and the report has its native
#                       figures (NMT costs a little memory per malloc; the heap figures do not depend on it)
#   PORT_U [18150]  PORT_G [18151]   nginx upstream, gateway
#   PROXY_THREADS [2]   the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   JAVA_OPTS           extra JVM options for the gateway (none by default: the heap a user gets)
#   GATEWAY_JAR [gateway-server/target/gateway.jar]
#   KEEP_TMP [0]        1: keep the temp dir (configs, the gateway's log, class histograms, NMT summaries)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

CONNECTIONS=${CONNECTIONS:-10000}
PROTOCOLS=${PROTOCOLS:-h1 h2}
SETTLE=${SETTLE:-5}
CONCURRENCY=${CONCURRENCY:-200}
WARMUP_CONNECTIONS=${WARMUP_CONNECTIONS:-500}
NMT=${NMT:-1}
PROXY_THREADS=${PROXY_THREADS:-2}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
# lib.sh's gateway helpers read these; this script pins nothing and always runs the gateway.
PROXY_CPUS=""
SKIP_GATEWAY=0

# The issue's targets: live heap per idle connection.
declare -A HEAP_TARGET_BYTES=([h1]=4096 [h2]=16384)
declare -A PROTOCOL_NAME=([h1]="HTTP/1.1 keep-alive" [h2]="HTTP/2 (h2c, prior knowledge)")
# read_timeout in tyk.conf: far beyond a run, so that no idle connection is closed while it is measured.
READ_TIMEOUT=3600
# Descriptors the gateway keeps beyond its client connections: listeners, the upstream pool, epoll or io_uring,
# jars, jcmd's attach socket.
FD_MARGIN=300
READY_SECONDS=30
OPEN_SECONDS=300
RELEASE_SECONDS=60
# The upstream's fixed body, and the path the client asks for.
BODY=idle-memory
REQUEST_PATH=/idle/
# Classes listed in the report: those whose live bytes grew most with the connections open.
HISTOGRAM_TOP=20

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, nginx and gateway
# launching, the open-files limit and the memory samples: shared with the other bench scripts.
. "$ROOT/bench/lib.sh"

check_flags NMT KEEP_TMP
check_positive CONNECTIONS CONCURRENCY PROXY_THREADS
for var in SETTLE WARMUP_CONNECTIONS; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a non-negative integer, not '${!var}'"
done
for p in $PROTOCOLS; do
    [[ $p == h1 || $p == h2 ]] || die "PROTOCOLS holds h1 and h2, not '$p'"
done

install_missing() {
    [[ -n $(nginx_bin) ]] || apt_install "$(nginx_package)"
}

listening() { port_busy "$1"; }

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstream() {
    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream ""
    wait_until "$READY_SECONDS" "$STARTED_PID" "nginx upstream" "$WORK/upstream/error.log" listening "$PORT_U"
}

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "http_server_options": {"enable_http2": true, "read_timeout": $READ_TIMEOUT}}
EOF
    cat >"$dir/apps/idle.json" <<EOF
{"api_id": "idle", "name": "idle", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "$REQUEST_PATH", "target_url": "http://127.0.0.1:$PORT_U", "strip_listen_path": false}}
EOF
    local saved=${JAVA_OPTS:-}
    ((NMT)) && JAVA_OPTS="$saved -XX:NativeMemoryTracking=summary"
    launch_gateway "$dir"
    JAVA_OPTS=$saved
    wait_until "$READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" listening "$PORT_G"
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# native_sample LABEL: "OTHER_KIB NATIVE_KIB" of the gateway from NMT: the committed KiB of the "Other" category
# (Unsafe.allocateMemory, Netty's direct buffers among them) and of everything but the Java heap. "0 0" without NMT.
# The summary goes to $WORK/nmt-LABEL.txt.
native_sample() {
    ((NMT)) || { echo "0 0"; return; }
    local out=$WORK/nmt-$1.txt
    jcmd "${PROXY_PID[gateway]}" VM.native_memory summary >"$out"
    awk '
        function committed(line) { match(line, /committed=[0-9]+KB/); return substr(line, RSTART + 10, RLENGTH - 12) }
        /^Total: / { total = committed($0) }
        /^- +Java Heap \(/ { heap = committed($0) }
        /^- +Other \(/ { other = committed($0) }
        END { if (total == "") exit 1; print other + 0, total - heap }' "$out" ||
        die "no NMT summary from the gateway (see $out)"
}

# idle_run PROTOCOL N: holds N idle connections with idle_client.py and samples the gateway before, with them open
# (SETTLE seconds after the last response) and after the client closed them. Writes "rss fds live used other
# native" for each sample, one line each, then "open_seconds closed_early", to $WORK/results/PROTOCOL.idle.
idle_run() {
    local protocol=$1 n=$2 out=$WORK/idle-$1.out client hold before open after deadline
    before="$(mem_sample gateway "$protocol-before") $(native_sample "$protocol-before")"
    # The client holds its connections until its standard input ends: a FIFO this shell keeps open for writing.
    mkfifo "$WORK/idle-$protocol.hold"
    exec {hold}<>"$WORK/idle-$protocol.hold"
    python3 "$ROOT/bench/idle_client.py" "$protocol" 127.0.0.1 "$PORT_G" "$REQUEST_PATH" "$n" "$CONCURRENCY" \
        <"$WORK/idle-$protocol.hold" >"$out" 2>"$out.err" {hold}>&- &
    client=$!
    PIDS+=("$client")
    wait_until "$OPEN_SECONDS" "$client" "idle_client.py ($protocol)" "$out.err" grep -q '^open ' "$out"
    log "  $(head -n 1 "$out") ($protocol); sampling in ${SETTLE}s"
    sleep "$SETTLE"
    open="$(mem_sample gateway "$protocol-open") $(native_sample "$protocol-open")"
    exec {hold}>&-
    deadline=$((SECONDS + RELEASE_SECONDS))
    while kill -0 "$client" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$client" 2>/dev/null && die "idle_client.py ($protocol) did not exit within ${RELEASE_SECONDS}s"
    wait "$client" || die "idle_client.py ($protocol) failed: $(cat "$out.err")"
    grep -q '^held ' "$out" || die "idle_client.py ($protocol) did not say what it held: $(cat "$out" "$out.err")"
    # Every connection the client closed must end in the gateway too: its descriptors back near where they were.
    local fds_before
    read -r _ fds_before _ <<<"$before"
    deadline=$((SECONDS + RELEASE_SECONDS))
    while (($(fd_count "${PROXY_PID[gateway]}") > fds_before + 10)); do
        if ((SECONDS >= deadline)); then
            log "the gateway still holds descriptors ${RELEASE_SECONDS}s after the client closed"
            break
        fi
        sleep 0.5
    done
    after="$(mem_sample gateway "$protocol-after") $(native_sample "$protocol-after")"
    {
        echo "$before"
        echo "$open"
        echo "$after"
        echo "$(awk '/^open / { print $4 }' "$out") $(awk '/^held / { print $4 }' "$out")"
    } >"$WORK/results/$protocol.idle"
}

# histogram_growth BEFORE OPEN N: the classes whose live bytes grew most between two class histograms, as markdown
# table rows: class, instances and bytes added, both per connection (over N).
histogram_growth() {
    awk '
        # Histogram rows: "num: instances bytes class-name [(module)]".
        FNR == NR && $1 ~ /^[0-9]+:$/ { bi[$4] = $2; bb[$4] = $3; next }
        $1 ~ /^[0-9]+:$/ { di = $2 - bi[$4]; db = $3 - bb[$4]; if (db > 0) print db, di, $4 }
    ' "$1" "$2" | sort -rn |
        # awk reads to the end: a head that stopped early would fail sort with SIGPIPE, and pipefail the report.
        awk -v n="$3" -v top="$HISTOGRAM_TOP" 'NR <= top { printf "| `%s` | %.2f | %.0f |\n", $3, $2 / n, $1 / n }'
}

# ---------------------------------------------------------------------------------------------------
main() {
    command -v java >/dev/null || die "java (17 or later) is needed"
    command -v jcmd >/dev/null || die "jcmd (a JDK, not a JRE) is needed to read the gateway's heap"
    command -v python3 >/dev/null || die "python3 is needed (bench/idle_client.py holds the connections)"
    command -v curl >/dev/null || die "curl is needed"
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
    [[ -f $GATEWAY_JAR ]] || die "no $GATEWAY_JAR: build it (mvn -q -pl gateway-server -am -DskipTests package)"

    local fd_limit
    raise_fd_limit
    fd_limit=$(ulimit -Sn)
    log "open-files limit for everything started here: $fd_limit"

    PORT_U=$(pick_port PORT_U 18150)
    PORT_G=$(pick_port PORT_G 18151 "$PORT_U")
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-idle.XXXXXX")
    mkdir -p "$WORK/results"

    log "upstream: nginx on 127.0.0.1:$PORT_U"
    start_upstream
    gateway_started "on 127.0.0.1:$PORT_G ($GATEWAY_JAR), enable_http2, read_timeout $READ_TIMEOUT s$( ((NMT)) && echo ", NMT summary")"
    local gw=${PROXY_PID[gateway]} got
    got=$(curl -s -m 5 "http://127.0.0.1:$PORT_G$REQUEST_PATH") || true
    [[ $got == "$BODY" ]] || die "GET $REQUEST_PATH through the gateway returned '$got', not '$BODY'"
    got=$(curl -s -m 5 --http2-prior-knowledge "http://127.0.0.1:$PORT_G$REQUEST_PATH") || true
    [[ $got == "$BODY" ]] || die "GET $REQUEST_PATH over h2c through the gateway returned '$got', not '$BODY'"

    local n=$CONNECTIONS room
    if [[ $fd_limit != unlimited ]]; then
        room=$((fd_limit - $(fd_count "$gw") - FD_MARGIN))
        if ((room < n)); then
            log "WARNING: the open-files limit ($fd_limit) lets the gateway hold $room connections, not $n: holding $room"
            n=$room
        fi
    fi
    ((n > 0)) || die "the open-files limit ($fd_limit) leaves no room for idle connections"

    local p
    if ((WARMUP_CONNECTIONS > 0)); then
        for p in $PROTOCOLS; do
            log "warm-up: $WARMUP_CONNECTIONS $p connections, opened and closed"
            python3 "$ROOT/bench/idle_client.py" "$p" 127.0.0.1 "$PORT_G" "$REQUEST_PATH" "$WARMUP_CONNECTIONS" \
                "$CONCURRENCY" </dev/null >"$WORK/warmup-$p.out" 2>&1 ||
                die "the warm-up failed ($p): $(cat "$WORK/warmup-$p.out")"
        done
    fi
    for p in $PROTOCOLS; do
        log "idle: $n ${PROTOCOL_NAME[$p]} connections"
        idle_run "$p" "$n"
    done
    local gateway_problems
    gateway_problems=$(gateway_log_problems)

    # ---- report ----
    local stamp report_dir report
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/idle-memory-$stamp.md
    mkdir -p "$report_dir"
    local -A live=()
    local b o a open_s closed
    {
        echo "# Idle memory per connection"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- java: $(java -version 2>&1 | head -n 1)"
        echo "- gateway: io_threads $PROXY_THREADS, transport $TRANSPORT (the start-up line: $(grep -m 1 -o 'transport=[a-z_]*' "$WORK/gateway/gateway.log")), enable_http2, read_timeout $READ_TIMEOUT s; JAVA_OPTS: ${JAVA_OPTS:-(none)}$( ((NMT)) && echo " -XX:NativeMemoryTracking=summary")"
        echo "- client: bench/idle_client.py (python3 asyncio), one GET $REQUEST_PATH per connection (proxied to nginx), then idle; $CONCURRENCY set up at once"
        echo "- warm-up: $WARMUP_CONNECTIONS connections per protocol opened and closed before the samples"
        echo "- open-files limit: $fd_limit"
        echo
        echo "## $n idle connections per protocol"
        echo
        echo "Samples before the client opens them, ${SETTLE}s after the last response, and after the client closed them;"
        echo "each after a full GC. Per connection: (open - before) / $n. Native: NMT's committed memory, \"Other\" (direct"
        echo "buffers, Unsafe.allocateMemory) and everything but the Java heap."
        [[ $n != "$CONNECTIONS" ]] && echo "**Lowered from $CONNECTIONS** to what the open-files limit ($fd_limit) lets the gateway hold."
        echo
        echo "| protocol | opened in | live heap per connection | heap used per connection | NMT Other (direct) per connection | NMT native per connection | RSS per connection | descriptors per connection | live heap before / open / after (MiB) | RSS before / open / after (MiB) | closed early |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |"
        for p in $PROTOCOLS; do
            b=$(sed -n 1p "$WORK/results/$p.idle")
            o=$(sed -n 2p "$WORK/results/$p.idle")
            a=$(sed -n 3p "$WORK/results/$p.idle")
            read -r open_s closed < <(sed -n 4p "$WORK/results/$p.idle")
            # rss fds live used other native, each sample.
            live[$p]=$(awk -v b="$b" -v o="$o" -v n="$n" 'BEGIN { split(b, x); split(o, y); printf "%d", (y[3] - x[3]) / n }')
            awk -v p="${PROTOCOL_NAME[$p]}" -v b="$b" -v o="$o" -v a="$a" -v n="$n" -v s="$open_s" -v c="$closed" -v nmt="$NMT" 'BEGIN {
                split(b, x); split(o, y); split(a, z)
                native = nmt ? sprintf("%d B | %d B", (y[5] - x[5]) * 1024 / n, (y[6] - x[6]) * 1024 / n) : "n/a | n/a"
                printf "| %s | %ss | %d B | %d B | %s | %d B | %.2f | %.1f / %.1f / %.1f | %.0f / %.0f / %.0f | %d |\n",
                    p, s, (y[3] - x[3]) / n, (y[4] - x[4]) * 1024 / n, native, (y[1] - x[1]) * 1024 / n,
                    (y[2] - x[2]) / n, x[3] / 1048576, y[3] / 1048576, z[3] / 1048576,
                    x[1] / 1024, y[1] / 1024, z[1] / 1024, c
            }'
        done
        echo
        echo "RSS includes heap that the collector keeps committed beyond what is live; the live heap is the figure the"
        echo "targets are about."
        for p in $PROTOCOLS; do
            echo
            echo "### ${PROTOCOL_NAME[$p]}: the classes that grew most (class histogram, open - before, top $HISTOGRAM_TOP)"
            echo
            echo "| class | instances per connection | bytes per connection |"
            echo "| --- | ---: | ---: |"
            histogram_growth "$WORK/histogram-$p-before.txt" "$WORK/histogram-$p-open.txt" "$n"
        done
        echo
        echo "## Targets"
        echo
        for p in $PROTOCOLS; do
            awk -v p="${PROTOCOL_NAME[$p]}" -v live="${live[$p]}" -v target="${HEAP_TARGET_BYTES[$p]}" -v n="$n" 'BEGIN {
                printf "- live heap per idle %s connection: %d B = %.2f KiB over %d connections (target <= %.0f KiB): %s\n",
                    p, live, live / 1024, n, target / 1024, (live <= target ? "met" : "NOT met")
            }'
        done
        echo "- gateway log: $gateway_problems WARN/ERROR lines"
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
    for p in $PROTOCOLS; do
        read -r _ closed < <(sed -n 4p "$WORK/results/$p.idle")
        ((closed == 0)) || die "the gateway closed $closed idle $p connections before the client let go of them"
    done
}

main "$@"
