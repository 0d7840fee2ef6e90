#!/usr/bin/env bash
# chaos proxy, each fault measured from outside the proxy: loadtest against
# tests/tools/test-httpd through it, and tests/tools/tcp-probe.py for one
# direction at a time (one-way delays and closes on one clock). Latency in
# one direction shows in loadtest's p50 and in that direction alone;
# --rate in the download speed of that direction alone; --reset-after as
# connection resets (and so is an upstream that refuses); --blackhole as timeouts with nothing reaching the
# upstream; --slow-close as a late FIN; the proxy exits by itself at
# --duration (0) and on SIGTERM (130); bad addresses and units exit 2,
# an address in use 1. Loopback only; every proxy and server is bounded.
. "$(dirname "$0")/../lib.sh"
CHAOS=${CHAOS:-$BUILD_DIR/chaos/chaos}
LOADTEST=${LOADTEST:-$BUILD_DIR/loadtest/loadtest}
HTTPD=${TEST_HTTPD:-$BUILD_DIR/tests/test-httpd}
PROBE=$SOURCE_DIR/tests/tools/tcp-probe.py
[ -x "$CHAOS" ] || skip_all "$CHAOS is not built"
[ -x "$LOADTEST" ] || skip_all "$LOADTEST is not built"
[ -x "$HTTPD" ] || skip_all "$HTTPD is not built"
command -v python3 >/dev/null || skip_all "python3 is not installed (the probe, and reading JSON)"
command -v curl >/dev/null || skip_all "curl is not installed (downloads through the proxy)"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TEST_DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# httpd NAME ARGS...: a test-httpd on a free port; sets HPORT and HTTPD_PID.
httpd() {
	local name=$1 i
	shift
	"$HTTPD" --port 0 --port-file "$TEST_DIR/$name.port" --duration 120s "$@" 2>"$TEST_DIR/$name.err" &
	HTTPD_PID=$!
	pids+=($!)
	for i in $(seq 100); do [ -s "$TEST_DIR/$name.port" ] && break; sleep 0.05; done
	HPORT=$(cat "$TEST_DIR/$name.port")
}

# proxy NAME UPSTREAM_PORT ARGS...: a chaos proxy for $DURATION (60s) on a
# free port; sets PORT and PROXY_PID.
proxy() {
	local name=$1 up=$2 i
	shift 2
	"$CHAOS" proxy --listen 127.0.0.1:0 --upstream "127.0.0.1:$up" --duration "${DURATION:-60s}" "$@" \
		>"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" &
	PROXY_PID=$!
	pids+=($PROXY_PID)
	for i in $(seq 100); do grep -q '^listening on' "$TEST_DIR/$name.out" && break; sleep 0.05; done
	PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$TEST_DIR/$name.out")
}

# stop NAME: SIGTERM to the last proxy; its exit status
stop() { kill -TERM "$PROXY_PID"; wait "$PROXY_PID"; }

j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(($2))" "$1"; }
# near A B TOL: |A - B| <= TOL
near() { python3 -c "import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b) <= t else 1)" "$@"; }
# between A LO HI: LO <= A <= HI (a fault is never early, but a loaded
# machine can make it late: the tolerances are lopsided)
between() { python3 -c "import sys; a,l,h=map(float,sys.argv[1:]); sys.exit(0 if l <= a <= h else 1)" "$@"; }
lt() { "$LOADTEST" --no-progress -q "$@" 2>>"$TEST_DIR/loadtest.err"; }

# probe MODE DIR ARGS...: a proxy with ARGS in direction DIR before
# tcp-probe.py's server, the probe run in MODE (oneway, close); sets D1 (ms
# in DIR) and D2 (ms in the other direction).
probe() {
	local mode=$1 dir=$2 u other
	shift 2
	u=$(free_port)
	proxy "$mode-$dir" "$u" "$@" --direction "$dir"
	python3 "$PROBE" --server-port "$u" --proxy-port "$PORT" "$mode" >"$TEST_DIR/$mode-$dir.json"
	other=$([ "$dir" = up ] && echo down || echo up)
	D1=$(j "$TEST_DIR/$mode-$dir.json" "d['${dir}_ms']")
	D2=$(j "$TEST_DIR/$mode-$dir.json" "d['${other}_ms']")
	stop "$mode-$dir"
}

httpd main
MAIN=$HPORT

# --- no fault ---
proxy plain "$MAIN"
lt -c 50 -d 2s --json "$TEST_DIR/plain.json" "http://127.0.0.1:$PORT/"
is "$(j "$TEST_DIR/plain.json" "d['requests'] > 100, d['errors']['total'], d['errors']['read'] + d['errors']['connect']")" \
	"(True, 0, 0)" "no fault: 50 connections through the proxy, every answer right"
