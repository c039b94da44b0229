# Shared helpers for the bench/*.sh scripts; sourced, not run. The script sets ROOT, its knobs (KEEP_TMP,
# PROXY_CPUS, GATEWAY_JAR, ...) and set -euo pipefail before it sources this file, and sets NGINX (the nginx
# binary) before it starts nginx. Sourcing installs the cleanup traps.

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# The gateway's socket transport, tyk.conf's `transport`, for every script that writes a tyk.conf (ab.sh sets it
# per arm instead).
TRANSPORT=${TRANSPORT:-auto}
[[ $TRANSPORT =~ ^(auto|io_uring|epoll|nio)$ ]] || die "TRANSPORT is auto, io_uring, epoll or nio, not '$TRANSPORT'"

# check_flags VAR...: each must be 0 or 1. check_positive VAR...: each must be a positive integer.
check_flags() {
    local var
    for var; do
        [[ ${!var} == [01] ]] || die "$var must be 0 or 1, not '${!var}'"
    done
}
check_positive() {
    local var
    for var; do
        [[ ${!var} =~ ^[1-9][0-9]*$ ]] || die "$var must be a positive integer, not '${!var}'"
    done
}

# ---------------------------------------------------------------------------------------------------
# Cleanup: every process the script starts in the background is recorded in PIDS and stopped on any exit,
# Ctrl-C too. (Background jobs of a non-interactive shell ignore SIGINT, so without this they would outlive us.)
PIDS=()
PIN=()
STARTED_PID=""
WORK=""
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "pid $pid ignored SIGTERM for 5s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ $KEEP_TMP == 1 ]]; then
            log "kept $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
}
trap cleanup EXIT

# forget_pid PID: takes a process that has ended, and been waited for, out of PIDS, so that the cleanup never signals
# its pid once the kernel may have handed it to another process (a script that starts a client per round).
forget_pid() {
    local pid kept=()
    for pid in "${PIDS[@]}"; do
        [[ $pid == "$1" ]] || kept+=("$pid")
    done
    PIDS=("${kept[@]}")
}
trap 'log "interrupted"; exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------
# Tools
as_root() {
    if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    log "installing $* from Debian"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y -q "$@" >&2; then
        log "install failed; running apt-get update and trying again"
        as_root apt-get update -q >&2
        as_root apt-get install -y -q "$@" >&2
    fi
}

# nginx_bin: the nginx binary's path, or nothing when there is none.
nginx_bin() { command -v nginx || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true; }

# haproxy_bin: HAProxy's path (Debian puts it in /usr/sbin, which a non-root PATH may lack); fails when none.
haproxy_bin() { command -v haproxy || { [[ -x /usr/sbin/haproxy ]] && echo /usr/sbin/haproxy; }; }

# http_ok URL: GET answers 2xx.
http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# haproxy_maxconn: HAProxy's maxconn, 20000 or lower to fit the hard open-files limit. HAProxy needs two
# descriptors per proxied connection plus its splice pipes (maxpipes defaults to maxconn/4, two descriptors each),
# and refuses to start when the hard limit cannot hold them; the loads here are at most a few thousand connections.
haproxy_maxconn() {
    local maxconn=20000 limit
    limit=$(ulimit -Hn)
    if [[ $limit =~ ^[0-9]+$ ]] && ((maxconn > (limit - 1000) / 3)); then
        maxconn=$(((limit - 1000) / 3))
        ((maxconn >= 1000)) || die "the open-files limit ($limit) is too low for haproxy; raise ulimit -n"
    fi
    echo "$maxconn"
}

# nginx_package: the Debian package to install nginx from. nginx-light is the smallest build; Debian releases
# that no longer ship it have plain nginx.
nginx_package() {
    if apt-cache show nginx-light >/dev/null 2>&1; then echo nginx-light; else echo nginx; fi
}


port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
port_busy() { ! port_free "$1"; }

