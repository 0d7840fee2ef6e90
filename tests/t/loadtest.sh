#!/usr/bin/env bash
# loadtest end to end, against real servers on loopback: tests/tools/
# test-httpd (fixed delays, stalls, chunked bodies, closes, error statuses,
# /status/NNN) and nginx from Debian for TLS with a CA this test makes.
# Checks the numbers (p50 of a 10 ms server within 5 %, an open-model rate
# within 1 %, a 1 s stall visible in the open model's p99), late sends
# blamed on the pool only when it ran out, errors by kind and by status
# code, thresholds and exit codes, every report format, scenario files,
# shards and merge (and what merge refuses), render-job against the
# Kubernetes schema, bad input (exit 2, nothing written), --env's failure,
# colour on a terminal, SIGINT, a wrong CA stopping the run early, and
# that a credential never shows.
. "$(dirname "$0")/../lib.sh"
LOADTEST=${LOADTEST:-$BUILD_DIR/loadtest/loadtest}
HTTPD=${TEST_HTTPD:-$BUILD_DIR/tests/test-httpd}
[ -x "$LOADTEST" ] || skip_all "$LOADTEST is not built"
[ -x "$HTTPD" ] || skip_all "$HTTPD is not built"
command -v python3 >/dev/null || skip_all "python3 is not installed (reads the JSON results)"

pids=()
ngx=
cleanup() {
	local p i
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# nginx's master stops its workers when asked to; SIGKILL would orphan them
	if [ -n "$ngx" ]; then
		kill -TERM "$ngx" 2>/dev/null
		for i in $(seq 50); do kill -0 "$ngx" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$TEST_DIR"
}
trap cleanup EXIT

# start NAME ARGS...: a test-httpd on a free port; sets PORT.
start() {
	local name=$1 i
	shift
	"$HTTPD" --port 0 --port-file "$TEST_DIR/$name.port" --duration 120s "$@" 2>"$TEST_DIR/$name.err" &
	pids+=($!)
	for i in $(seq 100); do [ -s "$TEST_DIR/$name.port" ] && break; sleep 0.05; done
	PORT=$(cat "$TEST_DIR/$name.port")
}

# j FILE EXPR: a value from a JSON result (python expression over d)
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(($2))" "$1"; }
# within A B PCT: |A - B| <= PCT% of B
within() { python3 -c "import sys; a,b,p=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b) <= p/100*b else 1)" "$@"; }
ge() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$1" "$2"; }

LT() {   # loadtest [run] --no-progress ARGS...
	if [ "$1" = run ]; then shift; "$LOADTEST" run --no-progress "$@"; else "$LOADTEST" --no-progress "$@"; fi
}

# --- the numbers ---
start delay --delay 10ms
# measured ARGS...: run loadtest until its p50 is within 5 % of the server's
# 10 ms, at most three times. A p50 below 10 ms is wrong whatever the load; one
# above it is true on a machine busy with other tests (prove -j2 beside the
# runtime tests), so a busy run is retried, and says so, before it fails.
measured() {
	local out=$1 i
	shift
	for i in 1 2 3; do
		LT "$@" -q --json "$out" "http://127.0.0.1:$PORT/"
		p50=$(j "$out" "d['latency_us']['p50']")
		within "$p50" 10000 5 && return
		ge "$p50" 10000 || return
		echo "# p50 $p50 us on a busy machine (load $(cut -d' ' -f1 /proc/loadavg)): again"
	done
}
measured "$TEST_DIR/delay.json" -c 4 -d 3s
ok "closed model: p50 of a 10 ms server is within 5% ($p50 us)" within "$p50" 10000 5
measured "$TEST_DIR/open.json" -c 20 -d 3s -R 500
rps=$(j "$TEST_DIR/open.json" "d['rps']")
ok "open model: p50 of a 10 ms server is within 5% ($p50 us)" within "$p50" 10000 5
ok "open model: achieved rate within 1% of 500/s ($rps)" within "$rps" 500 1
is "$(j "$TEST_DIR/open.json" "d['dropped'], d['errors']['total'], d['scenarios'][0]['target_rps']")" \
	"(0, 0, 500.0)" "open model: nothing dropped, no errors, the plan recorded"
is "$(j "$TEST_DIR/open.json" "len(d['timeline']) >= 3 and sum(s['requests'] for s in d['timeline']) == d['requests']")" \
	True "the per-second timeline adds up to the requests"

