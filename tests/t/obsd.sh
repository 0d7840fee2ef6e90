#!/usr/bin/env bash
# obsd, the reference platform service, against a real PostgreSQL started
# for the test (initdb in a temporary directory, 127.0.0.1 only): health
# and readiness, JSON and CSV ingest, idempotent re-sends, all-or-nothing
# batches that name their bad rows, a 50,000-row batch, queries, stats,
# metrics, the database going away and coming back, failover to a promoted
# standby, and no password in the log. Everything started is stopped by
# PID on exit; every wait has a deadline.
. "$(dirname "$0")/../lib.sh"
OBSD=${OBSD:-$BUILD_DIR/platform/obsd}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$OBSD" ] || skip_all "obsd is not built ($OBSD)"
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/postgres" ] ||
	skip_all "the PostgreSQL server is not installed (no /usr/lib/postgresql/*/bin/initdb)"

# PostgreSQL refuses to run as root: then it runs as the postgres user.
pg_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	pg_user=postgres
	id postgres >/dev/null 2>&1 || pg_user=nobody
fi
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi
}

PG_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/obsd-pg.XXXXXX")
chmod 700 "$PG_ROOT"
[ "$(id -u)" -eq 0 ] && chown "$pg_user" "$PG_ROOT"
obsd_pids=()

