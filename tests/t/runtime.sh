#!/usr/bin/env bash
# The local runtime end to end, with real processes: `up` a two-region
# stack (PostgreSQL primary + streaming replica, obsd replicas, nginx with
# TLS and basic auth), ingest and query through the gateway, load it with
# loadtest --env (its reports fall under the secret canary), kill an api
# replica and watch it come back, take the primary region off the network
# and watch writes continue after automatic failover, `down`, and check
# that no process, namespace, link, nftables table or file is left. Then
# the failures: a port in use, a service that never becomes healthy, a
# missing package; and the secret canary over everything written.
. "$(dirname "$0")/../lib.sh"

need_runtime
[ "$(id -u)" -eq 0 ] || skip_all "needs root (namespaces, and every environment runs as a user of its own)"
# One run of this script at a time on a machine (two checkouts testing at
# once): its environments' names, namespaces and links are machine-wide.
exec 9>"/run/lock/provisioner-test-$(basename "$0").lock" && flock 9

# PostgreSQL and the services run as other users: they must reach the state dir
chmod 711 "$TEST_DIR"
OUT=$TEST_DIR/out
mkdir -p "$OUT"

cleanup_envs() {
	local n
	for n in rt-main rt-port rt-sick rt-pkg rt-intr ${long:-}; do
		"$PROVISIONER" down "$n" >/dev/null 2>&1
	done
	[ -d "$TEST_DIR/nobody/state" ] && (cd / && runuser -u nobody -- env \
		PROVISIONER_STATE_DIR="$TEST_DIR/nobody/state" "$PROVISIONER" down rt-nobody >/dev/null 2>&1)
}
trap 'cleanup_envs; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT

def=$TEST_DIR/rt.yaml
cat >"$def" <<EOF
# the test environment, with short health intervals and a 2 s failover threshold
extends: $SOURCE_DIR/envs/test.yaml
name: rt-\${branch}
failover: {automatic: true, after: 2s}
services:
  api:
    replicas: 2
    autoscale: {min: 2, max: 4}
    health: {interval: 1s, timeout: 1s, failures: 2}
    ready: {interval: 1s, timeout: 1s, failures: 1}
EOF

# --- up ---------------------------------------------------------------------
ok "up stands the stack up" "$PROVISIONER" up "$def" --branch main --commit "$COMMIT" -o json --timeout 60s
cp "$TEST_DIR/.out" "$OUT/up.json"
"$PROVISIONER" status rt-main -o json >"$OUT/status.json" 2>"$OUT/status.err"
is "$(json "$OUT/status.json" 'd["state"]')" "running" "status says running"
is "$(json "$OUT/status.json" 'd["mode"]')" "netns" "as root it uses network namespaces"
url=$(json "$OUT/status.json" 'd["gateway"]["url"]')
ca=$(json "$OUT/status.json" 'd["gateway"]["ca_file"]')
user=$(json "$OUT/status.json" 'd["gateway"]["username"]')
pwfile=$(json "$OUT/status.json" 'd["gateway"]["password_file"]')
is "$(stat -c %a "$pwfile")" "600" "the credentials file is mode 0600"
is "$(json "$OUT/status.json" 'len(d["services"]["api"]["replicas"])')" "4" "2 api replicas in each of 2 regions"
is "$(json "$OUT/status.json" 'all(r["healthy"] for r in d["services"]["api"]["replicas"])')" "True" "every api replica is healthy"
is "$(json "$OUT/status.json" 'd["datastores"]["db"]["primary"]["name"]')" "db-primary" "db's primary is db-primary"
is "$(json "$OUT/status.json" 'd["datastores"]["db"]["replicas"][0]["healthy"]')" "True" "the replica is streaming"
envdir=$(json "$OUT/status.json" 'd["dir"]')
# the replica once started before the primary made the replication role
ok "a healthy stack's database logs hold no FATAL" sh -c "! grep -H FATAL '$envdir'/logs/db-*.log"
is "$(json "$OUT/status.json" 'd["format"]')" "provisioner-status/2" "status -o json says what it is"
ok "up said how far from healthy it was, a line each time off a terminal" \
	grep -qE '^up [0-9.]+ s: waiting: [0-9]+/[0-9]+ healthy' "$OUT/up.json"
"$PROVISIONER" status rt-main --wait --timeout 30s >"$OUT/wait.out" 2>&1
is "$?:$(grep -c '^environment rt-main: running' "$OUT/wait.out")" "0:1" "status --wait on a healthy stack exits 0"
state_json=$envdir/state.json
idx=$(json "$state_json" 'd["index"]')
ok "service names resolve inside a region's namespace" \
	ip netns exec pv-rt-main-secondary getent hosts db-primary