start stall --stall-every 2s --stall-for 1s
LT -c 20 -d 4s -R 200 -q --json "$TEST_DIR/stall-open.json" "http://127.0.0.1:$PORT/"
LT -c 20 -d 4s -q --json "$TEST_DIR/stall-closed.json" "http://127.0.0.1:$PORT/"
p99o=$(j "$TEST_DIR/stall-open.json" "d['latency_us']['p99']")
p99c=$(j "$TEST_DIR/stall-closed.json" "d['latency_us']['p99']")
p90o=$(j "$TEST_DIR/stall-open.json" "d['latency_us']['p90']")
ok "open model: a 1 s stall shows in p99 ($p99o us)" ge "$p99o" 500000
ok "open model: and in p90, a quarter of the time being stalled ($p90o us)" ge "$p90o" 200000
ok "closed model hides it (coordinated omission: p99 $p99c us < $p99o us)" \
	python3 -c "import sys; sys.exit(0 if $p99c < $p99o / 2 else 1)"

LT -c 8 -t 2 -d 2s -R 400 -q --json "$TEST_DIR/threads.json" "http://127.0.0.1:$PORT/"
is "$(j "$TEST_DIR/threads.json" "d['requests'], d['dropped'], d['histogram']['count']")" "(800, 0, 800)" \
	"two threads share the open model's plan exactly: 400/s for 2 s is 800 requests"
LT -c 4 -t 2 -d 1s --json - "http://127.0.0.1:$PORT/" >"$TEST_DIR/stdout.json" 2>"$TEST_DIR/stdout.err"
ok "--json - writes the result to stdout and the summary to stderr" \
	sh -c "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$TEST_DIR/stdout.json' && grep -q 'latency   p50' '$TEST_DIR/stdout.err'"

start slow50 --delay 50ms
LT -c 2 -d 2s -R 100 --json "$TEST_DIR/late.json" "http://127.0.0.1:$PORT/" >"$TEST_DIR/late.out"
is "$(j "$TEST_DIR/late.json" "d['late'] > 150, d['dropped'], d['latency_us']['p50'] > 500000")" "(True, 0, True)" \
	"a pool too small for the rate: sends are late, and the wait is in the latencies"
is "$(j "$TEST_DIR/late.json" "d['pool']['waits'] >= d['pool']['late'] > 150, d['pool']['peak'], 4 < d['pool']['needed'] < 7, d['late_max_us'] > 500000")" \
	"(True, 2, True, True)" "the pool is measured: sends that waited for a connection, the peak in flight, what the rate needs (100/s x 50 ms)"
ok "the summary says so, by how much, and what to do" sh -c "grep -q '^    late      [0-9]* of 200 sends' '$TEST_DIR/late.out' && grep -q 'waited for a connection: all 2 were busy or connecting (at most 2 requests in flight)' '$TEST_DIR/late.out' && grep -q \"keeps about [56] busy: raise 'connections' unless\" '$TEST_DIR/late.out'"
LT -c 100 -d 2s -R 20 "http://127.0.0.1:$PORT/" >"$TEST_DIR/roomy.out"
ok "a pool with room to spare is not blamed (20/s, 100 connections)" sh -c "! grep -q \"raise 'connections'\" '$TEST_DIR/roomy.out'"
LT run "$SOURCE_DIR/loadtest/smoke.yaml" --target "http://127.0.0.1:$PORT" --json "$TEST_DIR/smoke.json" >"$TEST_DIR/smoke.out"
is "$?:$(j "$TEST_DIR/smoke.json" "d['pool']['late'] < 10")" "0:True" "the reference smoke test runs"
ok "and its summary blames no pool" sh -c "! grep -q \"raise 'connections'\" '$TEST_DIR/smoke.out'"

# --- errors by kind ---
start e500 --status 503
LT -c 2 -d 1s -q --json "$TEST_DIR/503.json" "http://127.0.0.1:$PORT/"; rc=$?
is "$rc:$(j "$TEST_DIR/503.json" "d['errors']['status_5xx'] == d['requests'] > 0, d['error_rate']")" \
	"0:(True, 1.0)" "5xx answers are counted as errors (no threshold: exit 0)"
