#!/usr/bin/env bash
# The invalid-definition corpus, as TAP.
#
#   tests/t/invalid-corpus.sh [PROVISIONER]
#
# PROVISIONER is the binary under test: the first argument, else
# $PROVISIONER, else $BUILD_DIR/provisioner/provisioner (as CTest runs it).
#
# Each tests/invalid/NN-*.yaml starts with "# expect: TEXT". It is validated
# from inside tests/invalid (so positions print as NN-name.yaml:LINE:COL) and
# passes when `validate` exits with status 2, prints TEXT in one of its
# errors, prints nothing on stdout, trips no sanitizer and does not echo
# the value of a variable from the environment. Companions the cases
# extend live in tests/invalid/lib/. Cases too large to keep in the tree
# are generated here, into a temporary directory.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
corpus=$(cd "$here/../invalid" && pwd)
src=$(cd "$here/../.." && pwd)
prov=${1:-${PROVISIONER:-${BUILD_DIR:-$src/build-test}/provisioner/provisioner}}
case $prov in
/*) ;;
*/*) prov=$PWD/$prov ;;
esac
if ! [ -x "$prov" ] && ! command -v "$prov" >/dev/null 2>&1; then
	echo "Bail out! no provisioner binary at '$prov' (give its path as \$1 or in PROVISIONER)"
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/invalid-corpus.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Nothing from the machine running the tests may change the results: CI
# variables (branch, commit, user) and the variables the cases need unset.
unset CI_COMMIT_REF_NAME CI_COMMIT_BRANCH CI_MERGE_REQUEST_SOURCE_BRANCH_NAME CI_COMMIT_SHA \
      CI_PIPELINE_ID GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_SHA GITLAB_USER_LOGIN GITHUB_ACTOR \
      OBS_DB_PASSWORD OBS_API_TOKEN OBS_OWNER OBS_SURELY_UNSET PROVISIONER_DATADIR
export PROVISIONER_STATE_DIR="$tmp/state"
# 78-value-from-env.yaml reads this; no message may ever show it
export OBS_CORPUS_WORD=corpus-word-7c1e9b

n=0
failed=0

# check NAME EXPECT FILE: validate FILE (relative to the current directory)
check() {
	local name=$1 expect=$2 file=$3 rc problems=()

	n=$((n + 1))
	timeout 10 "$prov" validate "$file" --branch b --commit c \
		>"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	if [ -z "$expect" ]; then
		problems+=("the case has no '# expect: TEXT' first line")
	fi
	if [ $rc -eq 124 ]; then
		problems+=("timed out after 10s")
	elif [ $rc -ne 2 ]; then
		problems+=("exit status $rc, want 2")
	fi
	if [ -n "$expect" ] && ! grep -aqF -- "$expect" "$tmp/stderr"; then
		problems+=("stderr lacks the expected error")
	fi
	if [ -s "$tmp/stdout" ]; then
		problems+=("stdout is not empty")
	fi
	if grep -aqE 'ERROR: [A-Za-z]*Sanitizer|WARNING: [A-Za-z]*Sanitizer|runtime error:' "$tmp/stderr"; then
		problems+=("sanitizer report")
	fi
	if grep -aqF -- "$OBS_CORPUS_WORD" "$tmp/stderr" "$tmp/stdout"; then
		problems+=("the value of an environment variable was printed")
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok $n - $name"
		return
	fi
	failed=$((failed + 1))
	echo "not ok $n - $name"
	for p in "${problems[@]}"; do
		echo "#   $p"
	done
	echo "#   expected: $expect"
	echo "#   exit status: $rc"
	sed -n '1,20s/^/#   stderr: /p' "$tmp/stderr"
	sed -n '1,5s/^/#   stdout: /p' "$tmp/stdout"
}

cd "$corpus" || exit 2

# The companion every case extends must itself be valid, or the cases
# would test nothing but it.
n=$((n + 1))
if timeout 10 "$prov" validate lib/base.yaml --branch b --commit c >"$tmp/stdout" 2>"$tmp/stderr"; then
	echo "ok $n - lib/base.yaml is valid"
