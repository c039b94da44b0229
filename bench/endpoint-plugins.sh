#!/usr/bin/env bash
# What endpoint plugins that do not match cost (issue 15): one gateway with two keyless APIs in front of the same
# nginx upstream, /plain/ without plugins and /plugins/ with seven plugins and an IP allow list, every entry on a
# path the load never requests. Target: plugins req/s >= 0.97 x plain. See bench/README.md.
#
#   bench/endpoint-plugins.sh                         # saturation: wrk flat out, 6 interleaved rounds
#   RATE=5000 bench/endpoint-plugins.sh               # a fixed 5000 req/s (h2load --h1): CPU per request
#   GATEWAY_JAR=/work/main/gateway-server/target/gateway.jar bench/endpoint-plugins.sh
#
# Environment (defaults in brackets):
#   ROUNDS [6]  DURATION [10s]  WARMUP [20s]  CONNECTIONS [64]  THREADS [2]   as in http1-keepalive.sh; ROUNDS is
#                       best even, as the order within a round alternates
#   RATE [0]            0: wrk flat out; N: h2load --h1 at a fixed N req/s in total (--rps N / CONNECTIONS)
#   PROXY_THREADS [2]   the gateway's io_threads      TRANSPORT [auto]   the gateway's transport
#   IP_LIST [1]         1: /plugins/ also has allowed_ips (127.0.0.1 last of three); 0: plugins only
#   PORT_U [18080]  PORT_G [18082]   PROXY_CPUS, UPSTREAM_CPUS, WRK_CPUS   JAVA_OPTS   KEEP_TMP [0]
#   GATEWAY_JAR [gateway-server/target/gateway.jar]  the jar to run; built (mvn package) when missing
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-20s}
RATE=${RATE:-0}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PROXY_THREADS=${PROXY_THREADS:-2}
IP_LIST=${IP_LIST:-1}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
PROXY_CPUS=${PROXY_CPUS:-}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-}
WRK_CPUS=${WRK_CPUS:-}
SKIP_GATEWAY=0 # lib.sh's gateway_log_problems reads it; this script always runs the gateway

# The upstream's fixed body, 64 bytes, as in http1-keepalive.sh.
BODY="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"$'\n'
# The two targets. Their names start with "gateway" so that lib.sh's worker_cpu counts the event loops.
TARGETS=(gateway-plain gateway-plugins)
# Both APIs strip their listen path, so the upstream sees GET /items/1 either way.
declare -A REQ_PATH=([gateway-plain]=/plain/items/1 [gateway-plugins]=/plugins/items/1)
TARGET_RATIO=0.97