start e404 --status 404
LT -c 2 -d 1s -q --threshold 'error_rate < 1%' --json "$TEST_DIR/404.json" "http://127.0.0.1:$PORT/"; rc=$?
is "$rc:$(j "$TEST_DIR/404.json" "d['errors']['status_4xx'] > 0, d['ok']")" "1:(True, False)" \
	"4xx answers are errors and fail 'error_rate < 1%' (exit 1)"
start codes --delay 1ms
cat >"$TEST_DIR/codes.yaml" <<EOF2
target: http://127.0.0.1:$PORT
thresholds: ["status_429 < 1%", "status_401 == 0", "status_5xx < 0.1%", "status_2xx >= 40%"]
scenarios:
  login:
    rate: 20r/s
    duration: 2s
    request: {path: /status/401}
  limited:
    rate: 20r/s
    duration: 2s
    request: {path: "/status/429?page=2"}
  fine:
    rate: 40r/s
    duration: 2s
    request: {path: /ok}
EOF2
LT run "$TEST_DIR/codes.yaml" --json "$TEST_DIR/codes.json" --tap "$TEST_DIR/codes.tap" \
	--junit "$TEST_DIR/codes.xml" --html "$TEST_DIR/codes.html" >"$TEST_DIR/codes.out"
is "$?:$(j "$TEST_DIR/codes.json" "d['status_codes'], d['errors']['status_4xx'], d['status']['4xx']")" \
	"1:({'200': 80, '401': 40, '429': 40}, 80, 80)" "answers are counted by status code, the class totals kept"
is "$(j "$TEST_DIR/codes.json" "d['error_examples']['status_401'], d['error_examples']['status_429'], d['scenarios'][1]['status_codes']")" \
	"('Unauthorized: status 401 as asked', 'Too Many Requests: status 429 as asked', {'429': 40})" \
	"the first answer of each code is kept: reason phrase and body"
is "$(j "$TEST_DIR/codes.json" "[(t['expr'], t['ok'], t['observed']) for t in d['thresholds']]")" \
	"[('status_429 < 1%', False, '25% (40)'), ('status_401 == 0', False, '40'), ('status_5xx < 0.1%', True, '0% (0)'), ('status_2xx >= 40%', True, '50% (80)')]" \
	"thresholds name a code or a class, as a share or a count"
is "$(j "$TEST_DIR/codes.json" "sum(e.get('error_codes', {}).get('401', 0) for e in d['timeline']), [s['path'] for s in d['scenarios']]")" \
	"(40, ['/status/401', '/status/429?page=2', '/ok'])" "the timeline counts codes second by second; paths as sent"
ok "the summary: a line per code with its first answer" sh -c "grep -q '^              status_401 40, first: Unauthorized: status 401 as asked\$' '$TEST_DIR/codes.out' && grep -q '^              status_429 40, first: Too Many Requests' '$TEST_DIR/codes.out'"
ok "TAP: a failed test lists the errors by code with the first answer" \
	grep -q '^    status_429: {count: 40, first: "Too Many Requests: status 429 as asked"}' "$TEST_DIR/codes.tap"
ok "TAP: prove reads it" prove -e cat "$TEST_DIR/codes.tap" --dry
ok "JUnit: so does the failure's text" \
	python3 -c "import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); f=[c.find('failure') for c in r.iter('testcase') if c.find('failure') is not None]; assert len(f)==2 and 'status_401 40, first: Unauthorized: status 401 as asked' in f[0].text, f[0].text" "$TEST_DIR/codes.xml"
ok "HTML: errors by code, in the table and the plot" sh -c "grep -q '<code>status_429</code></td><td>40</td>' '$TEST_DIR/codes.html' && grep -q '>429</text>' '$TEST_DIR/codes.html' && grep -q 'GET /status/429?page=2' '$TEST_DIR/codes.html'"
for i in 0 1; do LT run "$TEST_DIR/codes.yaml" -q --shard $i/2 --json "$TEST_DIR/codes$i.json"; done
"$LOADTEST" merge -q --json "$TEST_DIR/codes-merged.json" "$TEST_DIR/codes0.json" "$TEST_DIR/codes1.json"
is "$?:$(j "$TEST_DIR/codes-merged.json" "d['status_codes'], [t['observed'] for t in d['thresholds']][:2], 'status_401' in d['error_examples']")" \
	"1:({'200': 80, '401': 40, '429': 40}, ['25% (40)', '40'], True)" "merge adds up the codes and judges them on the sum"

