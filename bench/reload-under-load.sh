#!/usr/bin/env bash
# Reloads under load (issue 14): RELOADS SIGHUPs to the gateway, one every INTERVAL seconds, while four kinds of
# traffic go through it at once:
#   - wrk: HTTP/1.1 keep-alive GETs through an http API to an nginx upstream;
#   - h2load: gRPC unary calls (helloworld.Greeter/SayHello, h2c) through a gRPC API to the examples' demo server;
#   - one server-streaming gRPC call (RouteGuide/ListFeatures in pace mode, examples' PacedStream) held open through
#     all the reloads, a message every PACE_MS;
#   - one WebSocket (examples' WsPaced to WebSocketEchoServer) held open through all the reloads, a message and its
#     echo every PACE_MS, then a close handshake.
# Every reload changes the routes: the script rewrites a marker API definition first, its listen path naming the
# reload (/reload-N/), so the gateway compiles and swaps in a new snapshot each time.
#
# Passes (each line of the verdict says met or NOT met; the exit status is 1 when any is not met):
#   wrk: 0 socket errors and 0 non-2xx; h2load: 0 failed, errored or non-2xx; the access log: every gRPC call ended
#   with grpc_status 0 and every exchange with a 2xx; the stream: every message, in order, then status OK; the
#   WebSocket: every echo, in order, then a clean close (1000); the gateway log: RELOADS "reloaded:" lines and no
#   failed or refused reload; after the last reload /reload-RELOADS/ is served and /reload-(RELOADS-1)/ is a 404.
#
#   bench/reload-under-load.sh                          # 20 reloads, 0.5 s apart, under load (about 40 s)
#   RELOADS=5 LEAD=2 TAIL=2 bench/reload-under-load.sh  # a quick check of the script
#
# Environment (defaults in brackets):
#   RELOADS [20]        reloads asked for
#   RELOAD_VIA [signal] signal: SIGHUP; api: GET /tyk/reload?block=true (Tyk's Gateway API, the secret in tyk.conf)
#   INTERVAL [0.5]      seconds between two SIGHUPs
#   LEAD [5]            seconds of load before the first SIGHUP (the JIT's first compiles), TAIL [5] after the last
#   WRK_CONNECTIONS [16]  WRK_THREADS [1]   wrk -c and -t, flat out
#   H2_CONNECTIONS [4]  H2_STREAMS [8]  H2_THREADS [1]   h2load -c, -m and -t, flat out
#   PACE_MS [50]        milliseconds between two messages of the stream, and of the WebSocket
#   ACCESS_LOG [1]      1: the gateway's access log is on, and the script counts exchanges that ended with a status
#                       other than 2xx or a grpc_status other than 0 (h2load sees HTTP statuses only, and a failed
#                       gRPC call is an HTTP 200 too); 0: off, for a run that must not pay for the log lines
#   PORT_U [18140]  PORT_GRPC [18141]  PORT_WS [18142]  PORT_G [18143]   nginx upstream, gRPC demo server, WebSocket
#                       echo server, gateway; a busy default moves to the next free port, a busy port given is an error
#   PROXY_THREADS [2]   the gateway's io_threads
#   TRANSPORT [auto]    the gateway's tyk.conf `transport`: auto (io_uring where the kernel allows it), epoll, nio
#   JAVA_OPTS           extra JVM options for the gateway
#   GATEWAY_JAR [gateway-server/target/gateway.jar]   EXAMPLES_JAR [examples/target/examples.jar]
#   KEEP_TMP [0]        1: keep the temp dir (configs, the gateway's log with the access log, raw client output)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

RELOADS=${RELOADS:-20}
RELOAD_VIA=${RELOAD_VIA:-signal}
INTERVAL=${INTERVAL:-0.5}
LEAD=${LEAD:-5}
TAIL=${TAIL:-5}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
WRK_THREADS=${WRK_THREADS:-1}
H2_CONNECTIONS=${H2_CONNECTIONS:-4}
H2_STREAMS=${H2_STREAMS:-8}
H2_THREADS=${H2_THREADS:-1}
PACE_MS=${PACE_MS:-50}
ACCESS_LOG=${ACCESS_LOG:-1}
PROXY_THREADS=${PROXY_THREADS:-2}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
EXAMPLES_JAR=${EXAMPLES_JAR:-$ROOT/examples/target/examples.jar}
# lib.sh's gateway and CPU helpers read these; this script pins nothing and always runs the gateway.
PROXY_CPUS=""
SKIP_GATEWAY=0