# pick_port NAME DEFAULT [TAKEN...]: the port given in $NAME must be free; otherwise the first free
# port from DEFAULT up that is not already TAKEN by another target.
pick_port() {
    local name=$1 default=$2 port
    shift 2
    if [[ -n ${!name:-} ]]; then
        port_free "${!name}" || die "$name=${!name} is in use"
        echo "${!name}"
        return
    fi
    for ((port = default; port < default + 200; port++)); do
        [[ " $* " == *" $port "* ]] && continue
        port_free "$port" && { echo "$port"; return; }
    done
    die "no free port in $default..$((default + 199)) for $name"
}

# pin CPUS: sets PIN to the command prefix that runs a command on CPUS (taskset execs it, so the pid
# stays the command's), or to nothing. Not a wrapper function: "fn &" would fork a subshell, and $!
# would be the subshell's pid, which a kill would not reach past.
pin() {
    PIN=()
    if [[ -n $1 ]]; then PIN=(taskset -c "$1"); fi
}

# ---------------------------------------------------------------------------------------------------
# Processes under test
# nginx_common NAME [WORKER_CONNECTIONS]: the main-context settings every nginx instance shares (creating
# $WORK/NAME). nginx runs in the foreground so that $! is its master process, with every path inside the
# temp dir.
nginx_common() {
    local dir=$WORK/$1
    mkdir -p "$dir"
    cat <<EOF
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections ${2:-4096}; }
EOF
}

# nginx_http_common NAME: the http-context settings every nginx instance shares: no access log, long-lived
# client keep-alive, temp paths inside $WORK/NAME.
nginx_http_common() {
    local dir=$WORK/$1
    cat <<EOF
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
EOF
}

