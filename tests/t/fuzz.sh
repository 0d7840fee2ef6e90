#!/usr/bin/env bash
# Fuzz the definition loader for a bounded time: libFuzzer when the clang
# build exists ($FUZZ_LOAD, made by scripts/build --test), otherwise the
# mutation driver in the sanitizer build. The corpus is the reference
# definitions and the invalid corpus. FUZZ_SECONDS sets the time (20).
. "$(dirname "$0")/../lib.sh"
fuzzer=${FUZZ_LOAD:-$BUILD_DIR/tests/fuzz-load}
secs=${FUZZ_SECONDS:-20}
[ -x "$fuzzer" ] || skip_all "fuzz-load was not built ($fuzzer)"

corpus=$TEST_DIR/corpus
mkdir -p "$corpus" "$TEST_DIR/work"
cp "$SOURCE_DIR"/envs/*.yaml "$corpus/"
cp "$SOURCE_DIR"/tests/invalid/*.yaml "$corpus/" 2>/dev/null || true
# the reference envs extend base.yaml and nightly.yaml, which the fuzzer
# resolves relative to where it runs
cp "$SOURCE_DIR"/envs/*.yaml "$TEST_DIR/work/"
cd "$TEST_DIR/work"
if "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-print_final_stats=0 "$corpus" >"$TEST_DIR/log" 2>&1; then
	echo "ok 1 - the loader survived $secs s of fuzzing ($(basename "$fuzzer"))"
	grep -E 'runs|Done|#[0-9]+ *DONE' "$TEST_DIR/log" | tail -2 | sed 's/^/# /'
	echo "1..1"
else
	echo "not ok 1 - the loader crashed under fuzzing"
	tail -60 "$TEST_DIR/log" | sed 's/^/#   /'
	mkdir -p "$SOURCE_DIR/build-test/fuzz-crashes" 2>/dev/null && cp crash-* leak-* timeout-* "$SOURCE_DIR/build-test/fuzz-crashes/" 2>/dev/null
	echo "1..1"
	exit 1
fi