[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"

. "$ROOT/bench/lib.sh"

check_flags IP_LIST
check_positive ROUNDS CONNECTIONS THREADS PROXY_THREADS
[[ $RATE =~ ^[0-9]+$ ]] || die "RATE must be a non-negative integer (requests/s in total), not '$RATE'"
RATE=$((10#$RATE))
RPS_PER_CLIENT=""
if ((RATE > 0)); then
    RPS_PER_CLIENT=$(per_client_rps "$RATE" "$CONNECTIONS")
    seconds "$DURATION" >/dev/null || die "with RATE, DURATION must be an h2load duration (10, 10s, 1m)"
fi

# ---------------------------------------------------------------------------------------------------
# The gateway: tyk.conf and the two APIs.
# The plugins API's entries: one or two per plugin, all for GET or any method, so that no entry is passed over on
# its method alone and every one runs its path pattern against /items/1 (the dearest way not to match).
plugins_version() {
    cat <<'EOF'
  "version_data": {"not_versioned": true, "versions": {"Default": {
    "name": "Default", "use_extended_paths": true,
    "extended_paths": {
      "black_list": [{"path": "/admin", "method": ""}, {"path": "/internal/{id}", "method": "GET"}],
      "size_limits": [{"path": "/uploads", "method": "", "size_limit": 4096}],
      "transform_headers": [{"path": "/orders/{id}", "method": "GET", "delete_headers": ["Cookie"],
                             "add_headers": {"X-Client": "$tyk_context.remote_addr"}}],
      "transform_response_headers": [{"path": "/reports", "method": "GET", "delete_headers": ["Server"],
                                      "add_headers": {"X-Bench-Report": "1"}}],
      "url_rewrites": [{"path": "/old/{id}", "method": "GET", "match_pattern": "/plugins/old/(\\d+)",
                        "rewrite_to": "/items/$1"}],
      "hard_timeouts": [{"path": "/reports", "method": "GET", "timeout": 2}],
      "circuit_breakers": [{"path": "/payments", "method": "", "threshold_percent": 0.5, "samples": 20,
                            "return_to_service_after": 30, "disable_half_open_state": false}]
    }}}}
EOF
}

write_api() { # NAME EXTRA_JSON: a keyless API on /NAME/ in front of the upstream
    cat >"$WORK/gateway/apps/$1.json" <<EOF
{"api_id": "$1", "name": "$1", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "/$1/", "target_url": "http://127.0.0.1:$PORT_U/", "strip_listen_path": true}$2}
EOF
}

start_gateway() {
    local dir=$WORK/gateway ips=""
    mkdir -p "$dir/apps"
    echo "{\"listen_port\": $PORT_G, \"app_path\": \"apps/\", \"io_threads\": $PROXY_THREADS, \"transport\": \"$TRANSPORT\"}" \
        >"$dir/tyk.conf"
    # The allow list is checked on every request; 127.0.0.1 comes last, after two ranges it is not in.
    ((IP_LIST)) && ips=$',\n "allowed_ips": ["10.0.0.0/8", "192.168.0.0/16", "127.0.0.1"]'
    write_api plain ""
    write_api plugins "$ips,
$(plugins_version)"
    launch_gateway "$dir"
    PROXY_PID[gateway-plain]=$STARTED_PID
    PROXY_PID[gateway-plugins]=$STARTED_PID
    wait_until 30 "$STARTED_PID" gateway "$dir/gateway.log" http_ok "http://127.0.0.1:$PORT_G/plain/items/1"
}

# Before measuring: both APIs return the upstream's body, and the plugins are in force (so that the /plugins/
# rounds do measure them): a black-listed path is refused on /plugins/ only, and the response header transform
# shows on /plugins/reports.
check_setup() {
    local t got
    for t in "${TARGETS[@]}"; do
        got=$(curl -fsS "http://127.0.0.1:$PORT_G${REQ_PATH[$t]}") || die "$t: request failed"
        [[ "$got"$'\n' == "$BODY" ]] || die "$t returned an unexpected body: $got"
    done
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_G/plugins/admin/x") == 403 ]] ||
        die "/plugins/admin/x was not refused: the plugins are not in force"
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_G/plain/admin/x") == 200 ]] ||
        die "/plain/admin/x was refused: the plain API has filters"
    curl -fsS -D - -o /dev/null "http://127.0.0.1:$PORT_G/plugins/reports" | grep -qi '^X-Bench-Report: 1' ||
        die "/plugins/reports lacks the transformed response header"
}

# ---------------------------------------------------------------------------------------------------
# Measuring
# one_round ROUND TARGET: the load against one API; appends "rps p50 p99 errors requests" to results/T.txt and
# "loop_us process_us" (CPU per request: the event loops, the whole JVM) to results/T.cpu.
one_round() {
    local round=$1 t=$2 url="http://127.0.0.1:$PORT_G${REQ_PATH[$2]}" raw before after line cpu rps p50 p99 errors
    raw=$WORK/load/round$round-$t
    before=$(cpu_sample "$t")
    if ((RATE > 0)); then run_h2load_h1 "$t" "$url" "$DURATION" "$raw.txt" "$raw.log"; else run_wrk "$t" "$url" "$DURATION" "$raw.txt"; fi
    after=$(cpu_sample "$t")
    if ((RATE > 0)); then line=$(parse_h2load_h1 "$raw.txt" "$raw.log") || line=""; else line=$(parse_wrk "$raw.txt") || line=""; fi
    [[ -n $line ]] || { cat "$raw.txt" >&2; die "could not parse the load generator's output for $t"; }
    cpu=$(cpu_per_request "$before" "$after" "$(awk '{ print $5 }' <<<"$line")")
    echo "$line" >>"$WORK/results/$t.txt"
    echo "$cpu" >>"$WORK/results/$t.cpu"
    read -r rps p50 p99 errors _ <<<"$line"
    log "$(printf 'round %d/%d %-16s %8s req/s  p50 %7s ms  p99 %7s ms  errors %s  CPU us/req loops/process %s' \
        "$round" "$ROUNDS" "$t" "$rps" "$p50" "$p99" "$errors" "${cpu/ //}")"
}

# per_round EXT COLUMN: plugins / plain of one column of results/*.EXT, round by round, one ratio a line.
per_round() {
    paste -d ' ' <(col "$WORK/results/gateway-plugins.$1" "$2") <(col "$WORK/results/gateway-plain.$1" "$2") |
        awk '$2 > 0 { printf "%.3f\n", $1 / $2 }'
}

# ratio_line WHAT EXT COLUMN: plugins / plain for one column: the median of the per-round ratios (the two APIs of
# a round ran seconds apart, so this pairing is the one a drifting machine disturbs least, and the verdict's),
# each round's, and the ratio of the medians.
ratio_line() {
    local a b
    a=$(col "$WORK/results/gateway-plugins.$2" "$3" | median)
    b=$(col "$WORK/results/gateway-plain.$2" "$3" | median)
    awk -v w="$1" -v a="$a" -v b="$b" -v r="$(per_round "$2" "$3" | paste -sd ' ')" -v m="$(per_round "$2" "$3" | median)" \
        'BEGIN { printf "- plugins/plain %s: **%.3fx** median of rounds (%s); ratio of the medians %.3fx (%.5g against %.5g)\n", w, m, r, a / b, a, b }'
}

report() {
    local t rps_ratio cpu_ratio
    echo "# Endpoint plugins that do not match: /plugins/ against /plain/ on one gateway"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); nproc $(nproc); load average before the run: $LOADAVG"
    echo "- java: $(java -version 2>&1 | head -n 1); wrk: $(wrk -v 2>&1 | head -n 1 || true)"
    echo "- gateway: $GATEWAY_JAR, io_threads $PROXY_THREADS, transport $TRANSPORT, JAVA_OPTS ${JAVA_OPTS:-(none)}"
    echo "- /plugins/: black_list (2), size_limits, transform_headers, transform_response_headers, url_rewrites, hard_timeouts, circuit_breakers$( ((IP_LIST)) && echo ', allowed_ips (3, 127.0.0.1 last)'); no entry matches ${REQ_PATH[gateway-plugins]}"
    if ((RATE > 0)); then
        echo "- load: h2load --h1 -t $THREADS -c $CONNECTIONS -m 1 -D $DURATION --rps=$RPS_PER_CLIENT (a fixed $RATE req/s), $ROUNDS rounds after $WARMUP of wrk per API"
    else
        echo "- load: wrk -t $THREADS -c $CONNECTIONS -d $DURATION --latency (saturation), $ROUNDS rounds after $WARMUP per API"
    fi
    echo "- rounds alternate the order (plain first in odd rounds, plugins first in even ones); CPU per request is the gateway's over the round's requests"
    echo
    echo "| API | req/s | p50 ms | p99 ms | CPU us/req, event loops | CPU us/req, process | requests | errors |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for t in "${TARGETS[@]}"; do
        printf '| %s | %.0f | %.3f | %.3f | %.2f | %.2f | %d | %d |\n' "${t#gateway-}" \
            "$(col "$WORK/results/$t.txt" 1 | median)" "$(col "$WORK/results/$t.txt" 2 | median)" \
            "$(col "$WORK/results/$t.txt" 3 | median)" "$(col "$WORK/results/$t.cpu" 1 | median)" \
            "$(col "$WORK/results/$t.cpu" 2 | median)" "$(col "$WORK/results/$t.txt" 5 | total)" \
            "$(col "$WORK/results/$t.txt" 4 | total)"
    done
    echo
    ratio_line req/s txt 1
    ratio_line p99 txt 3
    ratio_line "CPU per request, process" cpu 2
    ratio_line "CPU per request, event loops" cpu 1
    rps_ratio=$(per_round txt 1 | median)
    cpu_ratio=$(per_round cpu 2 | median)
    echo
    if ((RATE > 0)); then
        # At a fixed rate both APIs serve the rate; what the plugins cost shows as CPU per request. Throughput
        # >= 0.97x plain is then CPU per request <= 1/0.97 = 1.031x plain.
        awk -v r="$RATE" -v a="$(col "$WORK/results/gateway-plugins.txt" 1 | median)" \
            -v b="$(col "$WORK/results/gateway-plain.txt" 1 | median)" 'BEGIN {
            printf "- rate reached: plain %.1f%%, plugins %.1f%%%s\n", 100 * b / r, 100 * a / r,
                (a < 0.98 * r || b < 0.98 * r) ? " (one fell more than 2% short)" : "" }'
        awk -v c="$cpu_ratio" -v t="$TARGET_RATIO" 'BEGIN {
            printf "%s: plugins CPU per request %.3fx plain, median of rounds (target <= %.3fx, the fixed-rate form of throughput >= %.2fx)\n",
                (c <= 1 / t) ? "PASS" : "FAIL", c, 1 / t, t }'
    else
        awk -v x="$rps_ratio" -v t="$TARGET_RATIO" 'BEGIN {
            printf "%s: plugins throughput %.3fx plain, median of rounds (target >= %.2fx)\n", (x >= t) ? "PASS" : "FAIL", x, t }'
    fi
}

