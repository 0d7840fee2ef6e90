#!/usr/bin/env bash
# The gateway and obsd under faults, with real processes (issue 11, items
# 4 to 6), on one `up --loopback` stack whose api has a 5 s request
# timeout and whose datastore a 2 s connect and a 1 s statement timeout:
#
# - bodies: one over the service's max_body gets 413 from the gateway
#   (before, 502: nginx took 64m, obsd closed on it at 32 MiB), and
#   neither that nor a 4xx from a service takes a server out of rotation;
# - a frozen PostgreSQL primary (SIGSTOP, bounded, SIGCONT in a trap):
#   requests answer 503 with Retry-After within the request timeout (before,
#   they hung), /healthz of obsd keeps answering while its database calls
#   are stuck, and the supervisor does not restart it;
# - frozen api replicas: nginx gives up after the request timeout and
#   answers 503 with Retry-After (before: 60 s, then 504 or 502);
# - slowloris: 3000 slow TLS connections from one address trickling header
#   lines, while two authenticated clients (one on keep-alive connections,
#   one connecting anew for each request) keep their error rates under 1 %.
#
# Figures (time to 503, error rate) are printed as TAP comments.
. "$(dirname "$0")/../lib.sh"

need_runtime
[ "$(id -u)" -eq 0 ] || skip_all "needs root (every environment runs as a user of its own)"
LOADTEST=${LOADTEST:-$BUILD_DIR/loadtest/loadtest}
[ -x "$LOADTEST" ] || skip_all "$LOADTEST is not built (the authenticated client of the slowloris test)"
exec 9>"/run/lock/provisioner-test-$(basename "$0").lock" && flock 9

