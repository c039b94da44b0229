#!/usr/bin/env bash
# What authentication costs (issue 16): one gateway per key store, each with a keyless API (/open/, the baseline)
# and a token-auth API (/keyed/, a key whose rate limit is set high enough never to refuse, so that every request
# does the limit work) in front of the same nginx upstream; and, on the in-memory gateway, the same pair for gRPC
# unary calls in front of the examples' Greeter. Targets: keyed req/s >= 0.90 x keyless with the memory store,
# >= 0.80 x with Redis and its session cache. See bench/README.md.
#
#   bench/auth.sh                                     # saturation: wrk / h2load flat out, 6 interleaved rounds
#   RATE=5000 bench/auth.sh                           # a fixed 5000 req/s per target: CPU per request
#   MODES="memory redis" bench/auth.sh                # HTTP/1.1 only
#
# Environment (defaults in brackets):
#   MODES [memory redis basic grpc]   which pairs to run: memory (token auth, keys and limits in the gateway), redis
#                       (the same with tyk.conf storage type redis: a redis-server this script starts), basic (basic
#                       auth with its cache, on the memory gateway), grpc (gRPC unary, keyless against token auth, on
#                       the memory gateway)
#   ROUNDS [6]  DURATION [10s]  WARMUP [20s]   rounds (best even: the order within a pair alternates), the time per
#                       target per round, and the flat-out warm-up per target
#   RATE [0]            0: flat out; N: a fixed N req/s per target (h2load --h1 for HTTP/1.1, h2load --rps for gRPC)
#   CONNECTIONS [64]  THREADS [2]        HTTP/1.1 load: wrk (or h2load --h1) connections and threads
#   GRPC_CONNECTIONS [16]  GRPC_STREAMS [32]   gRPC load: h2load -c and -m (as grpc-unary.sh)
#   KEY_RATE [10000000]  KEY_PER [1]     the bench key's rate limit: KEY_RATE requests per KEY_PER seconds
#   REDIS_LIMITER [fixed]   the Redis gateway's limiter: fixed (the default: Tyk's fixed window, counted in leases of
#                       KEY_RATE / 100) or sliding (enable_redis_rolling_limiter: Tyk's sliding log, a script per request)
#   PROXY_THREADS [2]   the gateways' io_threads      TRANSPORT [auto]   the gateways' transport
#   PORT_U [18080]  PORT_GU [18090]  PORT_R [18079]  PORT_GM [18082]  PORT_GR [18083]   nginx upstream, gRPC
#                       upstream, Redis, the memory gateway, the Redis gateway
#   PROXY_CPUS (the gateways), UPSTREAM_CPUS (nginx, the gRPC upstream, Redis), WRK_CPUS (wrk and h2load): taskset lists
#   JAVA_OPTS  KEEP_TMP [0]  GATEWAY_JAR [gateway-server/target/gateway.jar]  EXAMPLES_JAR [examples/target/examples.jar]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODES=${MODES:-memory redis basic grpc}
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-20s}
RATE=${RATE:-0}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
GRPC_CONNECTIONS=${GRPC_CONNECTIONS:-16}
GRPC_STREAMS=${GRPC_STREAMS:-32}
KEY_RATE=${KEY_RATE:-10000000}
KEY_PER=${KEY_PER:-1}
REDIS_LIMITER=${REDIS_LIMITER:-fixed}
PROXY_THREADS=${PROXY_THREADS:-2}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
EXAMPLES_JAR=${EXAMPLES_JAR:-$ROOT/examples/target/examples.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
WRK_CPUS=${WRK_CPUS:-}
SKIP_GATEWAY=0 # lib.sh's gateway_log_problems reads it; this script always runs gateways

# The control API's secret, and the bench key (a custom key: the same in every run, so logs can be compared).
SECRET=bench-secret
KEY=bench-auth-key-0123456789
# A second key whose limit is 1 a minute: its second request must be refused, which shows that the keyed APIs run
# the rate limit (so that the bench key's requests do the limit work too).
LIMITED_KEY=bench-auth-limited-0123456789
# The basic-auth users: the bench one, and one limited to 1 a minute; the password is checked with bcrypt (cost 10)
# once, then remembered for basic_auth.cache_ttl (60 s) as the API sets it.
BASIC_USER=bench-user
BASIC_LIMITED_USER=bench-limited-user
BASIC_PASSWORD=bench-password-0123
basic_header() { echo "Authorization: Basic $(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
# The upstream's fixed body, 64 bytes, as in http1-keepalive.sh.
BODY="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"$'\n'
# A SayHello reply is one gRPC message of 18 bytes (5 of framing, 13 of HelloReply): h2load counts HTTP statuses
# only, and a refused gRPC call is an HTTP 200 without DATA (Trailers-Only), so the DATA bytes are what show that
# every call was answered.
REPLY_BYTES=18

[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"

. "$ROOT/bench/lib.sh"

check_positive ROUNDS CONNECTIONS THREADS PROXY_THREADS GRPC_CONNECTIONS GRPC_STREAMS KEY_RATE KEY_PER
[[ $REDIS_LIMITER =~ ^(fixed|sliding)$ ]] || die "REDIS_LIMITER is fixed or sliding, not '$REDIS_LIMITER'"
[[ $RATE =~ ^[0-9]+$ ]] || die "RATE must be a non-negative integer (requests/s per target), not '$RATE'"
RATE=$((10#$RATE))
for var in DURATION WARMUP; do
    s=$(seconds "${!var}") && ((s > 0)) || die "$var must be a positive duration (10, 10s, 1m), not '${!var}'"
done
declare -A MODE_ON=()
for m in $MODES; do
    [[ $m =~ ^(memory|redis|basic|grpc)$ ]] || die "MODES holds memory, redis, basic and grpc, not '$m'"
    MODE_ON[$m]=1
done
((${#MODE_ON[@]} > 0)) || die "MODES is empty"
RPS_PER_CLIENT=""
GRPC_RPS_PER_CLIENT=""
if ((RATE > 0)); then
    RPS_PER_CLIENT=$(per_client_rps "$RATE" "$CONNECTIONS")
    GRPC_RPS_PER_CLIENT=$(per_client_rps "$RATE" "$GRPC_CONNECTIONS")
fi

# The pairs, keyless first; target names start with "gateway" so that lib.sh's worker_cpu counts the event loops.
# A target's gateway (PROXY_PID), path, protocol and throughput target (keyed / keyless, the issue's; "-" for none);
# a pair's credentials: the header both its targets send, one that is refused (UNKNOWN) and one limited to 1 a minute.
PAIRS=()
declare -A REQ_PATH=() PROTO=() TARGET_RATIO=() PAIR_LABEL=() AUTH=() AUTH_UNKNOWN=() AUTH_LIMITED=() CODE_UNKNOWN=()
add_pair() { # MODE LABEL PROTO OPEN_PATH KEYED_PATH TARGET
    PAIRS+=("$1")
    AUTH[$1]="Authorization: $KEY"
    AUTH_UNKNOWN[$1]="Authorization: not-$KEY"
    AUTH_LIMITED[$1]="Authorization: $LIMITED_KEY"
    CODE_UNKNOWN[$1]=403
    PAIR_LABEL[$1]=$2
    PROTO[gateway-$1-open]=$3
    PROTO[gateway-$1-keyed]=$3
    REQ_PATH[gateway-$1-open]=$4
    REQ_PATH[gateway-$1-keyed]=$5
    TARGET_RATIO[$1]=$6
}
[[ -n ${MODE_ON[memory]:-} ]] && add_pair memory "token auth, memory store" h1 /open/items/1 /keyed/items/1 0.90
[[ -n ${MODE_ON[redis]:-} ]] && add_pair redis "token auth, Redis store" h1 /open/items/1 /keyed/items/1 0.80
if [[ -n ${MODE_ON[basic]:-} ]]; then
    add_pair basic "basic auth with its cache, memory store" h1 /open/items/1 /basic/items/1 -
    AUTH[basic]=$(basic_header "$BASIC_USER" "$BASIC_PASSWORD")
    AUTH_UNKNOWN[basic]=$(basic_header "$BASIC_USER" "not-$BASIC_PASSWORD")
    AUTH_LIMITED[basic]=$(basic_header "$BASIC_LIMITED_USER" "$BASIC_PASSWORD")
    CODE_UNKNOWN[basic]=401
fi
[[ -n ${MODE_ON[grpc]:-} ]] && add_pair grpc "gRPC unary, token auth, memory store" grpc \
    /grpc-open$GREETER_PATH /grpc-keyed$GREETER_PATH 0.90
# The memory gateway serves the memory, basic and gRPC pairs, the Redis gateway the redis pair.
gateway_of() { [[ $1 == redis ]] && echo redis || echo memory; }

# ---------------------------------------------------------------------------------------------------
# The gateways and their peers
start_redis() {
    mkdir -p "$WORK/redis"
    pin "$UPSTREAM_CPUS"
    "${PIN[@]}" redis-server --bind 127.0.0.1 --port "$PORT_R" --save '' --appendonly no --daemonize no \
        --dir "$WORK/redis" --logfile "$WORK/redis/redis.log" >/dev/null 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    REDIS_PID=$STARTED_PID
    wait_until 10 "$REDIS_PID" redis "$WORK/redis/redis.log" redis_ok
}
redis_ok() { [[ $(redis-cli -p "$PORT_R" ping 2>/dev/null) == PONG ]]; }

write_http_api() { # DIR NAME KEYLESS [EXTRA_JSON]
    cat >"$1/apps/$2.json" <<EOF
{"api_id": "$2", "name": "$2", "use_keyless": $3, "active": true${4:-},
 "proxy": {"listen_path": "/$2/", "target_url": "http://127.0.0.1:$PORT_U/", "strip_listen_path": true}}
EOF
}
write_grpc_api() { # DIR NAME KEYLESS: strip_listen_path, so that the Greeter gets /helloworld.Greeter/SayHello
    cat >"$1/apps/$2.json" <<EOF
{"api_id": "$2", "name": "$2", "use_keyless": $3, "active": true,
 "proxy": {"listen_path": "/$2/", "target_url": "h2c://127.0.0.1:$PORT_GU", "strip_listen_path": true}}
EOF
}

# start_gateway_for STORE (memory or redis): its tyk.conf and APIs in $WORK/gateway-STORE; pid in GATEWAY_PID.
declare -A GATEWAY_PID=() GATEWAY_PORT=()
start_gateway_for() {
    local store=$1 dir=$WORK/gateway-$1 port storage="" h2=""
    port=${GATEWAY_PORT[$1]}
    mkdir -p "$dir/apps"
    [[ $store == redis ]] && storage=", \"storage\": {\"type\": \"redis\", \"host\": \"127.0.0.1\", \"port\": $PORT_R}"
    [[ $store == redis && $REDIS_LIMITER == sliding ]] && storage+=', "enable_redis_rolling_limiter": true'
    [[ $store == memory && -n ${MODE_ON[grpc]:-} ]] && h2=', "http_server_options": {"enable_http2": true}'
    echo "{\"listen_port\": $port, \"app_path\": \"apps/\", \"io_threads\": $PROXY_THREADS, \"transport\": \"$TRANSPORT\", \"secret\": \"$SECRET\"$storage$h2}" \
        >"$dir/tyk.conf"
    write_http_api "$dir" open true
    write_http_api "$dir" keyed false
    [[ $store == memory && -n ${MODE_ON[basic]:-} ]] && write_http_api "$dir" basic false \
        ', "use_basic_auth": true, "basic_auth": {"disable_caching": false, "cache_ttl": 60}'
    if [[ $store == memory && -n ${MODE_ON[grpc]:-} ]]; then
        write_grpc_api "$dir" grpc-open true
        write_grpc_api "$dir" grpc-keyed false
    fi
    launch_gateway "$dir"
    GATEWAY_PID[$store]=$STARTED_PID
    wait_until 30 "$STARTED_PID" "gateway ($store)" "$dir/gateway.log" http_ok "http://127.0.0.1:$port/open/items/1"
    make_key "$store" "$KEY" "$KEY_RATE" "$KEY_PER"
    make_key "$store" "$LIMITED_KEY" 1 60
    if [[ $store == memory && -n ${MODE_ON[basic]:-} ]]; then
        make_key "$store" "$BASIC_USER" "$KEY_RATE" "$KEY_PER" basic "$BASIC_PASSWORD"
        make_key "$store" "$BASIC_LIMITED_USER" 1 60 basic "$BASIC_PASSWORD"
    fi
}

# make_key STORE KEY RATE PER [API PASSWORD]: a custom key through the control API, with access to the keyed APIs;
# or, with API and PASSWORD, a basic-auth user of that API.
make_key() {
    local port=${GATEWAY_PORT[$1]} rights got extra=""
    rights='"keyed": {"api_id": "keyed", "versions": ["Default"]}'
    [[ $1 == memory && -n ${MODE_ON[grpc]:-} ]] &&
        rights+=', "grpc-keyed": {"api_id": "grpc-keyed", "versions": ["Default"]}'
    if [[ -n ${5:-} ]]; then
        rights="\"$5\": {\"api_id\": \"$5\", \"versions\": [\"Default\"]}"
        extra=", \"basic_auth_data\": {\"password\": \"$6\"}"
    fi
    got=$(curl -sS -X POST -H "x-tyk-authorization: $SECRET" "http://127.0.0.1:$port/tyk/keys/$2" \
        -d "{\"access_rights\": {$rights}, \"rate\": $3, \"per\": $4$extra}") || die "could not reach the $1 gateway's control API"
    [[ $got == *'"status":"ok"'* ]] || die "the $1 gateway did not make key $2: $got"
}

start_grpc_upstream() {
    start_bg grpc-upstream "$UPSTREAM_CPUS" java -cp "$EXAMPLES_JAR" dev.gateway.examples.grpc.GrpcDemoServers \
        --port "$PORT_GU"
    wait_until 30 "$STARTED_PID" "gRPC upstream" "$WORK/grpc-upstream.log" grpc_check "$PORT_GU" "$WORK/check-grpc-upstream"
}

# ---------------------------------------------------------------------------------------------------
# Before and after measuring: the keyless APIs answer without a key, the keyed ones refuse a request without one
# (401) or with an unknown one (403), answer the bench key with the upstream's body, and run the rate limit (the
# limited key's second request is 429). With Redis, the key and the limit's log are in Redis.
status_of() { # URL [CURL_ARGS...]
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${@:2}" "$1"
}
check_http_pair() { # MODE
    local base="http://127.0.0.1:${GATEWAY_PORT[$(gateway_of "$1")]}" keyed got code
    keyed=$base${REQ_PATH[gateway-$1-keyed]}
    got=$(curl -fsS --max-time 5 "$base${REQ_PATH[gateway-$1-open]}") || die "$1: keyless request failed"
    [[ "$got"$'\n' == "$BODY" ]] || die "$1: the keyless API returned an unexpected body: $got"
    got=$(curl -fsS --max-time 5 -H "${AUTH[$1]}" "$keyed") || die "$1: keyed request with the key failed"
    [[ "$got"$'\n' == "$BODY" ]] || die "$1: the keyed API returned an unexpected body: $got"
    code=$(status_of "$keyed")
    [[ $code == 401 ]] || die "$1: the keyed API answered $code, not 401, without a key"
    code=$(status_of "$keyed" -H "${AUTH_UNKNOWN[$1]}")
    [[ $code == "${CODE_UNKNOWN[$1]}" ]] || die "$1: the keyed API answered $code, not ${CODE_UNKNOWN[$1]}, to unknown credentials"
}
check_rate_limit_in_force() { # MODE: once, before the load (the limited key stays spent for a minute)
    local keyed="http://127.0.0.1:${GATEWAY_PORT[$(gateway_of "$1")]}${REQ_PATH[gateway-$1-keyed]}" first second
    first=$(status_of "$keyed" -H "${AUTH_LIMITED[$1]}")
    second=$(status_of "$keyed" -H "${AUTH_LIMITED[$1]}")
    [[ $first == 200 && $second == 429 ]] ||
        die "$1: a key limited to 1 a minute got $first then $second, not 200 then 429: the rate limit is not in force"
}
# limit_in_redis: a keyed request, then at once a look for its limiter key in Redis (the log, or the window's
# counter, expires within KEY_PER seconds of the last request, so a request may land at a window's very end: 3 tries).
limit_in_redis() {
    local keyed="http://127.0.0.1:${GATEWAY_PORT[redis]}${REQ_PATH[gateway-redis-keyed]}" try
    for try in 1 2 3; do
        [[ $(status_of "$keyed" -H "${AUTH[redis]}") == 200 ]] || return 1
        (($(redis_keys 'rate-limit-*') >= 1)) && return 0
    done
    return 1
}
check_grpc_pair() {
    local port=${GATEWAY_PORT[memory]}
    grpc_check "$port" "$WORK/check-grpc-open" "/grpc-open$GREETER_PATH" || die "grpc: SayHello through /grpc-open/ failed"
    grpc_check "$port" "$WORK/check-grpc-keyed" "/grpc-keyed$GREETER_PATH" -H "authorization: $KEY" ||
        die "grpc: SayHello with the key through /grpc-keyed/ failed (see $WORK/check-grpc-keyed.verbose)"
    ! grpc_check "$port" "$WORK/check-grpc-nokey" "/grpc-keyed$GREETER_PATH" ||
        die "grpc: SayHello without a key through /grpc-keyed/ succeeded"
    grep -q 'grpc-status: 16$' "$WORK/check-grpc-nokey.verbose" ||
        die "grpc: SayHello without a key did not end UNAUTHENTICATED (see $WORK/check-grpc-nokey.verbose)"
}
check_pair() { if [[ $1 == grpc ]]; then check_grpc_pair; else check_http_pair "$1"; fi; }

# redis_keys PATTERN: how many keys Redis holds that match.
redis_keys() { redis-cli -p "$PORT_R" --scan --pattern "$1" | wc -l; }

# ---------------------------------------------------------------------------------------------------
# Measuring
# run_grpc NAME URL DURATION OUTFILE [H2LOAD_ARGS...]: SayHello calls with h2load, GRPC_CONNECTIONS connections of
# GRPC_STREAMS streams, THREADS threads, on WRK_CPUS.
run_grpc() {
    local name=$1 url=$2 duration=$3 out=$4 limit
    shift 4
    limit=$(($(seconds "$duration") + 30))
    pin "$WRK_CPUS"
    timeout --foreground -k 5 "$limit" "${PIN[@]}" h2load -D "$duration" -c "$GRPC_CONNECTIONS" -m "$GRPC_STREAMS" \
        -t "$THREADS" "$@" --data="$WORK/request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        die "h2load failed against $name (124 means it ran past ${limit}s)"
    }
}

# grpc_data_short FILE: how many of the calls h2load finished got no whole reply, from the DATA bytes it received
# (h2load's "traffic" line: "... 10.05MB (10538604) data").
grpc_data_short() {
    local done data
    done=$(awk '/^requests: / { print $2 }' "$1")
    data=$(awk '/^traffic: / { for (i = 1; i < NF; i++) if ($(i + 1) == "data") { v = $i; gsub(/[()]/, "", v); print v } }' "$1")
    [[ -n $done && -n $data ]] || return 1
    awk -v d="$done" -v b="$data" -v r="$REPLY_BYTES" 'BEGIN { s = d - int(b / r); print (s > 0) ? s : 0 }'
}

# load TARGET DURATION RAW: the target's load (wrk, or h2load at RATE), with the key on every request to either API
# of a pair (the keyless API ignores it, so both send the same bytes); RAW.txt the output, RAW.log h2load's
# per-request log.
load() {
    local t=$1 port url auth
    port=${GATEWAY_PORT[$(gateway_of "$(mode_of "$t")")]}
    url="http://127.0.0.1:$port${REQ_PATH[$t]}"
    if [[ ${PROTO[$t]} == grpc ]]; then
        auth=(-H "authorization: $KEY")
        # The per-request log gives p50 and p99 (h2load prints only the mean), flat out too.
        if ((RATE > 0)); then
            run_grpc "$t" "$url" "$2" "$3.txt" "${auth[@]}" --rps="$GRPC_RPS_PER_CLIENT" --log-file="$3.log"
        else
            run_grpc "$t" "$url" "$2" "$3.txt" "${auth[@]}" --log-file="$3.log"
        fi
    else
        auth=(-H "${AUTH[$(mode_of "$t")]}")
        if ((RATE > 0)); then
            run_h2load_h1 "$t" "$url" "$2" "$3.txt" "$3.log" "${auth[@]}"
        else
            run_wrk "$t" "$url" "$2" "$3.txt" "${auth[@]}"
        fi
    fi
}
mode_of() { local m=${1#gateway-}; echo "${m%-*}"; }

# parse TARGET RAW: "rps p50 p99 errors requests"; errors are socket errors, non-2xx responses, failed calls and,
# for gRPC, calls answered without their reply.
parse() {
    local t=$1 raw=$2 rps mean done ok problems short
    if [[ ${PROTO[$t]} == grpc ]]; then
        read -r rps mean done ok problems < <(parse_h2load "$raw.txt") || return 1
        [[ -n $done ]] || return 1
        short=$(grpc_data_short "$raw.txt") || return 1
        echo "$rps $(h2load_percentiles "$raw.log") $((problems > short ? problems : short)) $done"
    elif ((RATE > 0)); then
        parse_h2load_h1 "$raw.txt" "$raw.log"
    else
        parse_wrk "$raw.txt"
    fi
}

# pid_cpu_ns PID: utime + stime of one process, in ns (clock-tick resolution).
pid_cpu_ns() {
    sed 's/^.*) //' /proc/"$1"/stat | awk -v hz="$CLK_TCK" '{ printf "%.0f\n", ($12 + $13) * 1e9 / hz }'
}

# one_round ROUND TARGET: the load against one API; appends "rps p50 p99 errors requests" to results/T.txt and
# "loop_us process_us redis_us" (CPU per request: the event loops, the gateway's JVM, redis-server) to results/T.cpu.
# Any error fails the run: a keyed API that refused would be measured fast.
one_round() {
    local round=$1 t=$2 raw before after line cpu r0=0 r1=0 redis_us=0 rps p50 p99 errors
    raw=$WORK/load/round$round-$t
    [[ $(mode_of "$t") == redis ]] && r0=$(pid_cpu_ns "$REDIS_PID")
    before=$(cpu_sample "$t")
    load "$t" "$DURATION" "$raw"
    after=$(cpu_sample "$t")
    [[ $(mode_of "$t") == redis ]] && r1=$(pid_cpu_ns "$REDIS_PID")
    line=$(parse "$t" "$raw") || line=""
    [[ -n $line ]] || { cat "$raw.txt" >&2; die "could not parse the load generator's output for $t"; }
    read -r rps p50 p99 errors requests <<<"$line"
    cpu=$(cpu_per_request "$before" "$after" "$requests")
    redis_us=$(awk -v a="$r0" -v b="$r1" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0) ? (b - a) / n / 1000 : 0 }')
    echo "$line" >>"$WORK/results/$t.txt"
    echo "$cpu $redis_us" >>"$WORK/results/$t.cpu"
    log "$(printf 'round %d/%d %-22s %8s req/s  p50 %7s ms  p99 %7s ms  errors %s  CPU us/req loops/process %s%s' \
        "$round" "$ROUNDS" "$t" "$rps" "$p50" "$p99" "$errors" "${cpu/ //}" \
        "$([[ $(mode_of "$t") == redis ]] && echo "  redis $redis_us")")"
    ((errors == 0)) || {
        grep -E 'Non-2xx|Socket errors|^requests:|^status codes:|^traffic:' "$raw.txt" >&2 || true
        die "$t: $errors requests failed, were not 2xx or got no reply in round $round; the run measures nothing"
    }
}

# per_round MODE EXT COLUMN: keyed / keyless of one column of results/*.EXT, round by round, one ratio a line.
per_round() {
    paste -d ' ' <(col "$WORK/results/gateway-$1-keyed.$2" "$3") <(col "$WORK/results/gateway-$1-open.$2" "$3") |
        awk '$2 > 0 { printf "%.3f\n", $1 / $2 }'
}

# ratio_line MODE WHAT EXT COLUMN: keyed / keyless for one column: the median of the per-round ratios (the two APIs
# of a round ran seconds apart, so this pairing is the one a drifting machine disturbs least, and the verdict's),
# each round's, and the ratio of the medians.
ratio_line() {
    local a b
    a=$(col "$WORK/results/gateway-$1-keyed.$3" "$4" | median)
    b=$(col "$WORK/results/gateway-$1-open.$3" "$4" | median)
    awk -v w="$2" -v a="$a" -v b="$b" -v r="$(per_round "$1" "$3" "$4" | paste -sd ' ')" \
        -v m="$(per_round "$1" "$3" "$4" | median)" \
        'BEGIN { printf "- keyed/keyless %s: **%.3fx** median of rounds (%s); ratio of the medians %.3fx (%.5g against %.5g)\n", w, m, r, (b > 0) ? a / b : 0, a, b }'
}

report() {
    local m t rps_ratio cpu_ratio target
    echo "# What authentication costs: keyed against keyless APIs on the same gateway"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); nproc $(nproc); load average before the run: $LOADAVG"
    echo "- java: $(java -version 2>&1 | head -n 1); wrk: $(wrk -v 2>&1 | head -n 1 || true); h2load: $(h2load --version 2>&1 | head -n 1)"
    [[ -n ${MODE_ON[redis]:-} ]] && echo "- redis: $(redis-server --version | head -n 1); limiter: $([[ $REDIS_LIMITER == sliding ]] && echo "Tyk's sliding log (enable_redis_rolling_limiter), a script per request" || echo "Tyk's fixed window in leases of $((KEY_RATE / 100 > 0 ? KEY_RATE / 100 : 1)) requests")"
    echo "- gateway: $GATEWAY_JAR, io_threads $PROXY_THREADS, transport $TRANSPORT, JAVA_OPTS ${JAVA_OPTS:-(none)}; CPUs: gateways ${PROXY_CPUS:-any}, upstreams and Redis ${UPSTREAM_CPUS:-any}, load ${WRK_CPUS:-any}"
    echo "- key: rate $KEY_RATE per $KEY_PER s (never refuses; every request spends it), no quota; sent on every request to both APIs of a pair (Authorization, or gRPC metadata authorization)$([[ -z ${MODE_ON[basic]:-} ]] || echo "; basic: user $BASIC_USER with the same limit, bcrypt, basic_auth.cache_ttl 60")"
    if ((RATE > 0)); then
        echo "- load: HTTP/1.1 h2load --h1 -t $THREADS -c $CONNECTIONS -m 1 -D $DURATION --rps=$RPS_PER_CLIENT; gRPC h2load -t $THREADS -c $GRPC_CONNECTIONS -m $GRPC_STREAMS --rps=$GRPC_RPS_PER_CLIENT (a fixed $RATE req/s per target), $ROUNDS rounds after $WARMUP flat out per target"
    else
        echo "- load: HTTP/1.1 wrk -t $THREADS -c $CONNECTIONS -d $DURATION --latency; gRPC h2load -t $THREADS -c $GRPC_CONNECTIONS -m $GRPC_STREAMS -D $DURATION --log-file (saturation), $ROUNDS rounds after $WARMUP per target"
    fi
    echo "- rounds alternate the order within a pair (keyless first in odd rounds); CPU per request is the gateway's over the round's requests (and redis-server's, for the Redis pair)"
    echo
    echo "| pair | API | req/s | p50 ms | p99 ms | CPU us/req, event loops | CPU us/req, process | CPU us/req, Redis | requests | errors |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for m in "${PAIRS[@]}"; do
        for t in "gateway-$m-open" "gateway-$m-keyed"; do
            printf '| %s | %s | %.0f | %.3f | %.3f | %.2f | %.2f | %s | %d | %d |\n' "$m" "${t##*-}" \
                "$(col "$WORK/results/$t.txt" 1 | median)" "$(col "$WORK/results/$t.txt" 2 | median)" \
                "$(col "$WORK/results/$t.txt" 3 | median)" "$(col "$WORK/results/$t.cpu" 1 | median)" \
                "$(col "$WORK/results/$t.cpu" 2 | median)" \
                "$([[ $m == redis ]] && col "$WORK/results/$t.cpu" 3 | median | xargs printf '%.2f' || echo -)" \
                "$(col "$WORK/results/$t.txt" 5 | total)" "$(col "$WORK/results/$t.txt" 4 | total)"
        done
    done
    for m in "${PAIRS[@]}"; do
        target=${TARGET_RATIO[$m]}
        echo
        echo "### $m: ${PAIR_LABEL[$m]}"
        echo
        ratio_line "$m" req/s txt 1
        ratio_line "$m" "p99" txt 3
        ratio_line "$m" "CPU per request, process" cpu 2
        ratio_line "$m" "CPU per request, event loops" cpu 1
        rps_ratio=$(per_round "$m" txt 1 | median)
        cpu_ratio=$(per_round "$m" cpu 2 | median)
        if ((RATE > 0)); then
            # At a fixed rate both APIs serve the rate; the cost shows as CPU per request. Throughput >= T x keyless
            # is then CPU per request <= 1/T x keyless.
            awk -v r="$RATE" -v a="$(col "$WORK/results/gateway-$m-keyed.txt" 1 | median)" \
                -v b="$(col "$WORK/results/gateway-$m-open.txt" 1 | median)" 'BEGIN {
                printf "- rate reached: keyless %.1f%%, keyed %.1f%%%s\n", 100 * b / r, 100 * a / r,
                    (a < 0.98 * r || b < 0.98 * r) ? " (one fell more than 2% short)" : "" }'
            awk -v m="$m" -v c="$cpu_ratio" -v t="$target" 'BEGIN {
                if (t == "-") { printf "- %s: keyed CPU per request %.3fx keyless, median of rounds (no target)\n", m, c; exit }
                printf "- %s: %s: keyed CPU per request %.3fx keyless, median of rounds (target <= %.3fx, the fixed-rate form of throughput >= %.2fx)\n",
                    (c <= 1 / t) ? "PASS" : "FAIL", m, c, 1 / t, t }'
        else
            awk -v m="$m" -v x="$rps_ratio" -v t="$target" 'BEGIN {
                if (t == "-") { printf "- %s: keyed throughput %.3fx keyless, median of rounds (no target)\n", m, x; exit }
                printf "- %s: %s: keyed throughput %.3fx keyless, median of rounds (target >= %.2fx)\n", (x >= t) ? "PASS" : "FAIL", m, x, t }'
        fi
    done
}

# warm_up TARGET: WARMUP flat out (RATE set aside), which must not fail either.
warm_up() {
    local rate=$RATE line
    RATE=0
    load "$1" "$WARMUP" "$WORK/load/warmup-$1"
    line=$(parse "$1" "$WORK/load/warmup-$1") || die "could not parse the warm-up of $1"
    RATE=$rate
    [[ $(awk '{ print $4 }' <<<"$line") == 0 ]] || die "$1: errors in the warm-up (rps p50 p99 errors requests: $line)"
    log "  $(awk '{ printf "%s req/s", $1 }' <<<"$line")"
}

# ---------------------------------------------------------------------------------------------------
main() {
    local pkgs=() m t round order
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v wrk >/dev/null || pkgs+=(wrk)
    command -v h2load >/dev/null && command -v nghttp >/dev/null || pkgs+=(nghttp2-client)
    [[ -z ${MODE_ON[redis]:-} ]] || command -v redis-server >/dev/null || pkgs+=(redis-server)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
    NGINX=$(nginx_bin)
    local jar jars=("$GATEWAY_JAR:gateway-server")
    [[ -z ${MODE_ON[grpc]:-} ]] || jars+=("$EXAMPLES_JAR:examples")
    for jar in "${jars[@]}"; do
        [[ -f ${jar%%:*} ]] && continue
        log "building ${jar##*:} (mvn -q -pl ${jar##*:} -am -DskipTests package)"
        (cd "$ROOT" && mvn -q -o -pl "${jar##*:}" -am -DskipTests package || mvn -q -pl "${jar##*:}" -am -DskipTests package) >&2
        [[ -f ${jar%%:*} ]] || die "the build did not produce ${jar%%:*}"
    done
    LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
    PORT_U=$(pick_port PORT_U 18080)
    PORT_GU=$(pick_port PORT_GU 18090 "$PORT_U")
    PORT_R=$(pick_port PORT_R 18079 "$PORT_U" "$PORT_GU")
    GATEWAY_PORT[memory]=$(pick_port PORT_GM 18082 "$PORT_U" "$PORT_GU" "$PORT_R")
    GATEWAY_PORT[redis]=$(pick_port PORT_GR 18083 "$PORT_U" "$PORT_GU" "$PORT_R" "${GATEWAY_PORT[memory]}")
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-auth.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/load"
    write_grpc_bodies

    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream "$UPSTREAM_CPUS"
    wait_until 10 "$STARTED_PID" upstream "$WORK/upstream/error.log" http_ok "http://127.0.0.1:$PORT_U/"
    log "nginx upstream on 127.0.0.1:$PORT_U"
    if [[ -n ${MODE_ON[grpc]:-} ]]; then
        start_grpc_upstream
        log "gRPC upstream (GrpcDemoServers) on 127.0.0.1:$PORT_GU"
    fi
    if [[ -n ${MODE_ON[memory]:-}${MODE_ON[basic]:-}${MODE_ON[grpc]:-} ]]; then
        start_gateway_for memory
        log "memory gateway on 127.0.0.1:${GATEWAY_PORT[memory]} ($GATEWAY_JAR)"
    fi
    if [[ -n ${MODE_ON[redis]:-} ]]; then
        start_redis
        log "redis-server on 127.0.0.1:$PORT_R"
        start_gateway_for redis
        log "Redis gateway on 127.0.0.1:${GATEWAY_PORT[redis]}"
        (($(redis_keys 'apikey-*') >= 2)) || die "the Redis gateway's keys are not in Redis"
    fi
    for m in "${PAIRS[@]}"; do
        PROXY_PID[gateway-$m-open]=${GATEWAY_PID[$(gateway_of "$m")]}
        PROXY_PID[gateway-$m-keyed]=${GATEWAY_PID[$(gateway_of "$m")]}
        check_pair "$m"
        [[ $m == grpc ]] || check_rate_limit_in_force "$m"
    done
    log "keyed APIs: 401 without credentials, 403 (basic: 401) with unknown ones, the upstream's answer with the bench key or user, 429 past a limit"

    # Each target gets its own warm-up (the two APIs of a gateway share most code, but the auth filters are
    # compiled only by the keyed one's); the warm-up is flat out in both modes.
    for m in "${PAIRS[@]}"; do
        for t in "gateway-$m-open" "gateway-$m-keyed"; do
            log "warm-up $t ($WARMUP, flat out)"
            warm_up "$t"
        done
        [[ $m != redis ]] || limit_in_redis || die "no rate-limit log or window counter in Redis after the warm-up"
    done

    # Interleaved rounds, pair after pair, the order within a pair alternating (keyless, keyed / keyed, keyless).
    for ((round = 1; round <= ROUNDS; round++)); do
        for m in "${PAIRS[@]}"; do
            if ((round % 2)); then order=("gateway-$m-open" "gateway-$m-keyed"); else order=("gateway-$m-keyed" "gateway-$m-open"); fi
            for t in "${order[@]}"; do one_round "$round" "$t"; done
        done
    done
    for m in "${PAIRS[@]}"; do check_pair "$m"; done
    log "after the load: every keyed API still answers the key, and refuses without one"

    local problems=0 stamp report_file store
    for store in "${!GATEWAY_PID[@]}"; do
        problems=$((problems + $(grep -cE '\b(WARN|ERROR)\b' "$WORK/gateway-$store/gateway.log" || true)))
    done
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_file=$ROOT/bench/results/auth-$stamp.md
    ((RATE == 0)) || report_file=$ROOT/bench/results/auth-$stamp-rate$RATE.md
    mkdir -p "$ROOT/bench/results"
    { report; echo; echo "- gateway logs' WARN/ERROR lines: $problems"; } | tee "$report_file"
    log "report written to ${report_file#"$ROOT"/}"
}

main "$@"
