#!/usr/bin/env bash
# How long a reload takes with many APIs (issue 17): APIS keyless API definitions spread over PORTS listening ports,
# reloaded ROUNDS times through Tyk's Gateway API (GET /tyk/reload?block=true, which answers once the new snapshot is
# in service) in each of three cases: every definition rewritten (every API compiled: the full reload), nothing
# changed, and one definition changed. Prints each case's median and largest, against the target of a reload of
# 1,000 APIs on 50 ports in under 1 s; and, from the gateway's "reloaded:" lines, how long each case spent compiling
# (after the files were read and parsed) and how many APIs it compiled, beside one API's compile (the full reload's
# compile over APIS), for the second target: a reload that changes one API costs no more than that API's compile.
# Then the targeted reload, which reads only the files it is told changed: the gateway again with watch_config_folders
# on, one definition rewritten a round, its reload's CPU (reading and compiling) taken from its "reloaded:" line; and
# the same in a second gateway, interleaved, with that one API alone (the others deleted), which is that API's
# compile: the ratio of the two says what the other APIS-1 cost a reload that does not touch them.
#
#   bench/reload-many.sh                     # 1000 APIs on 50 ports, 7 rounds of the three cases
#   APIS=200 PORTS=10 ROUNDS=3 bench/reload-many.sh
#
# Environment (defaults in brackets):
#   APIS [1000]  PORTS [50]  ROUNDS [7]  PORT_BASE [19000]: the ports are PORT_BASE .. PORT_BASE+PORTS-1, the
#   gateway's own PORT_BASE-1 (and the targeted case's second gateway the next PORTS+1)
#   WATCH_ROUNDS [50]  WATCH_WARMUP [50]  SETTLE_MS [50]: the targeted case's rounds, and the watch's settle time
#   PROXY_THREADS [2]  TRANSPORT [auto]  JAVA_OPTS
#   GATEWAY_JAR [gateway-server/target/gateway.jar]  KEEP_TMP [0]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APIS=${APIS:-1000}
PORTS=${PORTS:-50}
ROUNDS=${ROUNDS:-7}
WATCH_ROUNDS=${WATCH_ROUNDS:-50}
WATCH_WARMUP=${WATCH_WARMUP:-50}
SETTLE_MS=${SETTLE_MS:-50}
PORT_BASE=${PORT_BASE:-19000}
PROXY_THREADS=${PROXY_THREADS:-2}
TRANSPORT=${TRANSPORT:-auto}
KEEP_TMP=${KEEP_TMP:-0}
GATEWAY_JAR=${GATEWAY_JAR:-$ROOT/gateway-server/target/gateway.jar}
PROXY_CPUS=""
SKIP_GATEWAY=0
SECRET=bench-reload-many

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

[[ -f $GATEWAY_JAR ]] || (cd "$ROOT" && mvn -B -ntp -q package -pl gateway-server -am -DskipTests -Dfuzz.skip=true)
WORK=$(mktemp -d)
GW_PORT=$((PORT_BASE - 1))
# The second gateway of the targeted case: its own port, then its APIs' ports.
GW2_PORT=$((PORT_BASE + PORTS))
PORT_BASE2=$((GW2_PORT + 1))
for ((p = GW_PORT; p < PORT_BASE2 + PORTS; p++)); do
    port_free "$p" || die "port $p is busy (set PORT_BASE)"
done

# write_conf DIR GATEWAY_PORT WATCH: DIR/tyk.conf, with watch_config_folders on when WATCH is true.
write_conf() {
    mkdir -p "$1/apps"
    cat >"$1/tyk.conf" <<JSON
{"listen_port": $2, "app_path": "apps/", "secret": "$SECRET", "io_threads": $PROXY_THREADS,
 "transport": "$TRANSPORT", "disable_ports_whitelist": true,
 "watch_config_folders": {"enabled": $3, "settle_ms": $SETTLE_MS}}
JSON
}
write_conf "$WORK" "$GW_PORT" false
# write_api I [MARKER] [DIR] [BASE]: DIR/apps/api-I.json (DIR: $WORK), listening on BASE + I % PORTS (BASE:
# PORT_BASE). printf is a builtin: no process per file, so rewriting every definition takes milliseconds, not seconds.
write_api() {
    local i=$1 marker=${2:-} dir=${3:-$WORK} base=${4:-$PORT_BASE}
    printf '{"api_id": "api-%d", "name": "API %d%s", "use_keyless": true, "listen_port": %d,\n %s}\n' "$i" "$i" \
        "$marker" $((base + i % PORTS)) \
        "\"proxy\": {\"listen_path\": \"/api-$i/\", \"target_url\": \"http://127.0.0.1:9/\", \"strip_listen_path\": true}" \
        >"$dir/apps/api-$i.json"
}
# write_all MARKER [DIR] [BASE]
write_all() {
    local i
    for ((i = 0; i < APIS; i++)); do
        write_api "$i" "$1" "${2:-$WORK}" "${3:-$PORT_BASE}"
    done
}
write_all ""