start slow --delay 2s
t0=$(date +%s%N)
LT -c 4 -d 1s --timeout 300ms -q --json "$TEST_DIR/timeout.json" "http://127.0.0.1:$PORT/" 2>"$TEST_DIR/timeout.err"; rc=$?
t1=$(date +%s%N)
is "$rc:$(j "$TEST_DIR/timeout.json" "d['errors']['timeout'] >= 4, d['requests'], d['latency_us']['p50'] >= 300000")" \
	"1:(True, 0, True)" "timeouts are counted and recorded at the time given up (nothing completed: exit 1)"
ok "a run against a stalled server ends by itself ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 4000
freeport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LT -c 2 -d 1s -q --json "$TEST_DIR/refused.json" "http://127.0.0.1:$freeport/" 2>"$TEST_DIR/refused.err"; rc=$?
is "$rc:$(j "$TEST_DIR/refused.json" "d['errors']['connect'] > 0, d['requests'], d['error_examples']['connect'], sum(e['error_kinds']['connect'] for e in d['timeline'] if 'error_kinds' in e) == d['errors']['connect']")" \
	"1:(True, 0, 'Connection refused', True)" "connection refused: connect errors by second, the reason, exit 1"
start framing --chunked --close-every 3 --body-size 5000
LT -c 4 -d 1s -q --json "$TEST_DIR/framing.json" "http://127.0.0.1:$PORT/"; rc=$?
is "$rc:$(j "$TEST_DIR/framing.json" "d['requests'] > 100, d['errors']['total'], d['bytes_read'] > 5000 * d['requests']")" \
	"0:(True, 0, True)" "chunked bodies and servers that close every third answer: no errors"

head -c 3000000 /dev/zero | tr '\0' x >"$TEST_DIR/big.body"
LT -c 2 -d 1s -q --body @"$TEST_DIR/big.body" --json "$TEST_DIR/big.json" "http://127.0.0.1:$PORT/"
is "$?:$(j "$TEST_DIR/big.json" "d['requests'] > 10, d['errors']['total']")" "0:(True, 0)" \
	"3 MB request bodies go out whole (partial writes) and are answered"
if command -v script >/dev/null; then
	script -qec "'$LOADTEST' -c 2 -d 2s --threshold 'p(99) < 1us' --threshold 'dropped == 0' http://127.0.0.1:$PORT/" /dev/null >"$TEST_DIR/tty.out" 2>&1
	ok "on a terminal a progress line is updated in place" \
		grep -qE 's/2s\] [0-9]+ requests, [0-9]+ req/s' "$TEST_DIR/tty.out"
	ok "and the thresholds' verdicts are in colour" \
		sh -c "grep -qF \"\$(printf '\033[1;31mFAIL\033[m p(99)')\" '$TEST_DIR/tty.out' && grep -qF \"\$(printf '\033[32mok\033[m   dropped')\" '$TEST_DIR/tty.out'"
	NO_COLOR=1 script -qec "'$LOADTEST' -c 2 -d 1s --no-progress --threshold 'dropped == 0' http://127.0.0.1:$PORT/" /dev/null >"$TEST_DIR/nocolor.out" 2>&1
	ok "but not with NO_COLOR" sh -c "grep -q '    ok   dropped == 0' '$TEST_DIR/nocolor.out' && ! grep -q \"\$(printf '\033')\" '$TEST_DIR/nocolor.out'"
else
	skip "script(1) is not installed" "the progress line on a terminal"
fi
ok "no colour off a terminal" sh -c "! grep -q \"\$(printf '\033')\" '$TEST_DIR/codes.out'"
LT -c 2 -d 1s -q --json "$TEST_DIR/path.json" --html "$TEST_DIR/path.html" "http://127.0.0.1:$PORT/v1/stats?x=1&y=2"
is "$(j "$TEST_DIR/path.json" "d['scenarios'][0]['method'], d['scenarios'][0]['path']")" "('GET', '/v1/stats?x=1&y=2')" \
	"an ad-hoc run is labelled with the URL's path"
ok "in the HTML too" grep -q 'GET /v1/stats?x=1&amp;y=2' "$TEST_DIR/path.html"

# --- thresholds and reports ---
start t10 --delay 10ms
LT -c 5 -d 1s -q --threshold 'p(50) < 1ms' --threshold 'error_rate < 1%' \
	--json "$TEST_DIR/th.json" --tap "$TEST_DIR/th.tap" --junit "$TEST_DIR/th.xml" --html "$TEST_DIR/th.html" \
	"http://127.0.0.1:$PORT/"