# start_nginx NAME CPUS: run $NGINX on $WORK/NAME.conf in the background; its pid goes to STARTED_PID.
start_nginx() {
    local name=$1
    pin "$2"
    "${PIN[@]}" "$NGINX" -p "$WORK/$name" -c "$WORK/$name.conf" -e "$WORK/$name/error.log" \
        >>"$WORK/$name/stdout.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}

# start_bg NAME CPUS COMMAND...: run COMMAND in the background with its output in $WORK/NAME.log; its pid goes
# to STARTED_PID (taskset execs the command, so the pid is the command's own).
start_bg() {
    local name=$1
    pin "$2"
    shift 2
    "${PIN[@]}" "$@" >"$WORK/$name.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}

# start_nginx_http_proxy PORT UPSTREAM_PORT SECONDS [WORKER_CONNECTIONS [HTTP_LINES]]: nginx as the HTTP/1.1 reverse
# proxy of the http1 and slowloris scripts, on 127.0.0.1:PORT (in $WORK/proxy) in front of 127.0.0.1:UPSTREAM_PORT:
# PROXY_THREADS workers on PROXY_CPUS, listening with reuseport unless NGINX_REUSEPORT is 0, up to 64 idle keep-alive
# upstream connections per worker, and HTTP_LINES (say "client_header_timeout 10s;") added to the http context. It
# must answer within SECONDS. Its pid goes to STARTED_PID.
start_nginx_http_proxy() {
    local port=$1 upstream_port=$2
    {
        nginx_common proxy "${4:-}"
        echo "worker_processes $PROXY_THREADS;"
        echo "http {"
        nginx_http_common proxy
        [[ -n ${5:-} ]] && echo "    $5"
        cat <<EOF
    upstream bench_upstream {
        server 127.0.0.1:$upstream_port;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$port$( ((${NGINX_REUSEPORT:-1})) && echo " reuseport");
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
    wait_until "$3" "$STARTED_PID" "nginx proxy" "$WORK/proxy/error.log" http_ok "http://127.0.0.1:$port/"
}

# wait_until SECONDS PID NAME LOG CHECK...: poll CHECK until it succeeds, failing early if PID died.
wait_until() {
    local seconds=$1 pid=$2 name=$3 logfile=$4 deadline
    shift 4
    deadline=$((SECONDS + seconds))
    until "$@"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$name exited before it was ready ($*)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 20 "$logfile" >&2 || true
            die "$name was not ready within ${seconds}s ($* kept failing)"
        fi
        sleep 0.2
    done
}

# launch_gateway DIR [ARGS...]: run $GATEWAY_JAR on DIR/tyk.conf in the background, on PROXY_CPUS with JAVA_OPTS and
# the gateway's ARGS (--drain-delay-seconds 2, say), logging to DIR/gateway.log; its pid goes to STARTED_PID. With
# GATEWAY_CLASSPATH set, dev.gateway.server.Main runs from that class path instead of the jar (a test's, before the
# jar is built).
launch_gateway() {
    local dir=$1 java_opts=() main=(-jar "$GATEWAY_JAR")
    shift
    read -r -a java_opts <<<"${JAVA_OPTS:-}"
    [[ -z ${GATEWAY_CLASSPATH:-} ]] || main=(-cp "$GATEWAY_CLASSPATH" dev.gateway.server.Main)
    pin "$PROXY_CPUS"
    "${PIN[@]}" java "${java_opts[@]}" "${main[@]}" --conf "$dir/tyk.conf" "$@" >"$dir/gateway.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}

# ---------------------------------------------------------------------------------------------------
# Measuring
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# total: the sum of the numbers on stdin, one per line (0 for none).
total() { awk '{ s += $1 } END { print s + 0 }'; }

# column N of a target's per-round results in FILE ($WORK/results/<target>.txt or .stream), one value per line
col() { awk -v c="$2" '{ print $c }' "$1"; }

# Proxy processes by target, so a round can tell how the work spread over each proxy's threads.
declare -A PROXY_PID=()
# The gateway names its event-loop threads gateway-io-N (Gateway.java's event loop group).
GATEWAY_IO_THREAD_PREFIX=gateway-io-

# worker_cpu TARGET: "ID CPU_NS" for each worker thread of a proxy (nginx's worker processes, HAProxy's threads,
# the gateway's event loops), from the kernel's schedstat; nothing for a target that is not a proxy. Every target
# whose name starts with "gateway" (gateway-base, say) is a gateway, and "haproxy" is HAProxy run in the foreground
# (-db: one process, nbthread threads).
worker_cpu() {
    local pid=${PROXY_PID[$1]:-} task child
    [[ -n $pid ]] || return 0
    if [[ $1 == gateway* ]]; then
        for task in /proc/"$pid"/task/*; do
            [[ $(cat "$task/comm" 2>/dev/null) == "$GATEWAY_IO_THREAD_PREFIX"* ]] || continue
            echo "${task##*/} $(cut -d' ' -f1 "$task/schedstat" 2>/dev/null)"
        done
    elif [[ $1 == haproxy ]]; then
        for task in /proc/"$pid"/task/*; do
            echo "${task##*/} $(cut -d' ' -f1 "$task/schedstat" 2>/dev/null)"
        done
    else
        for child in $(pgrep -P "$pid"); do
            echo "$child $(cut -d' ' -f1 /proc/"$child"/schedstat 2>/dev/null)"
        done
    fi
}

# cpu_split BEFORE AFTER: each worker's CPU milliseconds between two worker_cpu (or cpu_sample) samples, as
# "1234/2345".
cpu_split() {
    join <(sort <<<"$1") <(sort <<<"$2") |
        awk 'NF == 3 && $1 != "process" { printf "%s%.0f", (n++ ? "/" : ""), ($3 - $2) / 1e6 }'
}

# cpu_split_report: for the report, one line per proxy with the cpu_split of each round, from
# $WORK/results/<target>.split.
cpu_split_report() {
    local t
    for t in nginx-proxy haproxy gateway; do
        [[ -s $WORK/results/$t.split ]] || continue
        echo "- $t CPU ms per thread, by round: $(paste -sd ' ' "$WORK/results/$t.split" | sed 's/ /, /g')"
    done
}

# CPU per request. Each round samples the proxy's CPU twice: its worker threads (worker_cpu, nanoseconds from
# schedstat) and its whole process (proxy_process_cpu), and divides by the requests the round completed.
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# proxy_process_cpu TARGET: the CPU nanoseconds (utime + stime, clock-tick resolution) of the proxy's
# processes: for nginx the master and its workers, for the gateway the JVM with every thread, exited ones too
# (the JIT's compiler threads come and go), so garbage collection, the JIT and timers count as well as the
# event loops. Nothing for a target that is not a proxy.
proxy_process_cpu() {
    local pid=${PROXY_PID[$1]:-} p
    [[ -n $pid ]] || return 0
    for p in "$pid" $(pgrep -P "$pid"); do
        # The command name in field 2 may hold spaces: cut it off; utime and stime are then fields 12 and 13.
        sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null || true
    done | awk -v hz="$CLK_TCK" '{ t += $12 + $13 } END { printf "%.0f\n", t * 1e9 / hz }'
}

# cpu_sample TARGET: one sample for cpu_per_request: the worker threads' schedstat lines, then a line
# "process NS". Empty for a target that is not a proxy.
cpu_sample() {
    local threads
    threads=$(worker_cpu "$1")
    [[ -n $threads ]] || return 0
    echo "$threads"
    echo "process $(proxy_process_cpu "$1")"
}

# cpu_per_request BEFORE AFTER REQUESTS: "WORKER_US PROCESS_US", the microseconds of CPU per request between two
# cpu_sample samples: of the worker threads (nginx's workers, the gateway's event loops) and of the whole
# process(es). Nothing when the samples are empty or no request completed.
cpu_per_request() {
    [[ -n $1 && -n $2 ]] || return 0
    join <(sort <<<"$1") <(sort <<<"$2") | awk -v n="$3" '
        NF == 3 && $1 == "process" { p = $3 - $2; next }
        NF == 3 { w += $3 - $2 }
        END { if (n > 0) printf "%.2f %.2f\n", w / n / 1000, p / n / 1000 }'
}

# cpu_used BEFORE AFTER: "WORKER_US PROCESS_US", the microseconds of CPU between two cpu_sample samples, of the
# worker threads and of the whole process(es): cpu_per_request over one request.
cpu_used() { cpu_per_request "$1" "$2" 1; }

# median_or_dash FILE COLUMN FORMAT: the median of a column of per-round values, printf'd, or "-" when there are
# none (a target without that measure, such as the upstream's CPU).
median_or_dash() {
    if [[ -s $1 ]]; then col "$1" "$2" | median | xargs printf "$3"; else printf -- -; fi
}

# cpu_ratio_line WHAT GATEWAY_FILE NGINX_FILE [PEER [TARGET]]: the verdict line on CPU per request (target:
# gateway <= TARGET x PEER, 1.00x nginx unless told), from the per-round "WORKER_US PROCESS_US" files: the medians
# over rounds, whole process first (what the machine pays), worker threads second (the event loops against the
# peer's workers). The line also gives the whole-process ratio round by round and its median: the two targets of
# one round ran minutes apart at most, so on a machine whose speed drifts that pairing can disagree with the ratio
# of the medians, and a reader should see both. TARGET "-" prints the ratios without a verdict.
cpu_ratio_line() {
    local what=$1 peer=${4:-nginx} target=${5:-1.00} gw gp nw np per_round
    [[ -s $2 && -s $3 ]] || { echo "- gateway/$peer CPU per $what: not measured"; return 0; }
    gw=$(col "$2" 1 | median); gp=$(col "$2" 2 | median)
    nw=$(col "$3" 1 | median); np=$(col "$3" 2 | median)
    per_round=$(paste -d ' ' <(col "$2" 2) <(col "$3" 2) | awk '$2 > 0 { printf "%.2f\n", $1 / $2 }')
    awk -v what="$what" -v gw="$gw" -v gp="$gp" -v nw="$nw" -v np="$np" -v peer="$peer" -v target="$target" \
        -v rounds="$(tr '\n' ' ' <<<"$per_round" | sed 's/ *$//')" -v rmed="$(median <<<"$per_round")" 'BEGIN {
        rp = (np > 0) ? gp / np : 0; rw = (nw > 0) ? gw / nw : 0
        verdict = (target == "-") ? "" : sprintf(" (target <= %.2fx): %s", target, (rp <= target + 0 ? "met" : "NOT met"))
        printf "- gateway/%s CPU per %s: %.2fx whole process (%.1f against %.1f us), %.2fx worker threads (%.1f against %.1f us)%s; whole process round by round %s, median %.2fx\n",
            peer, what, rp, gp, np, rw, gw, nw, verdict, rounds, rmed
    }'
}

# thread_ns PID: "TID CPU_NS NAME" for every live thread, from the kernel's schedstat; spaces in NAME become _.
thread_ns() {
    local task ns name
    for task in /proc/"$1"/task/*; do
        ns=$(cut -d' ' -f1 "$task/schedstat" 2>/dev/null) || continue
        name=$(cat "$task/comm" 2>/dev/null) || continue
        echo "${task##*/} $ns ${name// /_}"
    done
}

# thread_groups BEFORE AFTER: CPU seconds per group of a gateway's threads between two thread_ns samples, threads
# alive at both: "IO GC JIT OTHER". IO: the event loops (GATEWAY_IO_THREAD_PREFIX); GC: G1's threads; JIT: the C1
# and C2 compiler threads (the JVM starts and stops those as work comes and goes, so part of their time can be in
# threads that exited; the whole-process figure from /proc/PID/stat keeps it); OTHER: the rest, the acceptor
# included.
thread_groups() {
    join <(sort <<<"$1") <(sort <<<"$2") | awk -v io="$GATEWAY_IO_THREAD_PREFIX" '
        NF != 5 { next }
        { d = ($4 - $2) / 1e9; name = $3 }
        index(name, io) == 1 { g["io"] += d; next }
        name ~ /^(GC_Thread|G1_)/ { g["gc"] += d; next }
        name ~ /^C[12]_Compiler/ { g["jit"] += d; next }
        { g["other"] += d }
        END { printf "%.3f %.3f %.3f %.3f\n", g["io"], g["gc"], g["jit"], g["other"] }'
}

# ---------------------------------------------------------------------------------------------------
# Memory (the websocket script's idle part, and the idle-memory script)
# raise_fd_limit: the soft open-files limit up to the hard one, for every process started from here on (a proxy
# holds a descriptor per idle connection, two per proxied pair). Run it in this shell, not in a $(...) subshell,
# whose limit would die with it.
raise_fd_limit() {
    local hard
    hard=$(ulimit -Hn)
    [[ $hard == unlimited ]] || ulimit -Sn "$hard"
}

fd_count() { find /proc/"$1"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/"$1"/status; }

# proxy_pids TARGET: the proxy's processes: the gateway's JVM; nginx's master and workers; HAProxy (-db) alone.
proxy_pids() {
    local pid=${PROXY_PID[$1]}
    echo "$pid"
    [[ $1 == gateway ]] || pgrep -P "$pid" || true
}

# mem_sample TARGET LABEL: "RSS_KIB FDS LIVE_BYTES HEAP_USED_KIB" of a proxy, summed over its processes. For the
# gateway, first a full GC: LIVE_BYTES is the class histogram's total (live objects only, whatever the collector),
# HEAP_USED_KIB what GC.heap_info then reports as used; the histogram goes to $WORK/histogram-LABEL.txt. nginx
# has neither: 0 0.
mem_sample() {
    local target=$1 pid rss=0 fds=0 live=0 used=0 histogram=$WORK/histogram-$2.txt
    if [[ $target == gateway ]]; then
        pid=${PROXY_PID[gateway]}
        jcmd "$pid" GC.run >/dev/null
        # The first line of each space's "total NK, used NK" (G1's one heap; a generational collector's
        # young and old), not Metaspace's.
        used=$(jcmd "$pid" GC.heap_info | awk '!/Metaspace|class space/ && match($0, /used [0-9]+K/) {
            s += substr($0, RSTART + 5, RLENGTH - 6) } END { print s + 0 }')
        jcmd "$pid" GC.class_histogram >"$histogram"
        live=$(awk '$1 == "Total" { print $3 }' "$histogram")
        [[ -n $live ]] || die "no Total line in the gateway's class histogram ($histogram)"
    fi
    rss=$(proxy_rss_kib "$target")
    for pid in $(proxy_pids "$target"); do
        fds=$((fds + $(fd_count "$pid")))
    done
    echo "$rss $fds $live $used"
}

# proxy_rss_kib TARGET: the proxy's RSS in KiB, summed over its processes (nginx's master and workers), with no GC
# first (mem_sample's figure without the collection, for sampling while a proxy works).
proxy_rss_kib() {
    local pid rss=0
    for pid in $(proxy_pids "$1"); do
        rss=$((rss + $(rss_kib "$pid" 2>/dev/null || echo 0)))
    done
    echo "$rss"
}

# rss_peak TARGET OUT: in the background until killed, samples proxy_rss_kib every 0.2 s and keeps the largest in
# OUT (one number, rewritten when it grows); its pid goes to STARTED_PID and PIDS. A flood's cost is its peak: the
# collector may give memory back before the flood is over.
rss_peak() {
    local target=$1 out=$2
    (
        peak=0
        while :; do
            now=$(proxy_rss_kib "$target")
            if ((now > peak)); then
                peak=$now
                echo "$peak" >"$out.tmp" && mv "$out.tmp" "$out"
            fi
            sleep 0.2
        done
    ) &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}

# ---------------------------------------------------------------------------------------------------
# wrk (the http1 and endpoint-plugins scripts' load, and the reload script's)
# parse_wrk FILE: "req_per_sec p50_ms p99_ms errors requests" from wrk --latency output.
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
        / requests in /              { requests = $1 }
        END {
            if (rps == "" || p50 == "" || p99 == "" || p50 < 0 || p99 < 0 || requests == "") exit 1
            printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, errors, requests
        }' "$1"
}

# run_wrk NAME URL DURATION OUTFILE [WRK_ARGS...]: wrk --latency flat out with THREADS threads and CONNECTIONS
# keep-alive connections, on WRK_CPUS (the http1, endpoint-plugins and auth scripts' saturation load). WRK_ARGS go
# before the URL (the auth script's -H 'Authorization: ...').
run_wrk() {
    local name=$1 url=$2 duration=$3 out=$4
    shift 4
    pin "${WRK_CPUS:-}"
    "${PIN[@]}" wrk --latency -t "$THREADS" -c "$CONNECTIONS" -d "$duration" "$@" "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "wrk failed against $name"
    }
}