launch_gateway "$WORK"
gw=$STARTED_PID
wait_until 120 "$gw" gateway "$WORK/gateway.log" http_ok "http://127.0.0.1:$GW_PORT/hello"
log "gateway up with $APIS APIs on $PORTS ports (+ its own $GW_PORT)"

reload() {
    curl -fsS -o /dev/null -w '%{time_total}\n' --max-time 60 -H "x-tyk-authorization: $SECRET" \
        "http://127.0.0.1:$GW_PORT/tyk/reload?block=true"
}
# compiled EXPECTED: the compile figures of the reload just answered, from its "reloaded:" line ("... (read R ms, CPU
# r ms; compiled N, kept K: C ms, CPU c ms)"), as "C c N"; N must be EXPECTED. The line is logged before the reload
# answers.
compiled() {
    local line
    line=$(grep ' Gateway - reloaded: ' "$WORK/gateway.log" | tail -n 1)
    [[ $line =~ compiled\ ([0-9]+),\ kept\ [0-9]+:\ ([0-9.]+)\ ms,\ CPU\ ([-0-9.]+)\ ms ]] \
        || die "no compile figures in: $line"
    [[ ${BASH_REMATCH[1]} == "$1" ]] || die "the reload compiled ${BASH_REMATCH[1]} APIs, not $1: $line"
    echo "${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[1]}"
}
# The JIT's first compiles of the loader, the compiler and the path that keeps what did not change: two full reloads
# and two unchanged ones, not counted.
for warm in 1 2; do
    write_all " (warm-up $warm)"
    reload >/dev/null
    reload >/dev/null
done
for f in all unchanged one; do
    : >"$WORK/$f.txt"
    : >"$WORK/$f-compile.txt"
done
for ((r = 0; r < ROUNDS; r++)); do
    write_all " (round $r)"
    reload >>"$WORK/all.txt"
    compiled "$APIS" >>"$WORK/all-compile.txt"
    reload >>"$WORK/unchanged.txt"
    compiled 0 >>"$WORK/unchanged-compile.txt"
    write_api $((r % APIS)) " (changed $r)"
    reload >>"$WORK/one.txt"
    compiled 1 >>"$WORK/one-compile.txt"
done
# Routed, to an upstream nobody listens on: 502 (a 404 would mean the route is missing).
last=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT_BASE + (APIS - 1) % PORTS))/api-$((APIS - 1))/")
[[ $last == 502 ]] || die "the last API answered $last after the reloads, not 502"

report() {
    local name=$1 file=$2 med max
    med=$(median <"$file")
    max=$(sort -g "$file" | tail -n 1)
    printf '%-18s median %6.3f s   max %6.3f s   %-21s   compiled %4s: median %8.3f ms, CPU %8.3f ms\n' "$name" \
        "$med" "$max" "$(awk -v m="$med" 'BEGIN { print (m < 1.0) ? "target < 1 s: met" : "target < 1 s: NOT met" }')" \
        "$(col "$WORK/$3-compile.txt" 3 | head -n 1)" "$(col "$WORK/$3-compile.txt" 1 | median)" \
        "$(col "$WORK/$3-compile.txt" 2 | median)"
}
echo
echo "reload of $APIS APIs on $PORTS ports ($ROUNDS of each, GET /tyk/reload?block=true; compiled: after reading, from the log):"
report "every API changed" "$WORK/all.txt" all
report "nothing changed" "$WORK/unchanged.txt" unchanged
report "one API changed" "$WORK/one.txt" one
# The second target, in the reloading thread's CPU time (the wall time on a shared machine is mostly waiting): one
# API's compile is the full reload's over APIS; a reload with nothing changed costs what telling every unchanged API
# from a changed one costs; a reload with one change should cost that plus one API's compile.
awk -v full="$(col "$WORK/all-compile.txt" 2 | median)" -v none="$(col "$WORK/unchanged-compile.txt" 2 | median)" \
    -v one="$(col "$WORK/one-compile.txt" 2 | median)" -v n="$APIS" 'BEGIN {
    api = full / n
    printf "one API'"'"'s compile (every API changed / %d): %.3f ms of CPU\n", n, api
    printf "one API changed: %.3f ms of CPU = %.1f APIs'"'"' compiles; less nothing changed'"'"'s %.3f ms (keeping %d APIs):" \
        " %.3f ms = %.1f APIs'"'"' compiles\n", one, one / api, none, n, one - none, (one - none) / api
}'
grep -c ' Gateway - reloaded: ' "$WORK/gateway.log" | xargs printf 'reloads logged: %s\n'