is "$?" 1 "a failed threshold exits 1"
is "$(grep -c '^not ok' "$TEST_DIR/th.tap"):$(grep -c '^ok' "$TEST_DIR/th.tap"):$(grep -c '^1..2$' "$TEST_DIR/th.tap")" \
	"1:1:1" "TAP: one test per threshold"
ok "TAP: YAML diagnostics with what was observed" grep -q '^  observed: "1[0-9.]*ms"' "$TEST_DIR/th.tap"
ok "TAP: prove reads it" prove -e cat "$TEST_DIR/th.tap" -v --dry
ok "JUnit: one failure named after the threshold" \
	python3 -c "import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); s=r.find('testsuite'); assert s.get('tests')=='2' and s.get('failures')=='1'; f=[c for c in s.iter('testcase') if c.find('failure') is not None]; assert f[0].get('name')=='p(50) < 1ms'" "$TEST_DIR/th.xml"
ok "HTML: self-contained, with plots" sh -c "grep -q '<svg' '$TEST_DIR/th.html' && ! grep -qiE '<script|<link| src=|@import|url\(' '$TEST_DIR/th.html'"
is "$(j "$TEST_DIR/th.json" "d['ok'], [t['ok'] for t in d['thresholds']], sorted(d['latency_us'])")" \
	"(False, [False, True], ['max', 'mean', 'min', 'p50', 'p90', 'p99', 'p999', 'p9999', 'stdev'])" \
	"JSON: thresholds, and the latency keys"
LT -c 5 -d 1s -q --threshold 'p(50) < 100ms' --threshold 'rate >= 100/s' "http://127.0.0.1:$PORT/"
is "$?" 0 "thresholds that hold exit 0"
LT -c 2 -d 1s "http://127.0.0.1:$PORT/" >"$TEST_DIR/out" 2>"$TEST_DIR/err"
ok "summary on stdout, no progress line when stderr is not a terminal" \
	sh -c "grep -q 'latency   p50' '$TEST_DIR/out' && ! grep -q \"\$(printf '\\r')\" '$TEST_DIR/err'"

# --- bad input: exit 2, nothing written ---
bad() {  # DESC EXPECTED-TEXT ARGS...
	local desc=$1 want=$2
	shift 2
	rm -f "$TEST_DIR/bad.json"
	"$LOADTEST" "$@" --json "$TEST_DIR/bad.json" >"$TEST_DIR/bad.out" 2>&1
	local rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$want" "$TEST_DIR/bad.out" && [ ! -e "$TEST_DIR/bad.json" ]; then
		echo "ok $((test_count += 1)) - bad input: $desc"
	else
		echo "not ok $((test_count += 1)) - bad input: $desc (exit $rc)"
		test_failed=$((test_failed + 1))
		sed 's/^/#   /' "$TEST_DIR/bad.out"
	fi
}
bad "a threshold without a unit" "'200': a latency needs a unit" --threshold 'p(99) < 200' "http://127.0.0.1:$PORT/"
bad "an unknown metric" "unknown metric 'latency'" --threshold 'latency < 2s' "http://127.0.0.1:$PORT/"
bad "not an http URL" "is not an http:// or https:// URL" ftp://127.0.0.1/
bad "a bad duration" "-d: '10x': unknown duration unit (use ms, s, m, h or d)" -d 10x "http://127.0.0.1:$PORT/"
bad "a duration without its unit" "-d: '5': a duration needs a unit, e.g. 5s" -d 5 "http://127.0.0.1:$PORT/"
printf 'scenarios:\n  q:\n    duration: 1s\n' >"$TEST_DIR/env.yaml"
bad "--env: the provisioner's own reason" "--env 'nope': no environment 'nope' (see 'provisioner list')" \
	run "$TEST_DIR/env.yaml" --env nope
bad "a bad rate" "-R: 'fast'" -R fast "http://127.0.0.1:$PORT/"
bad "more threads than connections" "fewer connections" -c 2 -t 4 "http://127.0.0.1:$PORT/"
bad "an unknown variable in the body" "unknown variable" --body '${nope}' "http://127.0.0.1:$PORT/"
bad "an unknown command" "unknown command 'rn'" rn x.yaml
bad "a report into a missing directory, found before the run" "--html '$TEST_DIR/nodir/r.html': cannot write" \
	-d 30s --html "$TEST_DIR/nodir/r.html" "http://127.0.0.1:$PORT/"