# How long a started process may take to answer, and how long after its expected end a client may take to finish.
READY_SECONDS=30
FINISH_SECONDS=60
# The upstream's fixed body: what every GET through the http API must return.
BODY=reload-under-load
EXAMPLES_GRPC=dev.gateway.examples.grpc
EXAMPLES_WS=dev.gateway.examples.websocket

# log, die, the cleanup trap (every process started is stopped on any exit, Ctrl-C too), ports, nginx and gateway
# launching, wrk and h2load parsing, the SayHello check: shared with the other bench scripts.
. "$ROOT/bench/lib.sh"

check_flags ACCESS_LOG KEEP_TMP
check_positive RELOADS WRK_CONNECTIONS WRK_THREADS H2_CONNECTIONS H2_STREAMS H2_THREADS PACE_MS PROXY_THREADS
for var in LEAD TAIL; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be whole seconds, not '${!var}'"
done
[[ $INTERVAL =~ ^[0-9]*\.?[0-9]+$ ]] || die "INTERVAL must be seconds (0.5, 1), not '$INTERVAL'"
((WRK_THREADS <= WRK_CONNECTIONS)) || die "WRK_THREADS must not exceed WRK_CONNECTIONS"
((H2_THREADS <= H2_CONNECTIONS)) || die "H2_THREADS must not exceed H2_CONNECTIONS"

# The load runs from LEAD seconds before the first SIGHUP to TAIL seconds after the last, and so do the stream and
# the WebSocket, which end on their own once they have sent their messages.
LOAD_SECONDS=$(awk -v l="$LEAD" -v n="$RELOADS" -v i="$INTERVAL" -v t="$TAIL" \
    'BEGIN { s = l + n * i + t; printf "%d\n", (s == int(s)) ? s : int(s) + 1 }')
PACED_MESSAGES=$((LOAD_SECONDS * 1000 / PACE_MS))

# ---------------------------------------------------------------------------------------------------
# Tools
install_missing() {
    local pkgs=()
    [[ -n $(nginx_bin) ]] || pkgs+=("$(nginx_package)")
    command -v wrk >/dev/null || pkgs+=(wrk)
    command -v h2load >/dev/null && command -v nghttp >/dev/null || pkgs+=(nghttp2-client)
    ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
}

listening() { port_busy "$1"; }

# http_status URL: the status code of a GET (000 when nothing answered).
http_status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true; }

# ---------------------------------------------------------------------------------------------------
# Processes under test
start_upstream() {
    write_text_upstream_conf "$PORT_U" "$BODY"
    start_nginx upstream ""
    wait_until "$READY_SECONDS" "$STARTED_PID" "nginx upstream" "$WORK/upstream/error.log" listening "$PORT_U"
}

# start_java NAME CLASS ARGS...: one of the examples' servers, ready once its port (the last argument) listens.
start_java() {
    local name=$1 class=$2
    shift 2
    mkdir -p "$WORK/$name"
    java -cp "$EXAMPLES_JAR" "$class" "$@" >"$WORK/$name/$name.log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    wait_until "$READY_SECONDS" "$STARTED_PID" "$name" "$WORK/$name/$name.log" listening "${*: -1}"
}

# write_api NAME LISTEN_PATH TARGET_URL: an API definition in the gateway's apps/, written beside it and moved in,
# so that a reload never reads half a file.
write_api() {
    cat >"$WORK/gateway/$1.json.tmp" <<EOF
{"api_id": "$1", "name": "$1", "use_keyless": true, "active": true,
 "proxy": {"listen_path": "$2", "target_url": "$3", "strip_listen_path": false}}
EOF
    mv "$WORK/gateway/$1.json.tmp" "$WORK/gateway/apps/$1.json"
}

