#!/usr/bin/env bash
# The invalid-definition corpus: each tests/invalid/NN-*.yaml starts with
# "# expect: TEXT"; `validate` must exit 2, print TEXT among its errors,
# print nothing on stdout, and trip no sanitizer. Two cases are generated
# here, being too large to keep: a file over the 4 MiB limit, and nesting
# deeper than 64 levels.
. "$(dirname "$0")/../lib.sh"
corpus=$SOURCE_DIR/tests/invalid
unset OBS_DB_PASSWORD OBS_SURELY_UNSET

check() {   # FILE EXPECT (run from the file's directory)
	local file=$1 expect=$2 rc
	test_count=$((test_count + 1))
	timeout 20 "$PROVISIONER" validate "$file" --branch b --commit c \
		>"$TEST_DIR/stdout" 2>"$TEST_DIR/stderr"
	rc=$?
	if [ $rc -eq 2 ] && grep -qF -- "$expect" "$TEST_DIR/stderr" && [ ! -s "$TEST_DIR/stdout" ] &&
		! grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer' "$TEST_DIR/stderr"; then
		echo "ok $test_count - $file"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $file"
		echo "#   exit status $rc (want 2); want in stderr: $expect"
		sed 's/^/#   stderr: /' "$TEST_DIR/stderr" | head -15
		sed 's/^/#   stdout: /' "$TEST_DIR/stdout" | head -5
	fi
}

cd "$corpus"
for f in [0-9]*.yaml; do
	check "$f" "$(sed -n '1s/^# expect: //p' "$f")"
done

cd "$TEST_DIR"
{ echo "extends: $corpus/lib/base.yaml"; echo "services:"
  for i in $(seq 1 120000); do echo "  svc-$i: {image: registry.example/x:1, port: 8080}"; done; } >huge.yaml
check huge.yaml "huge.yaml: file too large (the limit is 4194304 bytes)"
{ echo "extends: $corpus/lib/base.yaml"; printf 'owner: '; printf '[%.0s' $(seq 1 100); echo; } >deep.yaml
check deep.yaml "deep.yaml:2:"
grep -q "nesting is too deep" "$TEST_DIR/stderr" || { test_failed=$((test_failed + 1)); echo "# deep.yaml: no 'nesting is too deep'"; }

n=$(ls "$corpus"/[0-9]*.yaml | wc -l)
test_count=$((test_count + 1))
if [ "$n" -ge 30 ]; then echo "ok $test_count - the corpus has $n cases (at least 30)"; else
	test_failed=$((test_failed + 1)); echo "not ok $test_count - the corpus has only $n cases"; fi
done_testing
