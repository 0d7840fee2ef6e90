#!/usr/bin/env bash
# Every fuzz target for a bounded time each: libFuzzer when the clang build
# made it ($FUZZ_DIR, build-fuzz/tests from scripts/build --test),
# otherwise the mutation driver of the sanitizer build. Each starts from
# its seed corpus, tests/fuzz/corpus/TARGET/ (copied: libFuzzer adds to
# its first corpus directory); the definition loader also from the
# reference definitions and the invalid corpus. FUZZ_SECONDS sets the time
# per target (10); FUZZ_TARGETS picks some.
#
# A crash is copied to build-test/fuzz-crashes/; once fixed, it goes into
# the target's corpus as a regression seed.
. "$(dirname "$0")/../lib.sh"
secs=${FUZZ_SECONDS:-10}
targets=${FUZZ_TARGETS:-"fuzz-load fuzz-http fuzz-batch-json fuzz-batch-csv fuzz-scenario fuzz-threshold fuzz-pipeline"}
crashes=$BUILD_DIR/fuzz-crashes

# max_len: what each parser is given at most in use, well beyond its seeds
max_len() {
	case $1 in
	fuzz-http) echo 16384 ;;
	fuzz-threshold) echo 256 ;;
	*) echo 65536 ;;
	esac
}

fuzz() {
	local t=$1 fuzzer work corpus
	fuzzer=${FUZZ_DIR:-$BUILD_DIR/tests}/$t
	[ -x "$fuzzer" ] || fuzzer=$BUILD_DIR/tests/$t
	if [ ! -x "$fuzzer" ]; then
		skip "$t was not built (not in ${FUZZ_DIR:-$BUILD_DIR/tests} nor $BUILD_DIR/tests)" "$t"
		return
	fi
	work=$TEST_DIR/$t
	corpus=$work/corpus
	mkdir -p "$corpus" "$work/run"
	cp "$SOURCE_DIR/tests/fuzz/corpus/$t"/* "$corpus/"
	case $t in
	fuzz-load)
		cp "$SOURCE_DIR"/envs/*.yaml "$SOURCE_DIR"/tests/invalid/*.yaml "$corpus/"
		# the reference envs extend base.yaml and nightly.yaml, which the
		# fuzzer resolves relative to where it runs
		cp "$SOURCE_DIR"/envs/*.yaml "$work/run/" ;;
	fuzz-pipeline)
		cp "$SOURCE_DIR"/tests/invalid-pipelines/*.yaml "$corpus/" ;;
	fuzz-scenario)
		# smoke.yaml's body_file, relative to where the fuzzer runs
		cp "$SOURCE_DIR"/loadtest/ingest-batch.json "$work/run/" ;;
	esac
	test_count=$((test_count + 1))
	if (cd "$work/run" && "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=0 "$corpus") >"$work/log" 2>&1; then
		echo "ok $test_count - $t survived $secs s of fuzzing ($fuzzer)"
		grep -E 'runs|Done|#[0-9]+ *DONE' "$work/log" | tail -1 | sed 's/^/# /'
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $t crashed under fuzzing ($fuzzer)"
		tail -60 "$work/log" | sed 's/^/#   /'
		mkdir -p "$crashes" && cp "$work"/run/crash-* "$work"/run/leak-* "$work"/run/timeout-* \
			"$crashes/" 2>/dev/null
	fi
}

for t in $targets; do
	fuzz "$t"
done
done_testing