# ---------------------------------------------------------------------------------------------------
main() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v wrk >/dev/null || pkgs+=(wrk)
    ((RATE == 0)) || command -v h2load >/dev/null || pkgs+=(nghttp2-client)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
    NGINX=$(nginx_bin)
    if [[ ! -f $GATEWAY_JAR ]]; then
        log "building the gateway (mvn -q -DskipTests package)"
        (cd "$ROOT" && mvn -q -DskipTests package) >&2
        [[ -f $GATEWAY_JAR ]] || die "the build did not produce $GATEWAY_JAR"
    fi
    LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
    PORT_U=$(pick_port PORT_U 18080)
    PORT_G=$(pick_port PORT_G 18082 "$PORT_U")
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-plugins.XXXXXX")
    mkdir -p "$WORK/results" "$WORK/load"

    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream "$UPSTREAM_CPUS"
    wait_until 10 "$STARTED_PID" upstream "$WORK/upstream/error.log" http_ok "http://127.0.0.1:$PORT_U/"
    log "gateway on 127.0.0.1:$PORT_G ($GATEWAY_JAR), upstream on 127.0.0.1:$PORT_U"
    start_gateway
    check_setup

    # Both APIs live in one JVM, so each warm-up also warms the code the other shares (codec, proxy); each still
    # gets its own, so that the filters' code is compiled before the first round too.
    local t round order
    for t in "${TARGETS[@]}"; do
        log "warm-up $t ($WARMUP, wrk flat out)"
        run_wrk "$t" "http://127.0.0.1:$PORT_G${REQ_PATH[$t]}" "$WARMUP" "$WORK/load/warmup-$t.txt"
    done
    # Interleaved rounds, the order alternating (plain, plugins / plugins, plain): the API measured second in a
    # round ran on a JVM that had just been busy, which on this kind of machine can favour or cost it a few per
    # cent, more than the effect measured here.
    for ((round = 1; round <= ROUNDS; round++)); do
        if ((round % 2)); then order=("${TARGETS[@]}"); else order=("${TARGETS[1]}" "${TARGETS[0]}"); fi
        for t in "${order[@]}"; do one_round "$round" "$t"; done
    done

    local problems stamp report_file
    problems=$(gateway_log_problems)
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_file=$ROOT/bench/results/endpoint-plugins-$stamp.md
    mkdir -p "$ROOT/bench/results"
    { report; echo "- gateway log WARN/ERROR lines: $problems"; } | tee "$report_file"
    log "report written to ${report_file#"$ROOT"/}"
}

main "$@"