# ---------------------------------------------------------------------------------------------------
# gRPC unary (the grpc script's load, and the reload script's)
# The unary call under load: helloworld.Greeter/SayHello.
GREETER_PATH=/helloworld.Greeter/SayHello

# write_grpc_bodies: $WORK/request.bin, HelloRequest{name: "world"} as a gRPC message: compressed flag 0, 4-byte
# big-endian length 7, then the protobuf (field 1, wire type 2 = 0x0a; length 5; "world"); and $WORK/reply.bin, the
# reply every target must send back, HelloReply{message: "Hello world"}: length 13, then 0x0a, 11, "Hello world".
write_grpc_bodies() {
    printf '\000\000\000\000\007\012\005world' >"$WORK/request.bin"
    printf '\000\000\000\000\015\012\013Hello world' >"$WORK/reply.bin"
}

# grpc_check PORT OUT [PATH [NGHTTP_ARGS...]]: one SayHello("world") with nghttp, to PATH (GREETER_PATH unless
# told; the auth script's APIs sit under a prefix they strip) with NGHTTP_ARGS added (-H 'authorization: KEY');
# succeeds when the answer is HTTP 200 with content-type application/grpc, exactly the framed
# HelloReply{"Hello world"} as body, and the trailer grpc-status 0. h2load only sees HTTP status codes, and a
# failing gRPC call is a 200 too: this is the check that the target really answers the call. nghttp's frame log
# goes to OUT.verbose, the body to OUT.body.
grpc_check() {
    local url=http://127.0.0.1:$1${3:-$GREETER_PATH} out=$2 args
    shift $(($# < 3 ? $# : 3))
    args=(--timeout=5 -H 'content-type: application/grpc' -H 'te: trailers' "$@" -d "$WORK/request.bin" "$url")
    nghttp -v "${args[@]}" >"$out.verbose" 2>&1 || return 1
    grep -q '^\[ *[0-9.]*\] recv (stream_id=[0-9]*) :status: 200$' "$out.verbose" || return 1
    grep -q '^\[ *[0-9.]*\] recv (stream_id=[0-9]*) content-type: application/grpc$' "$out.verbose" || return 1
    grep -q '^\[ *[0-9.]*\] recv (stream_id=[0-9]*) grpc-status: 0$' "$out.verbose" || return 1
    nghttp "${args[@]}" >"$out.body" 2>&1 || return 1
    cmp -s "$out.body" "$WORK/reply.bin"
}

# ---------------------------------------------------------------------------------------------------
# h2load (the grpc script's load, and the http1 and endpoint-plugins scripts' fixed-rate load)
# seconds DURATION: whole seconds (rounded up) of an h2load duration: a number with an optional h, m, s or ms.
seconds() {
    [[ $1 =~ ^([0-9]+)(ms|s|m|h)?$ ]] || return 1
    local n=${BASH_REMATCH[1]}
    case ${BASH_REMATCH[2]} in
        ms) echo $(((n + 999) / 1000)) ;;
        m) echo $((n * 60)) ;;
        h) echo $((n * 3600)) ;;
        *) echo "$n" ;;
    esac
}

