# Shared helpers for the bench/*.sh scripts; sourced, not run. The script sets ROOT, its knobs (KEEP_TMP,
# PROXY_CPUS, GATEWAY_JAR, ...) and set -euo pipefail before it sources this file, and sets NGINX (the nginx
# binary) before it starts nginx. Sourcing installs the cleanup traps.

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

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

# nginx_package: the Debian package to install nginx from. nginx-light is the smallest build; Debian releases
# that no longer ship it have plain nginx.
nginx_package() {
    if apt-cache show nginx-light >/dev/null 2>&1; then echo nginx-light; else echo nginx; fi
}

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

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

# launch_gateway DIR: run $GATEWAY_JAR on DIR/tyk.conf in the background, on PROXY_CPUS with JAVA_OPTS, logging
# to DIR/gateway.log; its pid goes to STARTED_PID.
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

launch_gateway() {
    local dir=$1 java_opts=()
    read -r -a java_opts <<<"${JAVA_OPTS:-}"
    pin "$PROXY_CPUS"
    "${PIN[@]}" java "${java_opts[@]}" -jar "$GATEWAY_JAR" --conf "$dir/tyk.conf" >"$dir/gateway.log" 2>&1 &
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

# worker_cpu TARGET: "ID CPU_NS" for each worker thread of a proxy (nginx's worker processes, the gateway's
# event loops), from the kernel's schedstat; nothing for a target that is not a proxy.
worker_cpu() {
    local pid=${PROXY_PID[$1]:-} task child
    [[ -n $pid ]] || return 0
    if [[ $1 == gateway ]]; then
        for task in /proc/"$pid"/task/*; do
            [[ $(cat "$task/comm" 2>/dev/null) == "$GATEWAY_IO_THREAD_PREFIX"* ]] || continue
            echo "${task##*/} $(cut -d' ' -f1 "$task/schedstat" 2>/dev/null)"
        done
    else
        for child in $(pgrep -P "$pid"); do
            echo "$child $(cut -d' ' -f1 /proc/"$child"/schedstat 2>/dev/null)"
        done
    fi
}

# cpu_split BEFORE AFTER: each worker's CPU milliseconds between two worker_cpu samples, as "1234/2345".
cpu_split() {
    join <(sort <<<"$1") <(sort <<<"$2") | awk 'NF == 3 { printf "%s%.0f", (n++ ? "/" : ""), ($3 - $2) / 1e6 }'
}

# cpu_split_report: for the report, one line per proxy with the cpu_split of each round, from
# $WORK/results/<target>.split.
cpu_split_report() {
    local t
    for t in nginx-proxy gateway; do
        [[ -s $WORK/results/$t.split ]] || continue
        echo "- $t CPU ms per thread, by round: $(paste -sd ' ' "$WORK/results/$t.split" | sed 's/ /, /g')"
    done
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