ok "namespaces have no route out of the environment" \
	sh -c "! ip netns exec pv-rt-main-primary ip route get 1.1.1.1"

pw=$(cat "$pwfile")
cred="$user:$pw"
batch='[{"id":"t-1","station":"ST1","kind":"temp","time":"2026-01-01T00:00:00Z","value":1.5},
        {"id":"t-2","station":"ST1","kind":"temp","time":"2026-01-01T00:01:00Z","value":2.5}]'
code=$(curl -s -o "$OUT/post1" -w '%{http_code}' --cacert "$ca" -u "$cred" -H 'Content-Type: application/json' --data-binary "$batch" "$url/v1/observations")
is "$code" "200" "a batch goes in through the gateway over TLS with basic auth"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url/v1/observations?station=ST1")
is "$code" "401" "without credentials the gateway answers 401"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -u "$user:wrong" "$url/v1/observations?station=ST1")
is "$code" "401" "a wrong password gets 401"
curl -s --cacert "$ca" -u "$cred" "$url/v1/observations?station=ST1" >"$OUT/q1"
is "$(json "$OUT/q1" 'len(d["observations"])')" "2" "the query through the gateway returns the batch"
"$PROVISIONER" logs rt-main gateway --lines 100 >"$OUT/gw.logs" 2>&1
ok "logs ENV gateway shows nginx's access log, prefixed" \
	grep -q '^gateway-access *| .*"GET /v1/observations HTTP/1.1" 200 ' "$OUT/gw.logs"

# --- load through the gateway: target, CA and credentials from status -----------
LOADTEST=${LOADTEST:-$BUILD_DIR/loadtest/loadtest}
if [ -x "$LOADTEST" ]; then
	PROVISIONER=$PROVISIONER "$LOADTEST" run "$SOURCE_DIR/loadtest/smoke.yaml" --env rt-main --no-progress \
		--json "$OUT/lt.json" --tap "$OUT/lt.tap" --junit "$OUT/lt.xml" --html "$OUT/lt.html" >"$OUT/lt.out" 2>&1
	rc=$?
	# This checks that --env finds target, CA and credentials: every request
	# answered, none failed. The smoke scenario's latency bound is for a
	# release build on a quiet machine, not for sanitizer builds sharing two
	# cores with the other tests, so a latency threshold alone may fail here.
	is "$rc:$(json "$OUT/lt.json" 'd["requests"] >= 140 and d["errors"]["total"] == 0 and all(t["ok"] or t["expr"].startswith("p(") for t in d["thresholds"])')" \
		"$([ "$rc" = 1 ] && echo 1 || echo 0):True" \
		"loadtest --env: the smoke scenario through the gateway (TLS, basic auth), every request answered" ||
		sed 's/^/#   /' "$OUT/lt.out" | tail -30
else
	skip "$LOADTEST is not built" "loadtest --env"
fi

# --- an api replica dies and comes back ----------------------------------------
victim=$(json "$OUT/status.json" '[r for r in d["services"]["api"]["replicas"] if r["name"]=="api-primary-0"][0]["pid"]')
kill -KILL "$victim"
back=
for _ in $(seq 1 100); do
	"$PROVISIONER" status rt-main -o json >"$OUT/s2.json" 2>/dev/null
	r=$(json "$OUT/s2.json" '[(r["pid"],r["healthy"]) for r in d["services"]["api"]["replicas"] if r["name"]=="api-primary-0"][0]')
	case "$r" in "($victim, "*) ;; *", True)") back=$r; break ;; esac
	sleep 0.1
done
ok "a killed api replica is restarted and healthy again ($back)" test -n "$back"

# --- the primary region goes away: automatic failover -----------------------------
veth=$(json "$state_json" '[n["veth"] for n in d["net"]["namespaces"] if n["region"]=="primary"][0]')
ip link set "$veth" down
promoted=
for _ in $(seq 1 150); do
	"$PROVISIONER" status rt-main -o json >"$OUT/s3.json" 2>/dev/null
	[ "$(json "$OUT/s3.json" 'd["datastores"]["db"]["primary"]["name"]')" = db-replica ] && { promoted=1; break; }
	sleep 0.1
done
ok "after the primary region is unreachable for 2 s the replica is promoted" test -n "$promoted"
batch2='[{"id":"t-3","station":"ST1","kind":"temp","time":"2026-01-01T00:02:00Z","value":3.5}]'
code=000
for _ in $(seq 1 50); do
	code=$(curl -s -o "$OUT/post2" -D "$OUT/post2.h" -w '%{http_code}' --max-time 5 --cacert "$ca" -u "$cred" -H 'Content-Type: application/json' --data-binary "$batch2" "$url/v1/observations")
	[ "$code" = 200 ] && break
	sleep 0.2