# per_client_rps RATE CONNECTIONS: h2load's --rps is per client (connection); the total RATE split over them.
per_client_rps() { awk -v r="$1" -v c="$2" 'BEGIN { printf "%.3f\n", r / c }'; }

# parse_h2load FILE: "req_per_sec mean_ms done ok_2xx problems" from h2load's summary. problems is the
# largest of h2load's failed count (which includes errored and timed-out requests and HTTP-level failures),
# the non-2xx responses, and the finished requests that were not 2xx.
parse_h2load() {
    awk '
        function max(a, b) { return (a + 0 > b + 0) ? a + 0 : b + 0 }
        function ms(v,    n, u) {
            n = v; sub(/[a-z]+$/, "", n)
            u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s")  return n * 1000
            return -1
        }
        /^finished in / { rps = $4 }
        /^requests: / {
            for (i = 2; i < NF; i++) {
                v = $i; w = $(i + 1); gsub(",", "", w)
                if (w == "done") done = v
                if (w == "failed" || w == "errored" || w == "timeout") bad = max(bad, v)
            }
        }
        /^status codes: / {
            for (i = 3; i < NF; i++) {
                v = $i; w = $(i + 1); gsub(",", "", w)
                if (w == "2xx") ok = v; else if (w ~ /^[0-9]xx$/) non2xx += v
            }
        }
        /^time for request:/ { mean = ms($6) }
        END {
            if (rps == "" || done == "" || ok == "" || mean == "" || mean < 0) exit 1
            printf "%.0f %.3f %d %d %d\n", rps, mean, done, ok, max(max(bad, non2xx), done - ok)
        }' "$1"
}

