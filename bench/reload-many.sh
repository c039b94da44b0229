#!/usr/bin/env bash
# How long a reload takes with many APIs (issue 17): APIS keyless API definitions spread over PORTS listening ports,
# reloaded ROUNDS times through Tyk's Gateway API (GET /tyk/reload?block=true, which answers once the new snapshot is
# in service), once with nothing changed and once with one definition changed before each reload. Prints the
# median and the largest, and the verdict against the target: a reload of 1,000 APIs on 50 ports in under 1 s.
#
#   bench/reload-many.sh                     # 1000 APIs on 50 ports, 7 reloads each way
#   APIS=200 PORTS=10 ROUNDS=3 bench/reload-many.sh
#
# Environment (defaults in brackets):
#   APIS [1000]  PORTS [50]  ROUNDS [7]  PORT_BASE [19000]: the ports are PORT_BASE .. PORT_BASE+PORTS-1, the gateway's
#   own PORT_BASE-1   PROXY_THREADS [2]  TRANSPORT [auto]  JAVA_OPTS
#   GATEWAY_JAR [gateway-server/target/gateway.jar]  KEEP_TMP [0]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APIS=${APIS:-1000}
PORTS=${PORTS:-50}
ROUNDS=${ROUNDS:-7}
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
for ((p = GW_PORT; p < PORT_BASE + PORTS; p++)); do
    port_free "$p" || die "port $p is busy (set PORT_BASE)"
done

mkdir -p "$WORK/apps"
cat >"$WORK/tyk.conf" <<JSON
{"listen_port": $GW_PORT, "app_path": "apps/", "secret": "$SECRET", "io_threads": $PROXY_THREADS,
 "transport": "$TRANSPORT", "disable_ports_whitelist": true}
JSON
write_api() {
    local i=$1 marker=${2:-}
    cat >"$WORK/apps/api-$i.json" <<JSON
{"api_id": "api-$i", "name": "API $i$marker", "use_keyless": true, "listen_port": $((PORT_BASE + i % PORTS)),
 "proxy": {"listen_path": "/api-$i/", "target_url": "http://127.0.0.1:9/", "strip_listen_path": true}}
JSON
}
for ((i = 0; i < APIS; i++)); do
    write_api "$i"
done

launch_gateway "$WORK"
gw=$STARTED_PID
wait_until 120 "$gw" gateway "$WORK/gateway.log" http_ok "http://127.0.0.1:$GW_PORT/hello"
log "gateway up with $APIS APIs on $PORTS ports (+ its own $GW_PORT)"

reload() {
    curl -fsS -o /dev/null -w '%{time_total}\n' --max-time 60 -H "x-tyk-authorization: $SECRET" \
        "http://127.0.0.1:$GW_PORT/tyk/reload?block=true"
}
# The JIT's first compiles of the loader: two reloads not counted.
reload >/dev/null
reload >/dev/null
: >"$WORK/unchanged.txt"
: >"$WORK/one-changed.txt"
for ((r = 0; r < ROUNDS; r++)); do
    reload >>"$WORK/unchanged.txt"
    write_api $((r % APIS)) " (changed $r)"
    reload >>"$WORK/one-changed.txt"
done
# Routed, to an upstream nobody listens on: 502 (a 404 would mean the route is missing).
last=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT_BASE + (APIS - 1) % PORTS))/api-$((APIS - 1))/")
[[ $last == 502 ]] || die "the last API answered $last after the reloads, not 502"

report() {
    local name=$1 file=$2 med max
    med=$(median <"$file")
    max=$(sort -g "$file" | tail -n 1)
    printf '%-28s median %6.3f s   max %6.3f s   %s\n' "$name" "$med" "$max" \
        "$(awk -v m="$med" 'BEGIN { print (m < 1.0) ? "target < 1 s: met" : "target < 1 s: NOT met" }')"
}
echo
echo "reload of $APIS APIs on $PORTS ports ($ROUNDS each way, GET /tyk/reload?block=true):"
report "nothing changed" "$WORK/unchanged.txt"
report "one API changed" "$WORK/one-changed.txt"
grep -c ' Gateway - reloaded: ' "$WORK/gateway.log" | xargs printf 'reloads logged: %s\n'