else
	failed=$((failed + 1))
	echo "not ok $n - lib/base.yaml is valid"
	sed -n '1,20s/^/#   stderr: /p' "$tmp/stderr"
fi

cases=([0-9][0-9]-*.yaml [0-9][0-9][0-9]-*.yaml)
if ! [ -e "${cases[0]}" ]; then
	echo "Bail out! no cases in $corpus"
	exit 2
fi
for f in "${cases[@]}"; do
	expect=$(head -n 1 -- "$f" | tr -d '\r')
	case $expect in
	"# expect: "?*) expect=${expect#"# expect: "} ;;
	*) expect= ;;
	esac
	check "$f" "$expect" "$f"
done

# Generated cases, too large to keep in the tree.
cd "$tmp" || exit 2
base=$corpus/lib/base.yaml

# over the 4 MiB limit of a definition (about 6.6 MB, valid otherwise)
{
	echo "extends: $base"
	echo "services:"
	awk 'BEGIN { for (i = 1; i <= 120000; i++)
		printf "  svc-%d: {image: registry.example.com/svc:1, port: 8080}\n", i }'
} >file-too-large.yaml
check "file-too-large.yaml (generated)" \
	"file-too-large.yaml: file too large (the limit is 4194304 bytes)" file-too-large.yaml

# 10000 nested flow lists; the limit is 64 levels, reached at the 65th '['
{
	echo "extends: $base"
	printf 'owner: '
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["; for (i = 0; i < 10000; i++) printf "]"; print "" }'
} >deep-nesting.yaml
check "deep-nesting.yaml (generated)" "deep-nesting.yaml:2:72: nesting is too deep" deep-nesting.yaml

# a chain of 17 files, one more than 'extends' may chain
echo "extends: chain-01.yaml" >extends-too-deep.yaml
for i in $(seq 1 16); do
	printf 'extends: chain-%02d.yaml\n' $((i + 1)) >"$(printf 'chain-%02d.yaml' "$i")"
done
echo "extends: $base" >chain-17.yaml
check "extends-too-deep.yaml (generated)" \
	"chain-15.yaml:1:10: 'extends' chain is deeper than 16 files" extends-too-deep.yaml

# a depends_on chain of 400 services, closed into a cycle at its end
chain() {
	echo "extends: $base"
	echo "services:"
	awk -v cyc="$1" 'BEGIN { for (i = 1; i <= 400; i++) {
		dep = i < 400 ? "svc-" (i + 1) : (cyc ? "svc-1" : "db")
		printf "  svc-%d: {image: x, port: 8080, depends_on: [%s]}\n", i, dep } }'
}
chain 1 >long-cycle.yaml
check "long-cycle.yaml (generated)" \
	"long-cycle.yaml:3:3: 'depends_on' cycle: svc-1 -> svc-2 -> svc-3 -> svc-4 -> (393 more) -> svc-398 -> svc-399 -> svc-400 -> svc-1" long-cycle.yaml

# Not errors, and not reported twice: checks of the checker itself.
chain 0 >long-chain.yaml
n=$((n + 1))
if timeout 10 "$prov" validate long-chain.yaml --branch b --commit c >"$tmp/stdout" 2>"$tmp/stderr"; then
	echo "ok $n - a depends_on chain of 400 services without a cycle is valid"
else
	failed=$((failed + 1))
	echo "not ok $n - a depends_on chain of 400 services without a cycle is valid"
	sed -n '1,5s/^/#   stderr: /p' "$tmp/stderr"
fi

printf 'extends: %s\nservices:\n  api: {depends_on: [db, api]}\n' "$base" >self-dependency.yaml
n=$((n + 1))
timeout 10 "$prov" validate self-dependency.yaml --branch b --commit c >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ $rc -eq 2 ] && [ "$(grep -c . "$tmp/stderr")" -eq 1 ] &&
	grep -qF "self-dependency.yaml:3:26: service 'api' depends on itself" "$tmp/stderr"; then
	echo "ok $n - depending on oneself is one error, not also a cycle"
else
	failed=$((failed + 1))
	echo "not ok $n - depending on oneself is one error, not also a cycle"
	sed -n '1,5s/^/#   stderr: /p' "$tmp/stderr"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