stop plain; rc=$?
is "$rc" 130 "SIGTERM stops the proxy (exit 130)"
ok "its last line says what it forwarded" grep -qE '^after [0-9.]+ s: 5[0-9] connections \(0 reset, 0 upstream failed\); [0-9.]+ [kM]?B up' "$TEST_DIR/plain.out"

# --- latency: loadtest's p50, then one way at a time ---
lt -c 4 -d 2s --json "$TEST_DIR/direct.json" "http://127.0.0.1:$MAIN/"
base=$(j "$TEST_DIR/direct.json" "d['latency_us']['p50']")
for dir in up down; do
	proxy "lat-$dir" "$MAIN" --latency 200ms --direction $dir
	lt -c 4 -d 3s --json "$TEST_DIR/lat-$dir.json" "http://127.0.0.1:$PORT/"
	p50=$(j "$TEST_DIR/lat-$dir.json" "d['latency_us']['p50']")
	added=$(python3 -c "print(round(($p50 - $base) / 1000, 1))")
	ok "latency 200ms $dir: loadtest's p50 grows by 200 ms, -5 +30 ($added ms)" between "$added" 195 230
	stop "lat-$dir"
	probe oneway $dir --latency 200ms
	ok "latency 200ms $dir: one way $dir takes 200 ms, -5 +30 ($D1 ms)" between "$D1" 195 230
	ok "latency 200ms $dir: the other way adds nothing ($D2 ms < 50)" near "$D2" 0 50
done

# jitter: latency 100ms ± 50ms, both ways; order is kept (every answer right)
proxy jitter "$MAIN" --latency 100ms --jitter 50ms --direction up
lt -c 8 -d 3s --json "$TEST_DIR/jitter.json" "http://127.0.0.1:$PORT/"
is "$(j "$TEST_DIR/jitter.json" "d['errors']['total'], 50000 <= d['latency_us']['min'] and d['latency_us']['max'] <= 160000 + $base, d['latency_us']['p90'] - d['latency_us']['p50'] > 10000")" \
	"(0, True, True)" "jitter 50ms on 100ms: latencies spread between 50 and 150 ms, no errors"
stop jitter

# --- bandwidth: a 2 MB body at 1MB/s one way, at full speed the other ---
httpd big --body-size 2000000
for dir in down up; do
	proxy "rate-$dir" "$HPORT" --rate 1MB/s --direction $dir
	speed=$(curl -s -o /dev/null --max-time 10 -w '%{speed_download}' "http://127.0.0.1:$PORT/")
	if [ $dir = down ]; then
		ok "rate 1MB/s down: the download runs at 1 MB/s ± 15% ($speed B/s)" near "$speed" 1000000 150000
	else
		ok "rate 1MB/s up: the download is not limited ($speed B/s > 5 MB/s)" \
			python3 -c "import sys; sys.exit(0 if $speed > 5e6 else 1)"
	fi
	stop "rate-$dir"
done

# --- reset: at once, and after N bytes of the answer ---
proxy reset0 "$MAIN" --reset-after 0
lt -c 2 -d 1s --json "$TEST_DIR/reset0.json" "http://127.0.0.1:$PORT/"
is "$(j "$TEST_DIR/reset0.json" "d['requests'], d['errors']['read'] > 0, 'reset' in d['error_examples'].get('read', '')")" \
	"(0, True, True)" "reset-after 0: every request fails with a connection reset"
stop reset0
ok "and the proxy counted the resets" grep -qE '^after .* [1-9][0-9]* connections \([1-9][0-9]* reset' "$TEST_DIR/reset0.out"
proxy reset50 "$MAIN" --reset-after 50 --direction down
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/"; rc=$?
is "$rc" 56 "reset-after 50 down: curl gets 50 bytes of the answer, then a reset (curl exit 56)"
stop reset50

# --- an upstream that refuses: the client is reset, the failure counted ---
proxy refused "$(free_port)"
# the reset may come before the client's connect returns, or before or after
# its request is sent: any of them is a reset, not a FIN
ok "an upstream that refuses: the client gets a reset" python3 -c '
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    sys.exit("got %r, not a reset" % s.recv(100))
except ConnectionResetError:
    pass' "$PORT"
stop refused
ok "and the proxy counted an upstream failure" grep -qE '\(0 reset, 1 upstream failed\)' "$TEST_DIR/refused.out"

# --- black hole: timeouts, and nothing reaches the upstream ---
httpd hole
hole_httpd=$HTTPD_PID
proxy hole "$HPORT" --blackhole
lt -c 2 -d 1s --timeout 300ms --json "$TEST_DIR/hole.json" "http://127.0.0.1:$PORT/"
is "$(j "$TEST_DIR/hole.json" "d['requests'], d['errors']['timeout'] > 0")" "(0, True)" \
	"blackhole: requests time out, none is answered"