# The targeted reload, through the folder watch: two gateways side by side, "many" serving the APIS definitions and
# "alone" only api-0.json. Both read the same APIS files at their start, so that both have the same history of JIT
# compiles; then all but api-0.json are deleted from alone's folder (and every file rewritten in many's), and the
# watch's reloads of that are awaited. Each round rewrites api-0.json in one folder, then in the other, and waits for
# each gateway's reload of it.
kill -TERM "$gw"
wait "$gw" || true
forget_pid "$gw"
write_conf "$WORK/many" "$GW_PORT" true
write_all "" "$WORK/many" "$PORT_BASE"
write_conf "$WORK/alone" "$GW2_PORT" true
write_all "" "$WORK/alone" "$PORT_BASE2"
launch_gateway "$WORK/many"
many=$STARTED_PID
launch_gateway "$WORK/alone"
alone=$STARTED_PID
wait_until 120 "$many" gateway "$WORK/many/gateway.log" http_ok "http://127.0.0.1:$GW_PORT/hello"
wait_until 120 "$alone" gateway "$WORK/alone/gateway.log" http_ok "http://127.0.0.1:$GW2_PORT/hello"
# settled NAME: waits until NAME's gateway has logged no reload for a second.
settled() {
    local count last=-1 quiet=0
    while ((quiet < 10)); do
        count=$(grep -c ' Gateway - reloaded: ' "$WORK/$1/gateway.log" || true)
        if ((count == last)); then quiet=$((quiet + 1)); else quiet=0; last=$count; fi
        sleep 0.1
    done
}
# The same bulk change through the targeted path in both, so that its code is as warm in one as in the other: alone
# loses every file but api-0.json, many has every file rewritten.
find "$WORK/alone/apps" -name 'api-*.json' ! -name 'api-0.json' -delete
write_all " (bulk)" "$WORK/many" "$PORT_BASE"
alone_left() { grep ' Gateway - reloaded: ' "$WORK/alone/gateway.log" | tail -n 1 | grep -q 'reloaded: 1 APIs'; }
wait_until 60 "$alone" gateway "$WORK/alone/gateway.log" alone_left
settled alone
settled many
# watched NAME BASE ROUND: rewrites api-0.json in $WORK/NAME and waits for that gateway's targeted reload of it; from
# the ROUND 0 on, the reload's "read r" and "compiled c" CPU figures go to $WORK/NAME-watch.txt as "r c".
watched() {
    local name=$1 base=$2 round=$3 before line deadline
    before=$(grep -c 'read only \[' "$WORK/$name/gateway.log" || true)
    write_api 0 " (watched $round)" "$WORK/$name" "$base"
    deadline=$((SECONDS + 20))
    until (($(grep -c 'read only \[' "$WORK/$name/gateway.log" || true) > before)); do
        ((SECONDS < deadline)) || die "$name: no targeted reload of api-0.json within 20 s"
        sleep 0.02
    done
    line=$(grep 'read only \[' "$WORK/$name/gateway.log" | tail -n 1)
    local figures='read [0-9.]+ ms, CPU ([-0-9.]+) ms; compiled 1, kept [0-9]+: [0-9.]+ ms, CPU ([-0-9.]+) ms'
    [[ $line =~ $figures ]] || die "$name: not one API compiled by the targeted reload: $line"
    ((round < 0)) || echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" >>"$WORK/$name-watch.txt"
}
: >"$WORK/many-watch.txt"
: >"$WORK/alone-watch.txt"
for ((r = -WATCH_WARMUP; r < WATCH_ROUNDS; r++)); do
    watched many "$PORT_BASE" "$r"
    watched alone "$PORT_BASE2" "$r"
done
awk '{ print $1 + $2 }' "$WORK/many-watch.txt" >"$WORK/many-total.txt"
awk '{ print $1 + $2 }' "$WORK/alone-watch.txt" >"$WORK/alone-total.txt"
echo
echo "targeted reload (watch_config_folders, settle ${SETTLE_MS} ms), one definition rewritten, $WATCH_ROUNDS rounds;" \
    "the reloading thread's CPU, median:"
awk -v mr="$(col "$WORK/many-watch.txt" 1 | median)" -v mc="$(col "$WORK/many-watch.txt" 2 | median)" \
    -v mt="$(median <"$WORK/many-total.txt")" -v ar="$(col "$WORK/alone-watch.txt" 1 | median)" \
    -v ac="$(col "$WORK/alone-watch.txt" 2 | median)" -v at="$(median <"$WORK/alone-total.txt")" \
    -v n="$APIS" 'BEGIN {
    printf "among %d APIs:   read %.3f ms, compile and apply %.3f ms, total %.3f ms\n", n, mr, mc, mt
    printf "that API alone: read %.3f ms, compile and apply %.3f ms, total %.3f ms (that API'"'"'s compile)\n", \
        ar, ac, at
    printf "ratio %.2f (target: no more than that API'"'"'s compile; %s)\n", mt / at, \
        (mt <= at * 1.10) ? "met, within 10%" : "NOT met"
}'