cat >"$TEST_DIR/bad.yaml" <<'EOF2'
target: http://127.0.0.1:1/
scenarios:
  ingest:
    model: open
    rate: 10r/s
    duration: 2s
    conections: 5
EOF2
bad "a scenario file: unknown key, with where and a suggestion" \
	"bad.yaml:7:5: unknown key 'conections' (did you mean 'connections'?)" run "$TEST_DIR/bad.yaml"
printf 'scenarios:\n  q:\n    duration: 1s\n    thresholds: ["p(99) < fast"]\n' >"$TEST_DIR/bad3.yaml"
bad "a scenario file: a bad threshold, with where" "bad3.yaml:4:18: bad threshold 'p(99) < fast'" run "$TEST_DIR/bad3.yaml"
printf 'scenarios:\n  q:\n    model: closed\n    rate: 5r/s\n    duration: 1s\n' >"$TEST_DIR/bad2.yaml"
bad "a scenario file: a rate in the closed model" "'rate' and 'stages' belong to the open model" run "$TEST_DIR/bad2.yaml"
printf 'scenarios:\n  q:\n    duration: 1s\n' >"$TEST_DIR/notarget.yaml"
bad "no target" "no target: give --target URL or --env NAME" run "$TEST_DIR/notarget.yaml"

# --- scenario files, shards and merge ---
start scen --delay 2ms
printf '[{"id":"${uuid}","n":${seq},"at":"${time}"}]' >"$TEST_DIR/body.json"
cat >"$TEST_DIR/two.yaml" <<EOF2
target: http://127.0.0.1:$PORT/
defaults:
  headers: {Accept: application/json}
  timeout: 5s
thresholds:
  - error_rate < 1%
  - p(99) < 500ms
scenarios:
  ingest:
    model: open
    stages: [{duration: 1s, target: 200r/s}, {duration: 1s, target: 200r/s}]
    connections: 10
    request: {method: POST, path: /v1/observations, body_file: body.json,
              headers: {Content-Type: application/json}}
    thresholds: ["rate >= 140/s"]
  query:
    model: closed
    connections: 2
    duration: 2s
    request: {path: "/v1/observations?station=st-1&limit=10"}
    thresholds: ["requests >= 100"]
EOF2
LT run "$TEST_DIR/two.yaml" -q --json "$TEST_DIR/two.json" --tap "$TEST_DIR/two.tap"
is "$?" 0 "a scenario file with two scenarios at once: every threshold holds"
is "$(j "$TEST_DIR/two.json" "[s['name'] for s in d['scenarios']], [s['model'] for s in d['scenarios']], len(d['thresholds'])")" \
	"(['ingest', 'query'], ['open', 'closed'], 4)" "per-scenario results and thresholds"
ingest=$(j "$TEST_DIR/two.json" "d['scenarios'][0]['requests']")
ok "a ramp 0 -> 200/s over 1 s, then 1 s at 200/s: about 300 requests ($ingest)" within "$ingest" 300 2
is "$(j "$TEST_DIR/two.json" "d['requests'] == sum(s['requests'] for s in d['scenarios'])")" True \
	"the total is the sum of the scenarios"
is "$(j "$TEST_DIR/two.json" "[round(e.get('planned', -1)) for e in d['scenarios'][0]['timeline'][:2]], round(sum(e.get('planned', 0) for e in d['scenarios'][0]['timeline'])), 'planned' in d['timeline'][0]")" \
	"([100, 200], 300, False)" "the timeline carries the plan second by second (the ramp), not for a mix with a closed scenario"
for i in 0 1; do
	LT run "$TEST_DIR/two.yaml" -q --shard $i/2 --json "$TEST_DIR/shard$i.json"
done
"$LOADTEST" merge -q --json "$TEST_DIR/merged.json" --tap "$TEST_DIR/merged.tap" "$TEST_DIR/shard0.json" "$TEST_DIR/shard1.json"
is "$?" 0 "merge: two copies merge, and the thresholds hold on the sum"
is "$(python3 -c "
import json,sys
a,b,m=(json.load(open(f)) for f in sys.argv[1:])
print(m['requests']==a['requests']+b['requests'], m['histogram']['count']==a['histogram']['count']+b['histogram']['count'],
      m['scenarios'][0]['target_rps'], m['merged_from'])" "$TEST_DIR/shard0.json" "$TEST_DIR/shard1.json" "$TEST_DIR/merged.json")" \
	"True True 150.0 2" "merge: counts and histograms add up, the plans too"
