#!/usr/bin/env bash
# tests/tools/test-httpd, the server loadtest's tests run against: answers,
# keep-alive and pipelining, request bodies, --delay, --chunked,
# --close-every, --stall-every, /status/NNN, malformed requests, loopback only, and that
# it stops on SIGTERM and by itself after --duration. Talks to it with curl
# (and bash's /dev/tcp for raw bytes).
. "$(dirname "$0")/../lib.sh"
HTTPD=${TEST_HTTPD:-$BUILD_DIR/tests/test-httpd}
[ -x "$HTTPD" ] || skip_all "$HTTPD is not built"
command -v curl >/dev/null || skip_all "curl is not installed"

# Every server started here, so the exit trap stops them, by PID.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TEST_DIR"
}
trap cleanup EXIT

# start NAME ARGS...: starts a server on a free port; sets PORT and PID.
# Its standard error goes to $TEST_DIR/NAME.err. Each gets --duration 60s
# unless ARGS say otherwise, so none outlives the test.
start() {
	local name=$1
	shift
	rm -f "$TEST_DIR/$name.port"
	"$HTTPD" --port 0 --port-file "$TEST_DIR/$name.port" --duration 60s "$@" \
		2>"$TEST_DIR/$name.err" &
	PID=$!
	pids+=("$PID")
	for _ in $(seq 1 100); do
		[ -s "$TEST_DIR/$name.port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$TEST_DIR/$name.port" 2>/dev/null || echo 0)
	URL=http://127.0.0.1:$PORT/
}

# stop: SIGTERM to the last server started; sets RC to its exit status
stop() {
	kill -TERM "$PID"
	RC=0
	wait "$PID" || RC=$?
}

fetch() { curl -s --max-time 10 "$@"; }

# raw BYTES: sends BYTES (printf format) on a new connection and prints
# what comes back until the server closes it (at most 5 s).
raw() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "$2" >&3 && cat <&3' _ "$PORT" "$1"
}

# statuses TEXT: the status codes of the responses in TEXT ("200 400 ")
statuses() { grep -o 'HTTP/1\.1 [0-9][0-9][0-9]' <<<"$1" | cut -d ' ' -f 2 | tr '\n' ' '; }

# --- answers, keep-alive, bodies ---------------------------------------------
start plain
ok "writes the port it bound to --port-file" test "$PORT" -gt 0
is "$(fetch -o "$TEST_DIR/body" -w '%{http_code}' "$URL")" 200 "answers 200"
is "$(cat "$TEST_DIR/body")" ok "with the body 'ok'"
is "$(fetch -w '%{num_connects}' -o /dev/null "$URL" -o /dev/null "$URL" -o /dev/null "$URL")" 100 \
	"keeps the connection alive (3 requests, 1 connect)"
out=$(raw 'GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\nGET /c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
is "$(statuses "$out")" "200 200 200 " "answers 3 pipelined requests in one write, then closes"
head -c 1048576 /dev/zero >"$TEST_DIR/1mb"
is "$(fetch --data-binary @"$TEST_DIR/1mb" -w ' %{http_code}' "$URL" "$URL")" "ok 200ok 200" \
	"reads and discards a 1 MB POST body, then serves the next request"
t=$(fetch -o /dev/null -w '%{time_total}' -H 'Expect: 100-continue' --data-binary @"$TEST_DIR/1mb" "$URL")
ok "answers 'Expect: 100-continue' at once ($t s)" awk -v t="$t" 'BEGIN { exit !(t < 0.9) }'

# --- malformed requests ------------------------------------------------------
is "$(fetch -o /dev/null -w '%{http_code}' -X 'BAD REQUEST' "$URL")" 400 \
	"a malformed request line gets 400"
out=$(raw 'GET / HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n')
ok "a malformed header gets 400 and the connection is closed" \
	test "$(statuses "$out")" = "400 "
out=$(raw 'GET / HTTP/1.1\r\nHost: t\r\n\r\nGARBAGE\r\n\r\n')
is "$(statuses "$out")" "200 400 " \
	"a bad request after a good one: 200 first, then 400"
out=$(raw 'GET / HTTP/1.1\r\n\r\n')
is "$(statuses "$out")" "400 " "HTTP/1.1 without Host gets 400"
is "$(fetch -o /dev/null -w '%{http_code}' -I "$URL")" 501 "HEAD gets 501 (every response has the body)"
big=$(printf 'x%.0s' $(seq 1 17000))
is "$(fetch -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$URL")" 431 "a head over 16 KB gets 431"

