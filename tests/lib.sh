# Shared set-up for the shell tests: TAP output, a private temporary
# directory per test script (removed on exit), and the binaries under test.
#
#   . "$(dirname "$0")/../lib.sh"
#   ok "description" command args...     # passes if the command succeeds
#   is "$got" "$want" "description"
#   skip_all "reason"                     # nothing can run here; says why
#   done_testing
#   json FILE EXPR                        # a value from a JSON document (python3)
#   need_runtime                          # skip_all unless PostgreSQL 15, nginx, curl, python3

set -u
SOURCE_DIR=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD_DIR=$(cd "${BUILD_DIR:-$SOURCE_DIR/build-test}" 2>/dev/null && pwd || echo "${BUILD_DIR:-$SOURCE_DIR/build-test}")
PROVISIONER=${PROVISIONER:-$BUILD_DIR/provisioner/provisioner}
K8S_SCHEMA=${K8S_SCHEMA:-$SOURCE_DIR/k8s/schemas/kubernetes-1.36/definitions.json}
export K8S_SCHEMA

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/provisioner-test.XXXXXX")
trap 'rm -rf "$TEST_DIR"' EXIT
# state and audit records of the tests stay in the test's own directory
export PROVISIONER_STATE_DIR="$TEST_DIR/state"
# CI variables of the machine running the tests must not leak into them
unset CI_COMMIT_REF_NAME CI_COMMIT_BRANCH CI_MERGE_REQUEST_SOURCE_BRANCH_NAME CI_COMMIT_SHA \
      GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_SHA GITLAB_USER_LOGIN GITHUB_ACTOR CI_PIPELINE_ID

test_count=0
test_failed=0

ok() {
	local desc=$1
	shift
	test_count=$((test_count + 1))
	if "$@" >"$TEST_DIR/.out" 2>&1; then
		echo "ok $test_count - $desc"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $desc"
		sed 's/^/#   /' "$TEST_DIR/.out" | head -40
		return 1
	fi
}

is() {
	test_count=$((test_count + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $test_count - $3"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
		return 1
	fi
}

skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $2 # SKIP $1"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}

# What the local runtime's tests need (PostgreSQL 15, nginx, curl,
# python3), or skip_all saying which is missing. Sets pg_bin.
need_runtime() {
	pg_bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null)
	[ -n "$pg_bin" ] || skip_all "PostgreSQL 15 is not installed (Debian package postgresql-15)"
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip_all "nginx is not installed"
	command -v curl >/dev/null || skip_all "curl is not installed"
	command -v python3 >/dev/null || skip_all "python3 is not installed"
}

# The commit the tests pass, so output does not depend on the checkout.
COMMIT=0123456789abcdef0123456789abcdef01234567

# A value of the JSON document FILE: EXPR is a python3 expression on `d`;
# lists and objects come out as JSON.
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1" "$2"
}