done
is "$code" "200" "writes continue through the gateway after failover"
ok "the secondary region answered" grep -qi '^x-obsd-region: eu-central-1' "$OUT/post2.h"
# a 503 with Retry-After while the api's connections move to the new primary is
# the gateway doing its job: retry as a client would
for _ in $(seq 1 25); do
	code=$(curl -s -o "$OUT/q2" -w '%{http_code}' --max-time 5 --cacert "$ca" -u "$cred" "$url/v1/observations?station=ST1")
	[ "$code" = 200 ] && break
	sleep 0.2
done
is "$(json "$OUT/q2" 'len(d["observations"])')" "3" "nothing written before the failover was lost"
ok "the failover is in the events" grep -q '"event":"promoted"' "$envdir/events.log"
ip link set "$veth" up

# --- the secret canary, over everything written and printed ---------------------
# every generated secret: passwords, tokens and the services' injected secrets (not the PEM keys)
secrets=$(for f in "$envdir"/secrets/*; do case $f in *.key) ;; *) cat "$f" ;; esac; done)
cp "$state_json" "$envdir/runtime.json" "$envdir/events.log" "$OUT/"
ok "down removes it" "$PROVISIONER" down rt-main --keep-logs
canary_hits=0
for s in $secrets; do
	if grep -rqF -- "$s" "$OUT" "$PROVISIONER_STATE_DIR/logs" 2>/dev/null; then
		canary_hits=$((canary_hits + 1))
	fi
done
is "$canary_hits" "0" "no password in logs, state, events or any output ($(echo "$secrets" | wc -w) checked)"

# --- nothing left ---------------------------------------------------------------
left=$(grep -l "PROVISIONER_ENV=rt-main" /proc/[0-9]*/environ 2>/dev/null | wc -l)
is "$left" "0" "no process of the environment is left"
is "$(ip netns list | grep -c '^pv-rt-main-')" "0" "no namespace is left"
is "$(ip -o link show | grep -c "pv${idx}[nb]")" "0" "no link is left"
is "$(nft list tables 2>/dev/null | grep -c "pv_${idx}\$")" "0" "no nftables table is left"
ok "no directory is left" test ! -e "$envdir" -a ! -e "$PROVISIONER_STATE_DIR/run/$idx"
ok "no /etc/netns entry is left" sh -c "! ls -d /etc/netns/pv-rt-main-* 2>/dev/null"

# --- a long branch name: the environment name is the 63 characters DNS allows ---
# (the CA's subject once held "provisioner CA for <name>", over X.509's 64)
long_branch=feature/JIRA-1234-login-page-with-sso-and-a-very-long-description
long=$("$PROVISIONER" name "$def" --branch "$long_branch" --commit "$COMMIT")
is "${#long}" "63" "a long branch gives a 63-character name ($long)"
ok "up stands up an environment with a 63-character name" \
	"$PROVISIONER" up "$def" --branch "$long_branch" --commit "$COMMIT" --timeout 60s
"$PROVISIONER" status "$long" -o json >"$OUT/long.json" 2>/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$(json "$OUT/long.json" 'd["gateway"]["ca_file"]')" \
	-u "$(json "$OUT/long.json" 'd["gateway"]["username"]'):$(cat "$(json "$OUT/long.json" 'd["gateway"]["password_file"]')")" \
	"$(json "$OUT/long.json" 'd["gateway"]["url"]')/v1/stats")
is "$code" "200" "its gateway answers over TLS, verified against its CA"
ok "and it goes down" "$PROVISIONER" down "$long"

# --- failures: a port in use (loopback mode), nothing left after ----------------
"$PROVISIONER" up "$def" --branch port --commit "$COMMIT" --loopback --dry-run -o json >"$OUT/plan.json" 2>/dev/null
gw_addr=$(json "$OUT/plan.json" 'd["gateway"]["addr"]')
gw_port=$(json "$OUT/plan.json" 'd["gateway"]["port"]')
# another program on the port, on every address (one on the block's own
# addresses would only move the environment to the next free block)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("0.0.0.0",int(sys.argv[1]))); s.listen(); open(sys.argv[2],"w").close(); time.sleep(30)' "$gw_port" "$TEST_DIR/blocking" &
blocker=$!
for _ in $(seq 1 100); do [ -e "$TEST_DIR/blocking" ] && break; sleep 0.05; done
"$PROVISIONER" up "$def" --branch port --commit "$COMMIT" --loopback >"$OUT/port.out" 2>"$OUT/port.err"
is "$?" "1" "up with a port in use exits 1"
ok "the error names the port" grep -q "port $gw_port on $gw_addr, which 'gateway' needs, is in use" "$OUT/port.err"
ok "and nothing of it is left" test ! -e "$PROVISIONER_STATE_DIR/envs/rt-port"
kill "$blocker" 2>/dev/null; wait "$blocker" 2>/dev/null