rate0=$(j "$TEST_DIR/shard0.json" "d['scenarios'][0]['requests']")
ok "a copy runs its share of the rate ($rate0 of ~300)" within "$rate0" 150 3
echo '{"format":"something-else"}' >"$TEST_DIR/other.json"
bad "merge: a file that is not a result" "not a loadtest result" merge "$TEST_DIR/other.json"
bad "merge: the same file twice" "'$TEST_DIR/shard1.json' and '$TEST_DIR/shard1.json' are the same copy (--shard 1/2)" \
	merge "$TEST_DIR/shard0.json" "$TEST_DIR/shard1.json" "$TEST_DIR/shard1.json"
bad "merge: a copy missing" "copies missing from a run of 2 (--shard I/2, I from 0): 1" merge "$TEST_DIR/shard0.json"
bad "merge: copies of different scenario files" \
	"'$TEST_DIR/shard0.json' and '$TEST_DIR/codes1.json' are results of different tests" \
	merge "$TEST_DIR/shard0.json" "$TEST_DIR/codes1.json"
bad "merge: runs without --shard" "are the same copy (--shard 0/1): to split a test, run each copy with --shard I/N" \
	merge "$TEST_DIR/two.json" "$TEST_DIR/two.json"
LT run "$TEST_DIR/two.yaml" -q --shard 1/2 --run-id later --json "$TEST_DIR/later1.json"
bad "merge: copies of different runs of a test" "are copies of different runs (run id '' and 'later')" \
	merge "$TEST_DIR/shard0.json" "$TEST_DIR/later1.json"
is "$(j "$TEST_DIR/later1.json" "d['run']['shard'], d['run']['shards'], d['run']['id'], d['run']['scenario_sha256'] == __import__('hashlib').sha256(open('$TEST_DIR/two.yaml','rb').read()).hexdigest()")" \
	"(1, 2, 'later', True)" "a copy's result says which copy of which test it is"

# --- render-job ---
"$LOADTEST" render-job "$TEST_DIR/two.yaml" --parallel 4 --target http://api.perf.svc:8080 -o "$TEST_DIR/job.yaml"
is "$?" 0 "render-job writes a Job"
if [ -x "$PROVISIONER" ]; then
	ok "render-job: the Job passes provisioner check (the Kubernetes schema, strictly)" \
		"$PROVISIONER" check "$TEST_DIR/job.yaml"
else
	skip "$PROVISIONER is not built" "render-job: strict validation"
fi
ok "render-job: indexed, 4 copies, each a shard, with the body file" \
	sh -c "grep -q 'completionMode: Indexed' '$TEST_DIR/job.yaml' && grep -q '\$(JOB_COMPLETION_INDEX)/4' '$TEST_DIR/job.yaml' && grep -q 'path: body.json' '$TEST_DIR/job.yaml'"
bad "render-job: --parallel 0" "--parallel: '0'" render-job "$TEST_DIR/two.yaml" --parallel 0
"$LOADTEST" render-job "$TEST_DIR/notarget.yaml" --parallel 2 -o "$TEST_DIR/notarget-job.yaml" 2>"$TEST_DIR/notarget.err"
is "$?:$(cat "$TEST_DIR/notarget.err"):$(test -e "$TEST_DIR/notarget-job.yaml" && echo written)" \
	"2:loadtest: error: no target: give --target URL, or set 'target' in '$TEST_DIR/notarget.yaml':" \
	"render-job: no target, so every pod would fail: refused, nothing written"

# --- TLS with a CA this test makes, through nginx ---
if command -v nginx >/dev/null && command -v openssl >/dev/null; then
	cd "$TEST_DIR"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
		-keyout ca.key -out ca.crt 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
		-keyout srv.key -out srv.csr 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
	openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf \
		-out srv.crt 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other-ca \
		-keyout other.key -out other.crt 2>/dev/null
	tport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p ngx
	cat >ngx/nginx.conf <<EOF2