# write_marker N: the marker API for reload N, at /reload-N/.
write_marker() { write_api marker "/reload-$1/" "http://127.0.0.1:$PORT_U"; }

start_gateway() {
    local dir=$WORK/gateway
    mkdir -p "$dir/apps"
    # read_timeout well beyond the run, so that no connection is closed for idling while the clients wait.
    cat >"$dir/tyk.conf" <<EOF
{"listen_port": $PORT_G, "app_path": "apps/", "io_threads": $PROXY_THREADS, "transport": "$TRANSPORT",
 "secret": "bench-reload-secret",
 "access_logs": {"enabled": $( ((ACCESS_LOG)) && echo true || echo false)},
 "http_server_options": {"enable_http2": true, "enable_websockets": true}}
EOF
    write_api http /http/ "http://127.0.0.1:$PORT_U"
    write_api greeter /helloworld.Greeter "h2c://127.0.0.1:$PORT_GRPC"
    write_api routeguide /routeguide.RouteGuide "h2c://127.0.0.1:$PORT_GRPC"
    write_api ws /ws/ "ws://127.0.0.1:$PORT_WS"
    write_marker 0
    launch_gateway "$dir"
    wait_until "$READY_SECONDS" "$STARTED_PID" gateway "$dir/gateway.log" listening "$PORT_G"
}

# ---------------------------------------------------------------------------------------------------
# Load and long-lived clients, all in the background (stopped by the cleanup trap if the script ends early)
# background NAME COMMAND...: runs COMMAND with its output in $WORK/clients/NAME.out and .err; its pid goes to
# STARTED_PID.
background() {
    local name=$1
    shift
    "$@" >"$WORK/clients/$name.out" 2>"$WORK/clients/$name.err" &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
}

# finish VAR PID: waits for a background client and sets VAR to its exit status (124: it ran past its time limit).
# Not a $(...): a subshell cannot wait for this shell's children.
finish() {
    local status=0
    wait "$2" || status=$?
    printf -v "$1" '%d' "$status"
}