# h2load_percentiles LOGFILE: "p50_ms p99_ms" of the request times in an h2load --log-file (third column,
# microseconds; failed requests, status -1, left out). h2load itself prints only min, max, mean and sd.
h2load_percentiles() {
    awk -F'\t' '$2 != -1 { print $3 }' "$1" | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "nan nan"; exit }
            i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
            printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000
        }'
}

# run_h2load_h1 NAME URL DURATION OUTFILE LOGFILE [H2LOAD_ARGS...]: the fixed-rate load of the http1,
# endpoint-plugins and auth scripts, HTTP/1.1 keep-alive GETs at RPS_PER_CLIENT per connection (-m 1: one request
# at a time per connection, as wrk sends them), THREADS threads, CONNECTIONS connections, on WRK_CPUS, with
# H2LOAD_ARGS before the URL (-H 'Authorization: ...'). timeout is only a backstop; --foreground lets Ctrl-C reach it.
run_h2load_h1() {
    local url=$2 duration=$3 out=$4 logfile=$5 limit
    limit=$(($(seconds "$duration") + 30))
    pin "${WRK_CPUS:-}"
    timeout --foreground -k 5 "$limit" "${PIN[@]}" h2load --h1 -D "$duration" -c "$CONNECTIONS" -t "$THREADS" -m 1 \
        --rps="$RPS_PER_CLIENT" --log-file="$logfile" "${@:6}" "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "h2load failed against $1 (124 means it ran past ${limit}s)"
    }
}