# stop whatever is still running: obsd instances, then the servers, by PID
cleanup() {
	local pid
	for pid in "${obsd_pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	for data in "$PG_ROOT/primary" "$PG_ROOT/standby"; do
		[ -f "$data/postmaster.pid" ] || continue
		pid=$(head -n 1 "$data/postmaster.pid")
		as_pg "$pg_bin/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
			kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$PG_ROOT" "$TEST_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for SECONDS COMMAND...: until the command succeeds, at most SECONDS
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json FILE EXPR: a Python expression over the document d
json() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# --- PostgreSQL ---------------------------------------------------------------
pg_port=$(free_port)
standby_port=$(free_port)
password="obs-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

pg_start() {  # DATA PORT
	as_pg "$pg_bin/pg_ctl" -D "$1" -l "$1.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $2 -k $PG_ROOT" start >/dev/null
}
pg_stop() {
	as_pg "$pg_bin/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null
}
psql_at() {  # PORT SQL...
	local port=$1
	shift
	as_pg "$pg_bin/psql" -h "$PG_ROOT" -p "$port" -U postgres -d obs -X -qAt -v ON_ERROR_STOP=1 "$@"
}

ok "initdb makes a cluster (password authentication on 127.0.0.1)" \
	as_pg "$pg_bin/initdb" -D "$PG_ROOT/primary" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=scram-sha-256
ok "PostgreSQL starts on 127.0.0.1:$pg_port" pg_start "$PG_ROOT/primary" "$pg_port"
ok "a role with a password and its database" \
	as_pg "$pg_bin/psql" -h "$PG_ROOT" -p "$pg_port" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE obs LOGIN PASSWORD '$password'" -c "CREATE DATABASE obs OWNER obs"

# --- obsd ---------------------------------------------------------------------
# The standby's port comes first and has no server yet: libpq goes on to
# the primary. Later the standby runs there, read-only, and then is promoted.
conninfo="host=127.0.0.1,127.0.0.1 port=$standby_port,$pg_port dbname=obs user=obs target_session_attrs=read-write connect_timeout=5"
log=$TEST_DIR/obsd.log
port=

start_obsd() {  # LOG CONNINFO [OPTION...]: sets pid and port
	PGPASSWORD=$password "$OBSD" --listen 127.0.0.1:0 --db "$2" --threads 4 "${@:3}" 2>"$1" &
	pid=$!
	obsd_pids+=("$pid")
	wait_for 30 grep -q 'event=listening' "$1" || return 1
	port=$(sed -n 's/.*event=listening addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -n 1)
	[ -n "$port" ]
}

# stop_obsd PID: SIGTERM, then its exit status (KILL and 137 after 30 s)
stop_obsd() {
	local status
	kill -TERM "$1"
	wait_for 30 sh -c "! kill -0 $1" || kill -KILL "$1"
	wait "$1"
	status=$?
	local left=() p
	for p in "${obsd_pids[@]}"; do
		[ "$p" = "$1" ] || left+=("$p")
	done
	obsd_pids=("${left[@]}")
	return $status
}

# http METHOD PATH [curl args]: prints the status; the body is in $TEST_DIR/body
http() {
	local method=$1 path=$2
	shift 2
	curl -s -o "$TEST_DIR/body" -w '%{http_code}' --max-time 60 -X "$method" "$@" \
		"http://127.0.0.1:$port$path"
}
post_json() { http POST /v1/observations -H 'Content-Type: application/json' --data-binary "@$1"; }
post_csv() { http POST /v1/observations -H 'Content-Type: text/csv' --data-binary "@$1"; }
total() { http GET /v1/stats >/dev/null && json "$TEST_DIR/body" 'd["total"]'; }
ready() { [ "$(http GET /readyz)" = 200 ]; }

ok "obsd starts and says where it listens" start_obsd "$log" "$conninfo"
obsd_pid=$pid
obsd_port=$port
is "$(http GET /healthz)" 200 "GET /healthz is 200"
ok "GET /readyz is 200 (reachable, writable, schema created)" wait_for 30 ready
is "$(http GET /nowhere)" 404 "an unknown path is 404"
is "$(http DELETE /v1/observations)" 405 "an unknown method is 405"

# --- ingest: JSON, idempotent ------------------------------------------------
cat >"$TEST_DIR/batch.json" <<'EOF'
[{"id": "j1", "station": "oslo", "kind": "temp", "time": "2026-03-01T10:00:00Z", "value": -3.5},
 {"id": "j2", "station": "oslo", "kind": "temp", "time": "2026-03-01T12:00:00+01:00", "value": -2.25},
 {"id": "j3", "station": "oslo", "kind": "temp", "time": "2026-03-01T09:30:00Z", "value": 1e-3},
 {"id": "j4", "station": "oslo", "kind": "wind", "time": "2026-03-01T10:30:00.5Z", "value": 12},
 {"id": "j5", "station": "bergen", "kind": "temp", "time": "2026-03-01T10:15:00Z", "value": 4.75},
 {"id": "j6", "station": "oslo", "kind": "temp", "time": "2026-03-01T13:00:00Z", "value": 0}]
EOF
is "$(post_json "$TEST_DIR/batch.json")" 200 "a JSON batch is stored (200)"
is "$(json "$TEST_DIR/body" '[d["received"], d["new"], d["present"]]')" "[6, 6, 0]" \
	"the answer counts 6 received, 6 new, 0 present"
is "$(total)" 6 "6 observations are stored"
is "$(post_json "$TEST_DIR/batch.json")" 200 "the same batch sent again is 200"
is "$(json "$TEST_DIR/body" '[d["new"], d["present"]]')" "[0, 6]" "sent again: 0 new, 6 already present"
is "$(total)" 6 "sent again: nothing is stored twice"

# --- ingest: CSV ----------------------------------------------------------------
printf '\xef\xbb\xbfvalue,time,id,kind,station\r\n7.5,2026-03-01T11:00:00Z,c1,temp,oslo\r\n8,2026-03-01T11:05:00Z,"c,2",temp,"Oslo ""Blindern"""\r\n\r\n-1.25e1,2026-03-02T00:00:00-05:00,c3,rain,bergen\r\n' \
	>"$TEST_DIR/batch.csv"
is "$(post_csv "$TEST_DIR/batch.csv")" 200 "a CSV batch (columns in any order, CRLF, quoted fields) is stored"
is "$(json "$TEST_DIR/body" '[d["received"], d["new"]]')" "[3, 3]" "the CSV batch: 3 received, 3 new"
is "$(http GET /v1/observations/c%2C2)" 200 "a quoted CSV id with a comma is found"
is "$(json "$TEST_DIR/body" 'd["station"]')" 'Oslo "Blindern"' "doubled quotes in a CSV field are one quote"
is "$(total)" 9 "9 observations are stored"

# --- ingest: all or nothing, bad rows named -----------------------------------------
cat >"$TEST_DIR/bad.json" <<'EOF'
[{"id": "b1", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:00:00Z", "value": 1},
 {"id": "b2", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:01:00Z", "value": 2},
 {"id": "b3", "station": "oslo", "kind": "temp", "time": "2026-02-30T00:00:00Z", "value": 3},
 {"id": "b4", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:03:00Z", "value": 4},
 {"id": "b5", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:04:00Z", "value": 5},
 {"id": "b6", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:05:00Z", "value": 6},
 {"id": "b7", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:06:00Z", "value": "seven"},
 {"id": "b8", "station": "oslo", "kind": "temp", "time": "2026-03-03T00:07:00Z", "value": 8}]
EOF
is "$(post_json "$TEST_DIR/bad.json")" 400 "a JSON batch with bad rows 3 and 7 is 400"
is "$(json "$TEST_DIR/body" 'd["rows"]')" "[3, 7]" "the answer names rows 3 and 7"
is "$(json "$TEST_DIR/body" '[e["field"] for e in d["errors"]]')" '["time", "value"]' \
	"and why: the time of row 3, the value of row 7"
is "$(http GET /v1/observations/b1)" 404 "nothing of the bad batch is stored (b1 is not there)"
is "$(total)" 9 "nothing of the bad batch is stored (the total is unchanged)"
{
	echo "id,station,kind,time,value"
	for i in 1 2 3 4 5 6 7 8; do
		case $i in
		3) echo "cb$i,oslo,temp,yesterday,$i" ;;
		7) echo "cb$i,,temp,2026-03-03T00:00:0${i}Z,$i" ;;
		*) echo "cb$i,oslo,temp,2026-03-03T00:00:0${i}Z,$i" ;;
		esac
	done
} >"$TEST_DIR/bad.csv"
is "$(post_csv "$TEST_DIR/bad.csv")" 400 "a CSV batch with bad rows 3 and 7 is 400"
is "$(json "$TEST_DIR/body" 'd["rows"]')" "[3, 7]" "the CSV answer names rows 3 and 7 too"
is "$(total)" 9 "nothing of the bad CSV batch is stored"
is "$(http POST /v1/observations -H 'Content-Type: application/json' --data-binary '[{"id": "x",')" 400 \
	"malformed JSON is 400"
is "$(http POST /v1/observations -H 'Content-Type: text/plain' --data-binary 'x')" 415 \
	"a body that is neither JSON nor CSV is 415"

# --- a 50,000-row batch ------------------------------------------------------------
awk 'BEGIN {
	printf "["
	for (i = 1; i <= 50000; i++)
		printf "%s{\"id\":\"big-%d\",\"station\":\"st-%d\",\"kind\":\"temp\",\"time\":\"2026-04-01T%02d:%02d:%02dZ\",\"value\":%d.5}",
			(i > 1 ? "," : ""), i, i % 10, int(i / 3600), int(i / 60) % 60, i % 60, i
	printf "]"
}' >"$TEST_DIR/big.json"
start_ns=$(date +%s%N)
code=$(post_json "$TEST_DIR/big.json")
ms=$((($(date +%s%N) - start_ns) / 1000000))
is "$code" 200 "a 50,000-row JSON batch is stored"
echo "# 50,000-row JSON batch ($(($(wc -c <"$TEST_DIR/big.json") / 1024)) KiB) ingested in $ms ms"
is "$(json "$TEST_DIR/body" 'd["new"]')" 50000 "all 50,000 rows are new"
is "$(total)" 50009 "50,009 observations are stored"
awk 'BEGIN { print "id,station,kind,time,value"; for (i = 1; i <= 50001; i++) printf "over-%d,s,k,2026-04-02T00:00:00Z,%d\n", i, i }' \
	>"$TEST_DIR/over.csv"
is "$(post_csv "$TEST_DIR/over.csv")" 413 "a batch of 50,001 rows is 413"
is "$(total)" 50009 "nothing of the batch that is too large is stored"

# --- queries ---------------------------------------------------------------------------
is "$(http GET '/v1/observations?station=oslo&kind=temp&from=2026-03-01T10:00:00Z&to=2026-03-01T12:00:00Z')" 200 \
	"GET /v1/observations with station, kind and a time range is 200"
is "$(json "$TEST_DIR/body" '[o["id"] for o in d["observations"]]')" '["j1", "c1", "j2"]' \
	"it returns the right rows, ordered by time then id (from inclusive, to exclusive)"
is "$(json "$TEST_DIR/body" 'd["observations"][1]["time"]')" "2026-03-01T11:00:00Z" \
	"times are given back in UTC"
is "$(http GET '/v1/observations?station=oslo&from=2026-03-01T10:00:00%2B01:00&limit=2')" 200 \
	"a time with an offset, and a limit"
is "$(json "$TEST_DIR/body" '[o["id"] for o in d["observations"]]')" '["j3", "j1"]' "the limit keeps the earliest rows"
is "$(http GET '/v1/observations?from=tomorrow')" 400 "a time that is not RFC 3339 is 400"
is "$(http GET '/v1/observations?limit=1000000')" 400 "a limit above the maximum is 400"
is "$(http GET /v1/observations/j4)" 200 "GET /v1/observations/j4 is 200"
is "$(json "$TEST_DIR/body" '[d["id"], d["station"], d["kind"], d["time"], d["value"]]')" \
	'["j4", "oslo", "wind", "2026-03-01T10:30:00.500Z", 12]' "it has the stored fields"
is "$(http GET /v1/observations/nope)" 404 "an id that is not there is 404"
is "$(http GET /v1/stats)" 200 "GET /v1/stats is 200"
is "$(json "$TEST_DIR/body" '[[s["station"], s["kind"], s["count"]] for s in d["series"] if s["station"] in ("oslo", "bergen")]')" \
	'[["bergen", "rain", 1], ["bergen", "temp", 1], ["oslo", "temp", 5], ["oslo", "wind", 1]]' \
	"stats count per station and kind"
is "$(json "$TEST_DIR/body" '[d["first"], d["last"]]')" '["2026-03-01T09:30:00Z", "2026-04-01T13:53:20Z"]' \
	"stats give the first and last time"

# --- metrics ---------------------------------------------------------------------------
is "$(http GET /metrics)" 200 "GET /metrics is 200"
cp "$TEST_DIR/body" "$TEST_DIR/metrics"
parse_metrics() {
	local py
	for py in python3 /usr/bin/python3; do
		if "$py" -c 'import prometheus_client.parser' 2>/dev/null; then
			"$py" -c 'import sys
from prometheus_client.parser import text_string_to_metric_families as parse
for f in parse(open(sys.argv[1]).read()):
    for s in f.samples:
        print(s.name, ",".join("%s=%s" % kv for kv in sorted(s.labels.items())), int(s.value))' "$1"
			return
		fi
	done
	echo "# prometheus_client is not installed: checking the lines' syntax only" >&2
	grep -Ev '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? [-+0-9.eE]+|)$' "$1" && return 1
	sed -n 's/^\([a-z_]*\){\(.*\)} \([0-9]*\)$/\1 \2 \3/p; s/^\([a-z_]*\) \([0-9]*\)$/\1  \2/p' "$1" | tr -d '"'
}
samples() { parse_metrics "$TEST_DIR/metrics" >"$TEST_DIR/samples"; }
ok "/metrics parses as Prometheus text" samples
metric() { awk -v n="$1" -v l="$2" '$1 == n && $2 == l { print $3 }' "$TEST_DIR/samples"; }
ok "requests are counted by route and code (healthz 200)" \
	test "$(metric obsd_http_requests_total code=200,route=healthz)" -ge 1
is "$(metric obsd_http_requests_total code=400,route=ingest)" 3 "the three refused batches are counted (ingest 400)"
is "$(metric obsd_ingested_rows_total result=new)" 50009 "ingested rows are counted"
ok "the latency histogram has buckets" grep -q '^obsd_http_request_duration_seconds_bucket{route="ingest",le="+Inf"} ' \
	"$TEST_DIR/metrics"

# --- the database goes away and comes back -------------------------------------------------
ok "PostgreSQL stops" pg_stop "$PG_ROOT/primary"
is "$(http GET /readyz)" 503 "GET /readyz is 503 while the database is down"
is "$(http GET /healthz)" 200 "GET /healthz is still 200"
is "$(post_json "$TEST_DIR/batch.json")" 503 "ingest is 503 while the database is down"
ok "PostgreSQL starts again" pg_start "$PG_ROOT/primary" "$pg_port"
ok "GET /readyz is 200 again, without restarting obsd" wait_for 30 ready
ok "it is the same obsd process" kill -0 "$obsd_pid"
is "$(total)" 50009 "the data is all there"

# --- a second instance on the same database ---------------------------------------------------
second_log=$TEST_DIR/obsd-2.log
ok "a second obsd on the same database starts" start_obsd "$second_log" "$conninfo"
ok "and is ready (the schema is there already)" wait_for 30 ready
is "$(total)" 50009 "it sees the same data"
ok "it stops on SIGTERM" stop_obsd "$pid"
ok "its log is only key=value lines (no raw server notices)" \
	sh -c "! grep -Ev '^ts=[0-9T:.Z-]+ level=[a-z]+ event=[a-z_]+( |$)' '$second_log'"
port=$obsd_port

# --- a read-only server: not ready; password in the connection string ----------------------
ro_log=$TEST_DIR/obsd-ro.log
ok "an obsd on a read-only session starts" \
	start_obsd "$ro_log" "host=127.0.0.1 port=$pg_port dbname=obs user=obs password=$password options='-c default_transaction_read_only=on'"
ro_pid=$pid
is "$(http GET /readyz)" 503 "its /readyz is 503: the database is not writable"
is "$(json "$TEST_DIR/body" 'd["reason"]')" "the database server is read-only" "and says so"
ok "a password in --db does not show in ps" sh -c "! tr '\\0' ' ' </proc/$ro_pid/cmdline | grep -qF -- '$password'"
ok "it stops on SIGTERM" stop_obsd "$ro_pid"
ok "its log does not hold the password" sh -c "! grep -qF -- '$password' '$ro_log'"
"$OBSD" --listen 127.0.0.1:0 --db "password=$password broken" >"$TEST_DIR/bad-db.out" 2>&1
is $? 2 "a connection string that does not parse is a usage error (2)"
ok "and the message does not show it" sh -c "! grep -qF -- '$password' '$TEST_DIR/bad-db.out'"
"$OBSD" --listen 127.0.0.1:0 --request-timeout 5 >"$TEST_DIR/bad-opt.out" 2>&1
is $? 2 "a --request-timeout without a unit is a usage error (2)"
REQUEST_TIMEOUT_MS=soon "$OBSD" --listen 127.0.0.1:0 >"$TEST_DIR/bad-env.out" 2>&1
is "$?:$(grep -c 'REQUEST_TIMEOUT_MS must be a whole number' "$TEST_DIR/bad-env.out")" "2:1" \
	"so is a REQUEST_TIMEOUT_MS that is not a number, and it says which"
small_log=$TEST_DIR/obsd-small.log
export MAX_BODY_BYTES=2048
ok "an obsd with MAX_BODY_BYTES=2048 from its environment starts" start_obsd "$small_log" "$conninfo"
unset MAX_BODY_BYTES
head -c 3000 /dev/zero | tr '\0' ' ' >"$TEST_DIR/3k.json"
is "$(post_json "$TEST_DIR/3k.json")" 413 "a 3000-byte body is over its limit: 413"
ok "the answer names the limit" grep -q 'larger than 2048 bytes' "$TEST_DIR/body"
ok "its start-up line says the limits it has" \
	grep -q 'request_timeout_ms=10000 connect_timeout_ms=2000 statement_timeout_ms=5000 max_body=2048' "$small_log"
ok "it stops on SIGTERM" stop_obsd "$pid"

# --- a statement the server cancels: 503 with Retry-After, in time, /healthz unaffected -------
slow_log=$TEST_DIR/obsd-slow.log
ok "an obsd with a 500ms statement timeout and a 3s request timeout starts" \
	start_obsd "$slow_log" "$conninfo" --statement-timeout 500ms --request-timeout 3s
slow_pid=$pid
psql_at "$pg_port" -c "BEGIN" -c "LOCK TABLE observations IN ACCESS EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 &
locker=$!
locked() {
	[ "$(psql_at "$pg_port" -c "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'observations'::regclass")" = 1 ]
}
wait_for 10 locked
printf '[{"id": "lock-1", "station": "oslo", "kind": "temp", "time": "2026-06-01T00:00:00Z", "value": 1}]' \
	>"$TEST_DIR/locked.json"
waiting=()
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null -m 30 -H 'Content-Type: application/json' --data-binary "@$TEST_DIR/locked.json" \
		"http://127.0.0.1:$port/v1/observations" &
	waiting+=($!)
done
sleep 0.2
is "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$port/healthz")" 200 \
	"/healthz answers at once while six batches wait on a lock"
r=$(curl -s -o "$TEST_DIR/body" -D "$TEST_DIR/head" -w '%{http_code} %{time_total}' -m 30 \
	-H 'Content-Type: application/json' --data-binary "@$TEST_DIR/locked.json" "http://127.0.0.1:$port/v1/observations")
is "${r%% *}" 503 "a batch held up past the statement timeout gets 503 (took ${r#* } s)"
ok "with Retry-After" grep -qi '^retry-after: 1' "$TEST_DIR/head"
ok "within the request timeout" python3 -c "import sys; sys.exit(not ${r#* } < 3)"
ok "the log has the server's cancellation" grep -q 'sqlstate=57014' "$slow_log"
wait "$locker" "${waiting[@]}"
is "$(post_json "$TEST_DIR/locked.json")" 200 "once the lock is gone the batch is stored"
psql_at "$pg_port" -c "DELETE FROM observations WHERE id = 'lock-1'"   # the counts below
ok "it stops on SIGTERM" stop_obsd "$slow_pid"
port=$obsd_port

# --- failover: a standby is promoted while obsd runs ----------------------------------------
ok "a standby is made from the primary" \
	as_pg "$pg_bin/pg_basebackup" -h "$PG_ROOT" -p "$pg_port" -U postgres -D "$PG_ROOT/standby" -R -X stream -c fast
ok "the standby starts on 127.0.0.1:$standby_port" pg_start "$PG_ROOT/standby" "$standby_port"
standby_caught_up() {
	[ "$(psql_at "$standby_port" -c 'SELECT pg_is_in_recovery(), count(*) FROM observations')" = 't|50009' ]
}
ok "the standby is read-only and has the data" wait_for 60 standby_caught_up
ok "the primary stops" pg_stop "$PG_ROOT/primary"
ok "the standby is promoted" as_pg "$pg_bin/pg_ctl" -D "$PG_ROOT/standby" -w -t 60 promote
ok "obsd is ready again, on the promoted standby" wait_for 60 ready
cat >"$TEST_DIR/after.json" <<'EOF'
[{"id": "f1", "station": "oslo", "kind": "temp", "time": "2026-05-01T00:00:00Z", "value": 1}]
EOF
is "$(post_json "$TEST_DIR/after.json")" 200 "a batch is stored after the failover"
is "$(psql_at "$standby_port" -c "SELECT count(*) FROM observations WHERE id = 'f1'")" 1 \
	"it is on the promoted standby"
ok "still the same obsd process" kill -0 "$obsd_pid"
ok "obsd logged that it connected to the new primary" grep -q "event=db_connected host=127.0.0.1 port=$standby_port" "$log"

# --- no secrets; graceful stop ----------------------------------------------------------------
ok "the password appears nowhere in obsd's log" sh -c "! grep -qF -- '$password' '$log'"
ok "the log is key=value lines" sh -c "! grep -Ev '^ts=[0-9T:.Z-]+ level=[a-z]+ event=[a-z_]+( |$)' '$log'"
stop_obsd "$obsd_pid"
is $? 0 "obsd stops on SIGTERM with status 0"
ok "and logs that it stopped" grep -q 'event=stopped' "$log"

# on failure, the end of obsd's log says more
[ "$test_failed" -eq 0 ] || tail -n 40 "$log" | sed 's/^/# obsd: /'
done_testing
