#!/usr/bin/env bash
# Fuzz loadtest's HTTP response parser for a bounded time: libFuzzer when
# the clang build exists ($FUZZ_HTTP, made by scripts/build --test),
# otherwise the mutation driver in the sanitizer build. The seed corpus is
# written here: the framings the parser knows. FUZZ_SECONDS sets the time.
. "$(dirname "$0")/../lib.sh"
fuzzer=${FUZZ_HTTP:-$BUILD_DIR/tests/fuzz-http}
secs=${FUZZ_SECONDS:-15}
[ -x "$fuzzer" ] || skip_all "fuzz-http was not built ($fuzzer)"

corpus=$TEST_DIR/corpus
mkdir -p "$corpus"
seed() { printf "$2" >"$corpus/$1"; }
seed len     '\x07HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n'
seed chunked '\x03HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nT: 1\r\n\r\n'
seed eof     '\x3fHTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody until close'
seed interim '\x81HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'
seed lf      '\x10HTTP/1.1 503 Busy\nConnection: close\nContent-Length: 0\n\n'

if "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
	-print_final_stats=0 "$corpus" >"$TEST_DIR/log" 2>&1; then
	echo "ok 1 - the HTTP response parser survived $secs s of fuzzing ($(basename "$fuzzer"))"
	grep -E 'runs|Done|#[0-9]+ *DONE' "$TEST_DIR/log" | tail -2 | sed 's/^/# /'
else
	echo "not ok 1 - the HTTP response parser crashed under fuzzing"
	tail -60 "$TEST_DIR/log" | sed 's/^/#   /'
fi
echo "1..1"