stop hole
ok "the proxy read and dropped them" grep -qE '; 0 B up, 0 B down, [1-9][0-9.]* [kM]?B dropped$' "$TEST_DIR/hole.out"
kill -TERM "$hole_httpd"; wait "$hole_httpd" 2>/dev/null
ok "the upstream never saw a connection" grep -q ' 0 connections accepted' "$TEST_DIR/hole.err"
proxy hole-down "$MAIN" --blackhole --direction down
lt -c 2 -d 1s --timeout 300ms --json "$TEST_DIR/hole-down.json" "http://127.0.0.1:$PORT/"
is "$(j "$TEST_DIR/hole-down.json" "d['requests'], d['errors']['timeout'] > 0")" "(0, True)" \
	"blackhole down: the requests reach the upstream, the answers do not"
stop hole-down

# --- slow close: the FIN late in one direction only ---
for dir in down up; do
	probe close $dir --slow-close 300ms
	ok "slow-close 300ms $dir: the FIN arrives 300 ms late, -5 +30 ($D1 ms)" between "$D1" 295 330
	ok "slow-close 300ms $dir: the FIN the other way is not held ($D2 ms < 50)" near "$D2" 0 50
done

# --- bounded: it exits by itself ---
start=$(date +%s%N)
timeout 10 "$CHAOS" proxy --listen 127.0.0.1:0 --upstream "127.0.0.1:$MAIN" --duration 1s >"$TEST_DIR/dur.out"; rc=$?
took=$((($(date +%s%N) - start) / 1000000))
is "$rc" 0 "--duration 1s: the proxy exits 0 by itself"
ok "after about a second ($took ms)" near "$took" 1000 500
DURATION=2s proxy busy "$MAIN"
lt -c 4 -d 4s --json "$TEST_DIR/busy.json" "http://127.0.0.1:$PORT/"
wait "$PROXY_PID"; rc=$?
is "$rc" 0 "with connections open, it still stops at --duration, exit 0"

# --- bad input: exit 2, said clearly; an address in use: 1 ---
bad() {
	local want=$1 desc=$2 rc
	shift 2
	"$CHAOS" proxy "$@" >"$TEST_DIR/bad.out" 2>"$TEST_DIR/bad.err"; rc=$?
	is "$rc:$(grep -c -- "$want" "$TEST_DIR/bad.err")" "2:1" "$desc: exit 2, '$want'"
}
A=(--listen 127.0.0.1:0 --upstream "127.0.0.1:$MAIN" --duration 1s)
bad "'8.8.8.8' is neither loopback nor in an environment's namespaces" "an upstream outside" \
	--listen 127.0.0.1:0 --upstream 8.8.8.8:53 --duration 1s
bad "'192.168.1.1' is neither loopback" "a listening address outside" \
	--listen 192.168.1.1:80 --upstream "127.0.0.1:$MAIN" --duration 1s
bad "'localhost' is not a numeric IPv4 address" "a name" \
	--listen 127.0.0.1:0 --upstream "localhost:$MAIN" --duration 1s
bad "port 0 is out of range" "upstream port 0" --listen 127.0.0.1:0 --upstream 127.0.0.1:0 --duration 1s
bad "'127.0.0.1': expected ADDRESS:PORT" "no port" --listen 127.0.0.1 --upstream "127.0.0.1:$MAIN" --duration 1s
bad "--duration is required" "no --duration" --listen 127.0.0.1:0 --upstream "127.0.0.1:$MAIN"
bad "a duration needs a unit" "--latency 200" "${A[@]}" --latency 200
bad "expected a bandwidth such as 1MB/s" "--rate 1MB" "${A[@]}" --rate 1MB
bad "unknown size unit" "--reset-after 10x" "${A[@]}" --reset-after 10x
bad "expected both, up or down" "--direction sideways" "${A[@]}" --direction sideways
ok "nothing was printed on stdout for bad input" test ! -s "$TEST_DIR/bad.out"
"$CHAOS" proxy --listen "127.0.0.1:$MAIN" --upstream "127.0.0.1:$MAIN" --duration 1s >/dev/null 2>"$TEST_DIR/inuse.err"; rc=$?
is "$rc:$(grep -c "cannot listen on 127.0.0.1:$MAIN: Address already in use" "$TEST_DIR/inuse.err")" "1:1" \
	"an address in use: exit 1, said so"
ok "[::1] is loopback too" "$CHAOS" proxy --listen '[::1]:0' --upstream "127.0.0.1:$MAIN" --duration 100ms
ok "an environment's namespace address passes the check (refused only by bind)" sh -c \
	"'$CHAOS' proxy --listen 10.213.250.9:0 --upstream 127.0.0.1:$MAIN --duration 100ms 2>&1 | grep -q 'cannot listen on 10.213.250.9:0'"

done_testing