# reload_seconds LOG: the seconds each reload took, one per line, from the timestamps of each "reloading" line and
# the "reloaded:" line after it (reloads are serialized, so they pair up in order).
reload_seconds() {
    awk '
        function t(stamp,    hms) { hms = substr(stamp, 12, 12); split(hms, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
        / Gateway - reloading / { start = t($1) }
        / Gateway - reloaded: / && start != "" { d = t($1) - start; if (d < 0) d += 86400; printf "%.3f\n", d; start = "" }
    ' "$1"
}

# access_log_failures LOG: "EXCHANGES BAD_STATUS BAD_GRPC" over the access log lines of the http, greeter,
# routeguide and ws APIs: how many there are, how many have a status other than 2xx or 101, how many a grpc_status
# other than 0.
access_log_failures() {
    awk '/ access - client=/ && / api=(http|greeter|routeguide|ws) / {
            n++
            if (match($0, / status=[0-9]+/)) {
                s = substr($0, RSTART + 8, RLENGTH - 8)
                if (s !~ /^2/ && s != "101") bad++
            }
            if (match($0, / grpc_status=[0-9]+/) && substr($0, RSTART + 13, RLENGTH - 13) != "0") grpc++
        }
        END { print n + 0, bad + 0, grpc + 0 }' "$1"
}

# ---------------------------------------------------------------------------------------------------
main() {
    command -v java >/dev/null || die "java (17 or later) is needed"
    command -v curl >/dev/null || die "curl is needed"
    command -v ss >/dev/null || die "ss (iproute2) is needed"
    command -v timeout >/dev/null || die "timeout (coreutils) is needed"
    install_missing
    NGINX=$(nginx_bin)
    [[ -n $NGINX ]] || die "nginx not found after install"
    [[ -f $GATEWAY_JAR ]] || die "no $GATEWAY_JAR: build it (mvn -q -pl gateway-server,examples -am -DskipTests package)"
    [[ -f $EXAMPLES_JAR ]] || die "no $EXAMPLES_JAR: build it (mvn -q -pl gateway-server,examples -am -DskipTests package)"

    PORT_U=$(pick_port PORT_U 18140)
    PORT_GRPC=$(pick_port PORT_GRPC 18141 "$PORT_U")
    PORT_WS=$(pick_port PORT_WS 18142 "$PORT_U" "$PORT_GRPC")
    PORT_G=$(pick_port PORT_G 18143 "$PORT_U" "$PORT_GRPC" "$PORT_WS")

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-reload.XXXXXX")
    mkdir -p "$WORK/clients"
    write_grpc_bodies

    log "upstreams: nginx on $PORT_U, gRPC demo servers on $PORT_GRPC, WebSocket echo on $PORT_WS"
    start_upstream
    start_java grpc "$EXAMPLES_GRPC.GrpcDemoServers" --port "$PORT_GRPC"
    start_java ws "$EXAMPLES_WS.WebSocketEchoServer" "$PORT_WS"
    gateway_started "on 127.0.0.1:$PORT_G ($GATEWAY_JAR): http, greeter, routeguide, ws and marker APIs"
    local gw=${PROXY_PID[gateway]} gwlog=$WORK/gateway/gateway.log

    # Each path once before the load: what the load then repeats must work at all.
    local got
    got=$(curl -s -m 5 "http://127.0.0.1:$PORT_G/http/") || true
    [[ $got == "$BODY" ]] || die "GET /http/ through the gateway returned '$got', not '$BODY'"
    grpc_check "$PORT_G" "$WORK/check-grpc" || die "SayHello through the gateway failed (see $WORK/check-grpc.verbose)"
    [[ $(http_status "http://127.0.0.1:$PORT_G/reload-0/") == 200 ]] || die "the marker API /reload-0/ is not served"
    log "GET /http/, SayHello and /reload-0/ answer through the gateway"

    # The long-lived two first: both must be open end to end before the load and the reloads start.
    local limit=$((LOAD_SECONDS + FINISH_SECONDS)) stream_pid ws_pid wrk_pid h2_pid
    background stream timeout -k 5 "$limit" java -cp "$EXAMPLES_JAR" "$EXAMPLES_GRPC.bench.PacedStream" \
        --count "$PACED_MESSAGES" --interval-ms "$PACE_MS" "127.0.0.1:$PORT_G"
    stream_pid=$STARTED_PID
    background websocket timeout -k 5 "$limit" java -cp "$EXAMPLES_JAR" "$EXAMPLES_WS.WsPaced" \
        --count "$PACED_MESSAGES" --interval-ms "$PACE_MS" "ws://127.0.0.1:$PORT_G/ws/paced"
    ws_pid=$STARTED_PID
    wait_until "$READY_SECONDS" "$stream_pid" "the stream client" "$WORK/clients/stream.err" \
        grep -q '^first$' "$WORK/clients/stream.out"
    wait_until "$READY_SECONDS" "$ws_pid" "the WebSocket client" "$WORK/clients/websocket.err" \
        grep -q '^open$' "$WORK/clients/websocket.out"
    # The clock of the run starts here; the paced clients started a JVM's start-up earlier and end about as late.
    log "stream and WebSocket open: $PACED_MESSAGES messages each, one every ${PACE_MS} ms"

    background wrk timeout -k 5 "$limit" wrk --latency -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "${LOAD_SECONDS}s" \
        "http://127.0.0.1:$PORT_G/http/"
    wrk_pid=$STARTED_PID
    background h2load timeout -k 5 "$limit" h2load -D "$LOAD_SECONDS" -c "$H2_CONNECTIONS" -m "$H2_STREAMS" \
        -t "$H2_THREADS" --data="$WORK/request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$PORT_G$GREETER_PATH"
    h2_pid=$STARTED_PID
    log "load for ${LOAD_SECONDS}s: wrk -c $WRK_CONNECTIONS on /http/, h2load -c $H2_CONNECTIONS -m $H2_STREAMS on SayHello;" \
        "first SIGHUP in ${LEAD}s"
    sleep "$LEAD"

    local i
    for ((i = 1; i <= RELOADS; i++)); do
        write_marker "$i"
        if [[ "$RELOAD_VIA" == api ]]; then
            # Tyk's Gateway API, on the same port as the load; block=true answers once this reload is in service.
            curl -fsS -o /dev/null --max-time 30 -H 'x-tyk-authorization: bench-reload-secret' \
                "http://127.0.0.1:$PORT_G/tyk/reload?block=true" || die "GET /tyk/reload failed"
        else
            kill -HUP "$gw"
        fi
        sleep "$INTERVAL"
    done
    log "$RELOADS SIGHUPs sent, ${INTERVAL}s apart; waiting for the load and the clients to end"

    local wrk_status h2_status stream_status ws_status
    finish wrk_status "$wrk_pid"
    finish h2_status "$h2_pid"
    finish stream_status "$stream_pid"
    finish ws_status "$ws_pid"

    # The last SIGHUP's reload may still be running on a busy machine: give it until the log says so.
    local deadline=$((SECONDS + READY_SECONDS)) reloads
    until reloads=$(grep -c ' Gateway - reloaded: ' "$gwlog" || true); ((reloads >= RELOADS)) || ((SECONDS >= deadline)); do
        sleep 0.2
    done
    local failed_reloads marker_now marker_before
    failed_reloads=$(grep -cE 'reload (failed|refused)' "$gwlog" || true)
    marker_now=$(http_status "http://127.0.0.1:$PORT_G/reload-$RELOADS/")
    marker_before=$(http_status "http://127.0.0.1:$PORT_G/reload-$((RELOADS - 1))/")

    # ---- results ----
    local wrk_line wrk_rps wrk_errors wrk_requests h2_line h2_rps h2_done h2_ok h2_problems
    wrk_line=$(parse_wrk "$WORK/clients/wrk.out") || { cat "$WORK/clients/wrk.out" "$WORK/clients/wrk.err" >&2; die "could not parse wrk's output"; }
    read -r wrk_rps _ _ wrk_errors wrk_requests <<<"$wrk_line"
    h2_line=$(parse_h2load "$WORK/clients/h2load.out") || { cat "$WORK/clients/h2load.out" "$WORK/clients/h2load.err" >&2; die "could not parse h2load's output"; }
    read -r h2_rps _ h2_done h2_ok h2_problems <<<"$h2_line"
    local stream_line ws_line
    stream_line=$(grep '^stream ' "$WORK/clients/stream.out" || echo "(no result line)")
    ws_line=$(grep '^websocket ' "$WORK/clients/websocket.out" || echo "(no result line)")

    # The access log: the load's and the clients' exchanges (not the script's own probes of the marker API) that did
    # not end in a 2xx (a 101 for the WebSocket's upgrade), and gRPC calls that did not end with grpc_status 0.
    local logged=- bad_status=- bad_grpc=-
    if ((ACCESS_LOG)); then
        read -r logged bad_status bad_grpc < <(access_log_failures "$gwlog")
    fi
    local durations reload_median reload_max
    durations=$(reload_seconds "$gwlog")
    reload_median=$(median <<<"$durations")
    reload_max=$(sort -g <<<"$durations" | tail -n 1)

    local gateway_problems
    gateway_problems=$(gateway_log_problems)

    # ---- report ----
    local stamp report_dir report failures=0 verdict
    stamp=$(date -u +%Y%m%d-%H%M%S)
    report_dir=$ROOT/bench/results
    report=$report_dir/reload-under-load-$stamp.md
    mkdir -p "$report_dir"
    # verdict OK TEXT: one verdict line; counts what is not met.
    verdict() {
        if [[ $1 == 1 ]]; then
            echo "- $2: met"
        else
            echo "- $2: NOT met"
            failures=$((failures + 1))
        fi
    }
    {
        echo "# Reloads under load"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "- nproc: $(nproc)"
        echo "- java: $(java -version 2>&1 | head -n 1)"
        echo "- wrk: $(wrk -v 2>&1 | head -n 1 || true); h2load: $(h2load --version 2>&1 | head -n 1)"
        echo "- gateway: io_threads $PROXY_THREADS, transport $TRANSPORT, enable_http2, enable_websockets," \
            "access log $( ((ACCESS_LOG)) && echo on || echo off); JAVA_OPTS: ${JAVA_OPTS:-(none)}"
        echo "- reloads: $RELOADS SIGHUPs ${INTERVAL}s apart, the first after ${LEAD}s of load, each after rewriting" \
            "apps/marker.json (listen path /reload-N/); load ${LOAD_SECONDS}s in all"
        echo
        echo "| traffic | what ran | result |"
        echo "| --- | --- | --- |"
        echo "| HTTP/1.1 keep-alive | wrk -t $WRK_THREADS -c $WRK_CONNECTIONS -d ${LOAD_SECONDS}s, GET /http/ to nginx | $wrk_requests requests, $wrk_rps req/s, $wrk_errors socket errors or non-2xx (exit $wrk_status) |"
        echo "| gRPC unary (h2c) | h2load -c $H2_CONNECTIONS -m $H2_STREAMS -D $LOAD_SECONDS, SayHello | $h2_done calls, $h2_rps req/s, $h2_ok 2xx, $h2_problems failed, errored or non-2xx (exit $h2_status) |"
        echo "| gRPC server stream | PacedStream: ListFeatures, $PACED_MESSAGES messages, one per ${PACE_MS} ms | \`$stream_line\` (exit $stream_status) |"
        echo "| WebSocket | WsPaced: $PACED_MESSAGES echoes, one per ${PACE_MS} ms, then a close | \`$ws_line\` (exit $ws_status) |"
        echo
        echo "- gateway log: $reloads \"reloaded:\" lines, $failed_reloads failed or refused; a reload took" \
            "${reload_median}s (median), ${reload_max}s (longest), \"reloading\" to \"reloaded:\""
        ((ACCESS_LOG)) && echo "- access log: $logged exchanges logged, $bad_status not 2xx, $bad_grpc gRPC calls with a grpc_status other than 0"
        echo "- after the last reload: /reload-$RELOADS/ answers $marker_now, /reload-$((RELOADS - 1))/ answers $marker_before"
        echo "- gateway log: $gateway_problems WARN/ERROR lines"
        echo
        echo "## Verdict"
        echo
        verdict "$( ((wrk_status == 0 && wrk_errors == 0)) && echo 1)" "wrk: 0 socket errors and 0 non-2xx ($wrk_errors)"
        verdict "$( ((h2_status == 0 && h2_problems == 0)) && echo 1)" "h2load: 0 failed, errored or non-2xx ($h2_problems)"
        if ((ACCESS_LOG)); then
            verdict "$( ((bad_status == 0 && bad_grpc == 0)) && echo 1)" \
                "access log: every exchange 2xx and every gRPC call grpc_status 0 ($bad_status, $bad_grpc)"
        fi
        verdict "$( ((stream_status == 0)) && echo 1)" "server stream unbroken: every message in order, then OK"
        verdict "$( ((ws_status == 0)) && echo 1)" "WebSocket unbroken: every echo in order, then a clean close"
        verdict "$( ((reloads == RELOADS && failed_reloads == 0)) && echo 1)" \
            "gateway log shows $RELOADS reloads and no failed one ($reloads, $failed_reloads)"
        verdict "$([[ $marker_now == 200 && $marker_before == 404 ]] && echo 1)" \
            "the last reload's routes serve (/reload-$RELOADS/ $marker_now, /reload-$((RELOADS - 1))/ $marker_before)"
        echo
        ((failures == 0)) && echo "**All met.**" || echo "**$failures NOT met.**"
    } | tee "$report"
    log "report written to ${report#"$ROOT"/}"
    for name in stream websocket; do
        [[ -s $WORK/clients/$name.err ]] && log "$name client said: $(head -c 500 "$WORK/clients/$name.err")"
    done
    grep -q '^\*\*All met\.\*\*$' "$report"
}

main "$@"