worker_processes 1;
daemon off;
pid $TEST_DIR/ngx/nginx.pid;
error_log $TEST_DIR/ngx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $TEST_DIR/ngx; proxy_temp_path $TEST_DIR/ngx; fastcgi_temp_path $TEST_DIR/ngx;
  uwsgi_temp_path $TEST_DIR/ngx; scgi_temp_path $TEST_DIR/ngx;
  server {
    listen 127.0.0.1:$tport ssl;
    ssl_certificate $TEST_DIR/srv.crt;
    ssl_certificate_key $TEST_DIR/srv.key;
    keepalive_requests 50;
    location / { if (\$http_authorization != "Bearer tls-canary-3f9a") { return 401; } return 200 "ok\n"; }
  }
}
EOF2
	nginx -c "$TEST_DIR/ngx/nginx.conf" 2>"$TEST_DIR/ngx/start.err" &
	ngx=$!
	for i in $(seq 50); do curl -sk "https://127.0.0.1:$tport/" >/dev/null 2>&1 && break; sleep 0.1; done
	LOADTEST_AUTH_HEADER="Bearer tls-canary-3f9a" "$LOADTEST" --no-progress -c 4 -d 1s --cacert ca.crt \
		--json tls.json --tap tls.tap --junit tls.xml --html tls.html "https://127.0.0.1:$tport/" >tls.out 2>&1
	is "$?:$(j tls.json "d['requests'] > 50, d['errors']['total']")" "0:(True, 0)" \
		"TLS: verified against the test's CA, auth header from LOADTEST_AUTH_HEADER, keep-alive and reconnects"
	LT -c 2 -d 1s --cacert other.crt -q --json tls-bad.json "https://127.0.0.1:$tport/" 2>tls-bad.err
	is "$?:$(j tls-bad.json "d['errors']['connect'] > 0, d['requests'], 'certificate' in d['error_examples']['connect']")" \
		"1:(True, 0, True)" "TLS: a certificate from another CA is refused (connect errors, the reason kept, exit 1)"
	t0=$(date +%s%N)
	LT -R 200 -d 2s --cacert other.crt --json tls-stop.json --tap tls-stop.tap --threshold 'error_rate < 1%' \
		"https://127.0.0.1:$tport/" >tls-stop.out 2>tls-stop.err
	rc=$?
	t1=$(date +%s%N)
	is "$rc:$(j tls-stop.json "d['stopped'], d['errors']['connect'] <= 40")" \
		"1:('every TLS handshake failed: certificate verify failed (unable to get local issuer certificate)', True)" \
		"TLS: when every handshake fails to verify alike, the run stops early, and the result says why"
	ok "in well under the 2 s planned ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 1500
	ok "and the message asks about the CA" grep -qF "loadtest: error: every TLS handshake failed: certificate verify failed (unable to get local issuer certificate); is --cacert right?" tls-stop.err
	ok "so do the summary and TAP" sh -c "grep -q '^  stopped early: every TLS handshake failed' tls-stop.out && grep -q '^# stopped early: every TLS' tls-stop.tap"
	ok "the credential is in no output, report or message" sh -c "! grep -rl 'tls-canary-3f9a' tls.json tls.tap tls.xml tls.html tls.out"
	cd - >/dev/null
else
	skip "nginx or openssl missing" "TLS"
fi

# --- SIGINT: stop early, report what ran, exit 130 ---
start sig
"$LOADTEST" --no-progress -c 2 -d 30s --threshold 'dropped == 0' --json "$TEST_DIR/sig.json" \
	--tap "$TEST_DIR/sig.tap" --junit "$TEST_DIR/sig.xml" --html "$TEST_DIR/sig.html" \
	"http://127.0.0.1:$PORT/" >"$TEST_DIR/sig.out" &
lp=$!
sleep 1
kill -INT $lp
wait $lp
is "$?:$(j "$TEST_DIR/sig.json" "d['requests'] > 0, d['duration_s'] < 5, d['interrupted']")" "130:(True, True, True)" \
	"SIGINT ends the run early, reports what ran, exits 130"
ok "every report says the run was interrupted" sh -c "grep -q '^  interrupted after [0-9.]*s: the figures are of the part that ran' '$TEST_DIR/sig.out' && grep -q '^# interrupted after' '$TEST_DIR/sig.tap' && grep -q '^  interrupted: true' '$TEST_DIR/sig.tap' && grep -q '<property name=\"interrupted\" value=\"true\"/>' '$TEST_DIR/sig.xml' && grep -q '<strong>Interrupted</strong>' '$TEST_DIR/sig.html'"

done_testing