# --- a service that never becomes healthy -----------------------------------------
cat >"$TEST_DIR/sick.yaml" <<EOF
extends: $def
name: rt-sick
services:
  api:
    run: [sh, -c, "echo 'the canary sings: cannot open widget.conf' >&2; exit 3"]
EOF
"$PROVISIONER" up "$TEST_DIR/sick.yaml" --branch sick --commit "$COMMIT" --timeout 30s >"$OUT/sick.out" 2>"$OUT/sick.err"
is "$?" "1" "up with a service that keeps failing exits 1"
ok "the error shows the service's last log lines" grep -q "cannot open widget.conf" "$OUT/sick.err"
ok "the error names the process" grep -q "api-primary-0" "$OUT/sick.err"
left=$(grep -l "PROVISIONER_ENV=rt-sick" /proc/[0-9]*/environ 2>/dev/null | wc -l)
is "$left" "0" "no process of it is left"
ok "no directory of it is left" test ! -e "$PROVISIONER_STATE_DIR/envs/rt-sick"
is "$(ip netns list | grep -c '^pv-rt-sick-')" "0" "no namespace of it is left"

# --- SIGINT in the middle of up: what it made is removed ------------------------------
"$PROVISIONER" up "$def" --branch intr --commit "$COMMIT" >"$OUT/intr.out" 2>"$OUT/intr.err" &
up_pid=$!
for _ in $(seq 1 200); do
	grep -qs '"state": "starting"' "$PROVISIONER_STATE_DIR/envs/rt-intr/state.json" && break
	sleep 0.02
done
kill -INT "$up_pid"
wait "$up_pid"
is "$?" "130" "up interrupted by SIGINT exits 130"
ok "it says it removes what it made" grep -q "removing what was made of 'rt-intr'" "$OUT/intr.err"
left=$(grep -lzx "PROVISIONER_ENV=rt-intr" /proc/[0-9]*/environ 2>/dev/null | wc -l)
is "$left" "0" "no process of it is left"
is "$(ip netns list | grep -c '^pv-rt-intr-')" "0" "no namespace of it is left"
ok "no directory of it is left" test ! -e "$PROVISIONER_STATE_DIR/envs/rt-intr"

# --- a missing package ------------------------------------------------------------
cat >"$TEST_DIR/pkg.yaml" <<EOF
extends: $def
name: rt-pkg
datastores:
  db: {version: "11"}
EOF
"$PROVISIONER" up "$TEST_DIR/pkg.yaml" --branch pkg --commit "$COMMIT" >"$OUT/pkg.out" 2>"$OUT/pkg.err"
is "$?" "1" "up without the PostgreSQL the definition asks for exits 1"
ok "the error names the Debian package" grep -q "Debian package 'postgresql-11'" "$OUT/pkg.err"
ok "and nothing is made" test ! -e "$PROVISIONER_STATE_DIR/envs/rt-pkg"

# --- without root: loopback addresses, and it says what it cannot do ---------------------
nb=$TEST_DIR/nobody
mkdir -p "$nb" && chown nobody "$nb" && chmod 700 "$nb"
as_nobody() { (cd / && runuser -u nobody -- env PROVISIONER_STATE_DIR="$nb/state" "$@"); }
as_nobody "$PROVISIONER" up "$def" --branch nobody --commit "$COMMIT" -o json >"$OUT/nobody.json" 2>"$OUT/nobody.err"
is "$?" "0" "as an unprivileged user up works"
ok "it says it has no namespaces and what that costs" grep -q "no isolation between them" "$OUT/nobody.err"
is "$(json "$OUT/nobody.json" 'd["mode"]')" "loopback" "in loopback mode"
nurl=$(json "$OUT/nobody.json" 'd["gateway"]["url"]')
nca=$(json "$OUT/nobody.json" 'd["gateway"]["ca_file"]')
npw=$(cat "$(json "$OUT/nobody.json" 'd["gateway"]["password_file"]')")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$nca" -u "observatory:$npw" "$nurl/v1/stats")
is "$code" "200" "its gateway answers over TLS with basic auth"
ok "and down removes it" as_nobody "$PROVISIONER" down rt-nobody
left=$(grep -lzx "PROVISIONER_ENV=rt-nobody" /proc/[0-9]*/environ 2>/dev/null | wc -l)
is "$left" "0" "no process of it is left"
ok "no directory of it is left" test ! -e "$nb/state/envs/rt-nobody"

# --- list and gc on an empty machine -------------------------------------------------
ok "gc finds nothing to remove" "$PROVISIONER" gc
ok "list works with no environments" "$PROVISIONER" list

done_testing