stop
is "$RC" 0 "SIGTERM: exits 0"
ok "SIGTERM: prints the summary" grep -Eq '^test-httpd: [0-9]+ requests served, [0-9]+ connections accepted$' \
	"$TEST_DIR/plain.err"

# --- options -----------------------------------------------------------------
start delay --delay 200ms
t=$(fetch -o /dev/null -w '%{time_total}' "$URL")
ok "--delay 200ms: the response takes >= 200 ms ($t s)" awk -v t="$t" 'BEGIN { exit !(t >= 0.2) }'
ok "--delay 200ms: and not much more ($t s)" awk -v t="$t" 'BEGIN { exit !(t < 1.0) }'
stop

start chunked --chunked --body-size 100000
fetch -D "$TEST_DIR/headers" -o "$TEST_DIR/body" "$URL"
ok "--chunked: sent with Transfer-Encoding: chunked" grep -qi '^transfer-encoding: chunked' "$TEST_DIR/headers"
want=$(python3 -c 'print(("ok" * 50000), end="")')
is "$(cat "$TEST_DIR/body")" "$want" "--chunked --body-size 100000: the body arrives intact"
stop

start close --close-every 1
fetch -D "$TEST_DIR/headers" -o /dev/null "$URL"
ok "--close-every 1: says Connection: close" grep -qi '^connection: close' "$TEST_DIR/headers"
is "$(fetch -w '%{num_connects}' -o /dev/null "$URL" -o /dev/null "$URL")" 11 "--close-every 1: a new connection for each request"
stop
ok "--close-every 1: the server counted 3 connections" grep -q ' 3 requests served, 3 connections accepted' \
	"$TEST_DIR/close.err"

start stall --stall-every 400ms --stall-for 250ms
slow=0
for _ in $(seq 1 15); do
	t=$(fetch -o /dev/null -w '%{time_total}' "$URL")
	awk -v t="$t" 'BEGIN { exit !(t >= 0.1) }' && slow=$((slow + 1))
	sleep 0.05
done
ok "--stall-every: some responses wait for the stall to end ($slow of 15)" test "$slow" -ge 1 -a "$slow" -lt 15
stop

start status --status 503 --body-size 0
is "$(fetch -o /dev/null -w '%{http_code} %{size_download}' "$URL")" "503 0" "--status 503 --body-size 0"
is "$(fetch -w ' %{http_code}' "${URL}status/429?page=2")" "status 429 as asked
 429" "/status/NNN is answered NNN, whatever --status says"
out=$(raw 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /status/401 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n')
is "$(statuses "$out")" "503 401 " "and the connection is closed after it"
is "$(fetch -o /dev/null -w '%{http_code}' "${URL}status/600") $(fetch -o /dev/null -w '%{http_code}' "${URL}status/4291")" \
	"503 503" "a code out of range or a longer path is no such request"
stop

"$HTTPD" --addr 0.0.0.0 --port 0 2>"$TEST_DIR/err"
is "$?" 2 "refuses an address other than 127.0.0.1 (exit 2)"
ok "and says so" grep -q "refusing to listen on '0.0.0.0'" "$TEST_DIR/err"
"$HTTPD" --delay 10 2>/dev/null
is "$?" 2 "a duration without a unit is a usage error"

start duration --duration 1s
t0=$(date +%s%N)
RC=0
timeout 10 tail --pid="$PID" -f /dev/null || RC=$?
wait "$PID" || RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$RC" 0 "--duration 1s: exits 0 by itself"
ok "--duration 1s: after about a second (${ms} ms after start-up)" test "$ms" -lt 3000
ok "--duration 1s: prints the summary" grep -q 'requests served' "$TEST_DIR/duration.err"

done_testing
