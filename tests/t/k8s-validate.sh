#!/bin/sh
# TAP test of tests/tools/k8s-validate.c, the strict Kubernetes manifest
# validator.  Every file in tests/k8s-validate/valid must pass; every file
# in tests/k8s-validate/invalid must fail (exit 1) with an error containing
# the text its first line names, "# expect: <substring>".  A few more tests
# cover exit 2: YAML syntax errors, usage errors, an unreadable schema.
#
# Usage: k8s-validate.sh [PATH-TO-BINARY]
# The binary is $1, else $K8S_VALIDATE, else $BUILD_DIR/tests/k8s-validate
# (as CTest runs it).  The schema is $K8S_SCHEMA, else the copy the
# repository ships, k8s/schemas/kubernetes-1.36/definitions.json.
set -u

here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../k8s-validate
bin=${1:-${K8S_VALIDATE:-}}
if [ -z "$bin" ] && [ -n "${BUILD_DIR:-}" ]; then
	bin=$BUILD_DIR/tests/k8s-validate
fi
schema=${K8S_SCHEMA:-$here/../../k8s/schemas/kubernetes-1.36/definitions.json}

if [ ! -r "$schema" ]; then
	echo "Bail out! schema not found: $schema"
	exit 1
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "Bail out! k8s-validate binary not found; pass it as \$1 or K8S_VALIDATE"
	exit 1
fi
# Absolute paths, as the tests run from the fixture directory.
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
case $schema in /*) ;; *) schema=$PWD/$schema ;; esac
export K8S_SCHEMA="$schema"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/k8s-validate.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
cd "$fixtures" || exit 1

n=0
failed=0

# TAP descriptions must not carry a '#', which would start a directive.
pass() {
	n=$((n + 1))
	printf 'ok %d - %s\n' "$n" "$(printf '%s' "$1" | sed 's/#/\\#/g')"
}

fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	printf 'not ok %d - %s\n' "$n" "$(printf '%s' "$1" | sed 's/#/\\#/g')"
	[ -n "${2:-}" ] && printf '# %s\n' "$2"
	sed 's/^/#   /' "$out"
}

# run EXPECTED-STATUS ARGS...: run the binary, output in $out; true if the
# exit status is the expected one.
run() {
	want=$1
	shift
	"$bin" "$@" >"$out" 2>&1
	status=$?
	[ "$status" -eq "$want" ]
}

# contains TEXT: true if the last run printed TEXT.
contains() {
	grep -qF -- "$1" "$out"
}

set -- valid/*.yaml
nvalid=$#
set -- invalid/*.yaml
ninvalid=$#
echo "1..$((nvalid + ninvalid + 7))"

for f in valid/*.yaml; do
	if run 0 "$f"; then
		pass "$f"
	else
		fail "$f" "exit status $status, want 0"
	fi
done

for f in invalid/*.yaml; do
	expect=$(sed -n '1s/^# expect: //p' "$f")
	if [ -z "$expect" ]; then
		: >"$out"
		fail "$f" "first line is not '# expect: <message>'"
	elif run 1 "$f" && contains "$expect"; then
		pass "$f: $expect"
	else
		fail "$f: $expect" "exit status $status, want 1 and the message"
	fi
done

# Every valid file in one run, as the renderer's output is checked.
if run 0 valid/*.yaml && contains " objects, 0 errors"; then
	pass "all valid files in one run"
else
	fail "all valid files in one run" "exit status $status"
fi

# Every invalid file in one run: each reports at least one error.
if run 1 invalid/*.yaml && [ "$(grep -c '^invalid/' "$out")" -ge "$ninvalid" ]; then
	pass "all invalid files in one run"
else
	fail "all invalid files in one run" "exit status $status"
fi

printf 'apiVersion: v1\nkind: ConfigMap\ndata: [a\n' >"$tmp/broken.yaml"
if run 2 "$tmp/broken.yaml" && contains "broken.yaml:4:1: yaml error:"; then
	pass "yaml syntax error: exit 2 with file:line:col"
else
	fail "yaml syntax error: exit 2 with file:line:col" "exit status $status"
fi

if printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' |
	run 0 - && contains "1 objects, 0 errors"; then
	pass "standard input as -"
else
	fail "standard input as -" "exit status $status"
fi

if run 2; then
	pass "no file: usage error, exit 2"
else
	fail "no file: usage error, exit 2" "exit status $status"
fi

if run 2 --schema "$tmp/none.json" valid/service.yaml; then
	pass "unreadable schema: exit 2"
else
	fail "unreadable schema: exit 2" "exit status $status"
fi

if run 2 "$tmp/none.yaml"; then
	pass "unreadable file: exit 2"
else
	fail "unreadable file: exit 2" "exit status $status"
fi

[ "$failed" -eq 0 ]