# parse_h2load_h1 FILE LOGFILE: parse_wrk's five columns, "req_per_sec p50_ms p99_ms errors requests", from
# h2load's summary and per-request log, errors being the failed, errored, timed-out and non-2xx requests.
parse_h2load_h1() {
    local rps mean done ok problems
    read -r rps mean done ok problems < <(parse_h2load "$1") || return 1
    [[ -n $done ]] || return 1
    echo "$rps $(h2load_percentiles "$2") $problems $done"
}

# Unless SKIP_GATEWAY=1, starts the gateway (the script's start_gateway) and records its pid in PROXY_PID; $1
# describes it for the log. Fails when skipped, so the caller adds the gateway to its targets only when it runs:
#   if gateway_started "on 127.0.0.1:$PORT_G"; then targets+=(gateway); fi
gateway_started() {
    if [[ $SKIP_GATEWAY == 1 ]]; then
        log "SKIP_GATEWAY=1: gateway not started"
        return 1
    fi
    log "gateway $1"
    start_gateway
    PROXY_PID[gateway]=$STARTED_PID
}

# Prints how many WARN/ERROR lines the gateway logged during the run (0 when it was skipped), and logs the first
# ones.
gateway_log_problems() {
    local problems=0
    if [[ $SKIP_GATEWAY != 1 ]]; then
        problems=$(grep -cE '\b(WARN|ERROR)\b' "$WORK/gateway/gateway.log" || true)
        ((problems == 0)) || {
            log "gateway log has $problems WARN/ERROR lines; the first ones:"
            grep -E '\b(WARN|ERROR)\b' "$WORK/gateway/gateway.log" | head -n 5 | sed 's/^/[bench]   /' >&2
        }
    fi
    echo "$problems"
}

# Writes $WORK/upstream.conf: an nginx with one worker on 127.0.0.1:PORT answering every request 200 with BODY
# (text/plain, one newline at its end). The caller starts it: start_nginx upstream CPUS.
write_text_upstream_conf() {
    local port=$1 body=$2
    {
        nginx_common upstream
        echo "worker_processes 1;"
        echo "http {"
        nginx_http_common upstream
        cat <<EOF
    server {
        listen 127.0.0.1:$port;
        default_type text/plain;
        location / { return 200 "${body%$'\n'}\n"; }
    }
}
EOF
    } >"$WORK/upstream.conf"
}