chmod 711 "$TEST_DIR"
OUT=$TEST_DIR/out
mkdir -p "$OUT"
frozen=
slow_pid=
fresh_pid=
cleanup() {
	[ -n "$frozen" ] && kill -CONT $frozen 2>/dev/null
	[ -n "$slow_pid" ] && kill "$slow_pid" 2>/dev/null
	[ -n "$fresh_pid" ] && kill "$fresh_pid" 2>/dev/null
	"$PROVISIONER" down gwf-main >/dev/null 2>&1
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT

def=$TEST_DIR/gwf.yaml
cat >"$def" <<EOF
# short timeouts, quick health checks, no automatic failover (a freeze
# here is about answering fast, not about promoting)
extends: $SOURCE_DIR/envs/test.yaml
name: gwf-\${branch}
failover: {automatic: false}
services:
  api:
    replicas: 2
    autoscale: {min: 2, max: 4}
    request_timeout: 5s
    health: {interval: 1s, timeout: 1s, failures: 3}
    ready: {interval: 1s, timeout: 1s, failures: 1}
datastores:
  db: {connect_timeout: 2s, statement_timeout: 1s}
EOF

ok "up stands the stack up (loopback)" \
	"$PROVISIONER" up "$def" --branch main --commit "$COMMIT" --loopback --timeout 90s
"$PROVISIONER" status gwf-main -o json >"$OUT/status.json" 2>/dev/null
url=$(json "$OUT/status.json" 'd["gateway"]["url"]')
ca=$(json "$OUT/status.json" 'd["gateway"]["ca_file"]')
cred="$(json "$OUT/status.json" 'd["gateway"]["username"]'):$(cat "$(json "$OUT/status.json" 'd["gateway"]["password_file"]')")"
envdir=$(json "$OUT/status.json" 'd["dir"]')
gw_host=$(json "$OUT/status.json" 'd["gateway"]["addr"]')
gw_port=$(json "$OUT/status.json" 'd["gateway"]["port"]')
api0_addr=$(json "$OUT/status.json" '[r["address"] for r in d["services"]["api"]["replicas"] if r["name"]=="api-primary-0"][0]')

# post BODY_FILE OUT_PREFIX: "CODE SECONDS" of a POST of a batch through the gateway
post() {
	curl -s -o "$2.body" -D "$2.head" -w '%{http_code} %{time_total}' -m 30 --cacert "$ca" \
		-u "$cred" -H 'Content-Type: application/json' --data-binary @"$1" "$url/v1/observations"
}
batch() {
	printf '[{"id":"%s","station":"GWF","kind":"temp","time":"2026-01-01T00:00:00Z","value":1}]' "$1" \
		>"$OUT/batch-$1.json"
	echo "$OUT/batch-$1.json"
}
region_of() { tr -d '\r' <"$1.head" | sed -n 's/^[Xx]-[Oo]bsd-[Rr]egion: //p'; }

# --- item 5: one body limit ------------------------------------------------------
"$PROVISIONER" show "$def" --branch main --commit "$COMMIT" -o json >"$OUT/model.json"
is "$(json "$OUT/model.json" 'd["services"]["api"]["max_body"]')" "32Mi" "the api's max_body is the model's default, 32Mi"
ok "the gateway's route takes the same limit" grep -q 'client_max_body_size 32m;' "$envdir/gateway/nginx.conf"
ok "and the api is told it" sh -c "tr '\\0' '\\n' </proc/$(json "$OUT/status.json" '[r["pid"] for r in d["services"]["api"]["replicas"] if r["name"]=="api-primary-0"][0]')/environ | grep -qx MAX_BODY_BYTES=33554432"
head -c $((40 << 20)) /dev/zero | tr '\0' ' ' >"$OUT/big.json"
codes=
for i in 1 2; do
	r=$(post "$OUT/big.json" "$OUT/big$i")
	codes="$codes${r%% *} "
done
is "$codes" "413 413 " "a 40 MiB body gets 413 from the gateway, twice (before: 502)"
ok "the 413 is the gateway's (no service answered it)" sh -c "! grep -qi '^x-obsd-region' '$OUT/big1.head'"
head -c $((31 << 20)) /dev/zero | tr '\0' ' ' >"$OUT/under.json"
echo '[' >>"$OUT/under.json"
r=$(post "$OUT/under.json" "$OUT/under")
is "${r%% *}:$(region_of "$OUT/under")" "400:eu-west-1" "a 31 MiB body passes the gateway; the primary region's api says 400 (malformed)"
bad=$(batch "bad"); echo '[{"id":""}]' >"$bad"
r=$(post "$bad" "$OUT/bad1"); r2=$(post "$bad" "$OUT/bad2")
is "${r%% *} ${r2%% *}" "400 400" "invalid batches get the api's 400"
regions=
for i in 1 2 3 4; do
	post "$(batch "after-4xx-$i")" "$OUT/ok$i" >/dev/null
	regions="$regions$(region_of "$OUT/ok$i") "
done
is "$regions" "eu-west-1 eu-west-1 eu-west-1 eu-west-1 " \
	"right after them, the primary region still answers every batch: no 4xx or 413 took a server out"

# --- item 4: a frozen primary database ------------------------------------------------
pm=$(json "$OUT/status.json" 'd["datastores"]["db"]["primary"]["pid"]')
api0_pid=$(json "$OUT/status.json" '[r["pid"] for r in d["services"]["api"]["replicas"] if r["name"]=="api-primary-0"][0]')
r=$(post "$(batch before-freeze)" "$OUT/pre")
is "${r%% *}" "200" "before the freeze a batch is stored"
frozen="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
kill -STOP $frozen
freeze_start=$(date +%s.%N)
# requests that get stuck on the frozen database, more than obsd has connections
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null -m 30 --cacert "$ca" -u "$cred" -H 'Content-Type: application/json' \
		--data-binary @"$(batch "stuck-$i")" "$url/v1/observations" &
done
sleep 0.5
code=$(curl -s -o "$OUT/healthz" -w '%{http_code}' -m 2 "http://$api0_addr/healthz")
is "$code" "200" "obsd's /healthz answers at once while its database calls are stuck"
r=$(post "$(batch during-freeze)" "$OUT/frz")
t_post=${r#* }
is "${r%% *}" "503" "a batch during the freeze gets 503"
ok "with Retry-After" grep -qi '^retry-after: [0-9]' "$OUT/frz.head"
ok "within the request timeout of 5 s (took ${t_post} s)" python3 -c "import sys; sys.exit(not $t_post < 5.0)"
r=$(curl -s -o /dev/null -D "$OUT/frzq.head" -w '%{http_code} %{time_total}' -m 30 --cacert "$ca" -u "$cred" "$url/v1/observations?station=GWF")
t_get=${r#* }
is "${r%% *}" "503" "a query during the freeze gets 503 (took ${t_get} s)"
ok "with Retry-After, within 5 s" sh -c "grep -qi '^retry-after: [0-9]' '$OUT/frzq.head' && python3 -c 'import sys; sys.exit(not $t_get < 5.0)'"
wait
# the health checks (1 s apart, 3 failures) have had time to kill it by now
while python3 -c "import sys,time; sys.exit(not time.time() - $freeze_start < 5)"; do sleep 0.2; done
code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://$api0_addr/healthz")
is "$code" "200" "5 s into the freeze /healthz still answers"
"$PROVISIONER" status gwf-main -o json >"$OUT/s-frz.json" 2>/dev/null
is "$(json "$OUT/s-frz.json" '[r["pid"] for r in d["services"]["api"]["replicas"] if r["name"]=="api-primary-0"][0]')" \
	"$api0_pid" "the supervisor did not restart the api for its database's sake"
kill -CONT $frozen
frozen=
echo "# time to 503 during a freeze: POST ${t_post} s, GET ${t_get} s (request_timeout 5s)"
code=000
for i in $(seq 1 20); do
	r=$(post "$(batch after-freeze)" "$OUT/post-frz")
	code=${r%% *}
	[ "$code" = 200 ] && break
	sleep 0.5
done
is "$code" "200" "after SIGCONT batches are stored again"

# --- item 4: frozen api replicas: the gateway's own timeout ---------------------------
"$PROVISIONER" status gwf-main -o json >"$OUT/s-api.json" 2>/dev/null
apis=$(json "$OUT/s-api.json" '" ".join(str(r["pid"]) for r in d["services"]["api"]["replicas"])')
frozen=$apis
kill -STOP $frozen
r=$(post "$(batch api-frozen)" "$OUT/apifrz")
kill -CONT $frozen 2>/dev/null
frozen=
t_gw=${r#* }
is "${r%% *}" "503" "with every api replica frozen, the gateway answers 503 (took ${t_gw} s; before: 60 s)"
ok "with Retry-After" grep -qi '^retry-after: 1' "$OUT/apifrz.head"
ok "within the request timeout and a second" python3 -c "import sys; sys.exit(not $t_gw < 6.0)"
echo "# time to 503 with the api frozen: ${t_gw} s"
ok "the stack is healthy again" "$PROVISIONER" status gwf-main --wait --timeout 60s

# --- item 6: slowloris ------------------------------------------------------------------
gw_pid=$(cat "$envdir/gateway/nginx.pid")
# 2 workers of nginx's old 1024 connections each were taken by about 2040
slow_conns=${GWF_SLOW_CONNS:-3000}
cat >"$OUT/lt.yaml" <<'EOF'
scenarios:
  query:
    model: open
    rate: 20r/s
    duration: 20s
    connections: 4
    timeout: 5s
    request:
      path: /v1/observations?station=GWF&limit=1
EOF
python3 "$SOURCE_DIR/tests/tools/slow-clients.py" "$gw_host" "$gw_port" --src 127.0.0.3 --tls \
	--conns "$slow_conns" --seconds 35 --every 1 --max-opens 60000 --ready "$OUT/slow.ready" \
	>"$OUT/slow.json" 2>"$OUT/slow.err" &
slow_pid=$!
for _ in $(seq 1 200); do [ -e "$OUT/slow.ready" ] && break; sleep 0.1; done
# two authenticated clients: loadtest on keep-alive connections, and one
# that connects anew for each request (most real clients do)
python3 "$SOURCE_DIR/tests/tools/auth-client.py" "$url/v1/observations?station=GWF&limit=1" \
	--ca "$ca" --user "${cred%%:*}" --password-file "$(json "$OUT/status.json" 'd["gateway"]["password_file"]')" \
	--rate 10 --seconds 25 --threads 4 --timeout 5 >"$OUT/fresh.json" 2>"$OUT/fresh.err" &
fresh_pid=$!
PROVISIONER=$PROVISIONER "$LOADTEST" run "$OUT/lt.yaml" --env gwf-main --no-progress \
	--json "$OUT/lt.json" >"$OUT/lt.out" 2>&1
wait "$fresh_pid"
fresh_pid=
wait "$slow_pid"
slow_pid=
ok "the slow client held $slow_conns connections from one address at once" \
	python3 -c "import json,sys; d=json.load(open('$OUT/slow.json')); print(d); sys.exit(not d['open_max'] >= $slow_conns)"
requests=$(json "$OUT/lt.json" 'd["requests"] + d["errors"]["connect"] + d["errors"]["timeout"] + d["dropped"]')
errors=$(json "$OUT/lt.json" 'd["errors"]["total"] + d["dropped"]')
rate=$(json "$OUT/lt.json" 'round(100 * d["error_rate"], 2)')
echo "# under the slowloris flood, keep-alive client (loadtest): $errors errors in $requests requests ($rate %)"
echo "# a new connection per request: $(cat "$OUT/fresh.json" "$OUT/fresh.err")"
echo "# slow client: $(cat "$OUT/slow.json")"
ok "the keep-alive client sent its requests ($requests)" test "$requests" -ge 300
ok "and its error rate stayed under 1 % ($rate %)" \
	python3 -c "import json,sys; d=json.load(open('$OUT/lt.json')); sys.exit(not d['error_rate'] < 0.01)"
ok "the client connecting anew kept its error rate under 1 % too" \
	python3 -c "import json,sys; d=json.load(open('$OUT/fresh.json')); sys.exit(not (d['requests'] >= 250 and d['error_rate'] < 0.01))"
"$PROVISIONER" status gwf-main -o json >"$OUT/s-after.json" 2>/dev/null
is "$(json "$OUT/s-after.json" 'd["gateway"]["healthy"]')" "True" "the gateway stayed healthy"
is "$(cat "$envdir/gateway/nginx.pid")" "$gw_pid" "and nginx was not restarted"

ok "down removes it" "$PROVISIONER" down gwf-main
done_testing
