#!/usr/bin/env bash
# The command line: help, version, exit codes, command matching, usage
# errors, every command of provisioner and loadtest from a table (help,
# a typo, a bad option), output errors, environment names from git and CI
# variables, the audit trail.
. "$(dirname "$0")/../lib.sh"
P=$PROVISIONER
ENV=$SOURCE_DIR/envs/test.yaml

ok "--version prints the version" sh -c "'$P' --version | grep -q '^provisioner [0-9]'"
ok "--help lists the commands" sh -c "'$P' --help | grep -q 'render'"
"$P" >/dev/null 2>&1; is $? 2 "no command is a usage error (2)"
"$P" frobnicate >/dev/null 2>"$TEST_DIR/err"; is $? 2 "an unknown command exits 2"
ok "an unknown command says so" grep -q "unknown command 'frobnicate'" "$TEST_DIR/err"
ok "a unique prefix selects a command" sh -c "'$P' val -q '$ENV' -b main -c $COMMIT"
"$P" validate --bogus "$ENV" >/dev/null 2>&1; is $? 2 "an unknown option exits 2"
"$P" s >/dev/null 2>"$TEST_DIR/err"; is $? 2 "an ambiguous prefix exits 2"
ok "an ambiguous prefix names the candidates" grep -q "ambiguous command 's' (could be: show, status)" "$TEST_DIR/err"
"$P" validate "$ENV" -b main -b other >/dev/null 2>"$TEST_DIR/err"; is $? 2 "an option given twice exits 2"
ok "which names it" grep -q "option '-b' given twice" "$TEST_DIR/err"
"$P" validate "$ENV" --branch >/dev/null 2>"$TEST_DIR/err"; is $? 2 "an option without its value exits 2"
ok "which names it" grep -q "option '--branch' needs a value" "$TEST_DIR/err"
"$P" list -o yaml >/dev/null 2>"$TEST_DIR/err"; is $? 2 "a value not among an option's choices exits 2"
ok "which lists the choices" grep -q -- "-o: 'yaml': expected text or json" "$TEST_DIR/err"
"$P" validate >/dev/null 2>&1; is $? 2 "a missing argument exits 2"
"$P" validate "$TEST_DIR/none.yaml" >/dev/null 2>"$TEST_DIR/err"; is $? 2 "a missing file exits 2"
ok "a missing file is named" grep -q "none.yaml: cannot read the definition" "$TEST_DIR/err"
"$P" show "$ENV" -b main -c $COMMIT >/dev/full 2>/dev/null; is $? 1 "output that cannot be written fails (exit 1)"
ok "show -o json is JSON" sh -c "'$P' show '$ENV' -b main -c $COMMIT -o json | python3 -m json.tool >/dev/null"

# --- every command of both programs, from one table ---------------------------
LOADTEST=${LOADTEST:-$BUILD_DIR/loadtest/loadtest}
# PROGRAM COMMAND [hidden]
commands="provisioner render
provisioner check
provisioner validate
provisioner name
provisioner show
provisioner up
provisioner status
provisioner list
provisioner logs
provisioner down
provisioner gc
provisioner supervise hidden
provisioner help
provisioner version
loadtest run
loadtest merge
loadtest render-job
loadtest help
loadtest version"
bin() { if [ "$1" = provisioner ]; then echo "$P"; else echo "$LOADTEST"; fi; }
for prog in provisioner loadtest; do
	listed=$("$(bin $prog)" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z-]*\) .*/\1/p' | sort | tr '\n' ' ')
	want=$(echo "$commands" | awk -v p=$prog '$1 == p && $3 != "hidden" { print $2 }' | sort | tr '\n' ' ')
	is "$listed" "$want" "$prog --help lists the commands of this test's table"
	ok "$prog version and --version print the version" sh -c \
		"'$(bin $prog)' version | grep -q '^$prog [0-9]' && '$(bin $prog)' --version | grep -q '^$prog [0-9]'"
done
while read -r prog cmd hidden; do
	b=$(bin $prog)
	"$b" $cmd --help >"$TEST_DIR/help" 2>&1; rc=$?
	is "$rc:$(head -1 "$TEST_DIR/help" | cut -d' ' -f1-3)" "0:usage: $prog $cmd" "$prog $cmd --help: its usage, exit 0"
	ok "$prog help $cmd says the same" sh -c "'$b' help $cmd | cmp -s - '$TEST_DIR/help'"
	ok "$prog $cmd --help: options and exit statuses" sh -c \
		"grep -q '^  -h, --help' '$TEST_DIR/help' && grep -q '^exit status:' '$TEST_DIR/help'"
	"$b" $cmd --no-such-option >/dev/null 2>"$TEST_DIR/err"; rc=$?
	is "$rc:$(grep -c "unknown option '--no-such-option' for '$cmd'" "$TEST_DIR/err")" "2:1" \
		"$prog $cmd --no-such-option: exit 2, named"
	[ -n "$hidden" ] && continue
	typo=${cmd%?}x
	"$b" $typo >/dev/null 2>"$TEST_DIR/err"; rc=$?
	is "$rc:$(grep -c "unknown command '$typo' (did you mean '$cmd'?)" "$TEST_DIR/err")" "2:1" \
		"$prog $typo: exit 2, '$cmd' suggested"
done <<<"$commands"
"$LOADTEST" --no-such-option >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "unknown option '--no-such-option' (see 'loadtest --help')" "$TEST_DIR/err")" "2:1" \
	"loadtest's ad-hoc mode: a bad option exits 2"
"$LOADTEST" r >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "ambiguous command 'r' (could be: run, render-job)" "$TEST_DIR/err")" "2:1" \
	"loadtest: an ambiguous prefix exits 2, naming the candidates"
"$P" help frobnicate >/dev/null 2>&1; is $? 2 "help for an unknown command exits 2"

# --- names ------------------------------------------------------------------
n1=$("$P" name "$ENV" --branch feature/Login_Page)
n2=$("$P" name "$ENV" --branch feature/Login_Page)
n3=$("$P" name "$ENV" --branch feature-login-page)
is "$n1" "$n2" "the same branch gets the same name"
ok "names that sanitise alike differ ($n1, $n3)" test "$n1" != "$n3"
is "$n3" "observatory-feature-login-page" "a branch that is already a label is used as it is"
long=$("$P" name "$ENV" --branch "feature/$(printf 'x%.0s' $(seq 1 100))")
is "${#long}" 63 "a long branch gives a 63-character name"
ok "names are DNS-1123 labels" sh -c "echo '$n1 $long' | grep -Eq '^[a-z][a-z0-9-]*[a-z0-9] [a-z][a-z0-9-]*[a-z0-9]$'"

# the branch from git, and from CI variables on a detached HEAD
if command -v git >/dev/null; then
	repo=$TEST_DIR/repo
	mkdir -p "$repo/envs"
	cp "$SOURCE_DIR"/envs/*.yaml "$repo/envs/"
	git -C "$repo" init -q -b topic/Git-Branch
	git -C "$repo" -c user.name=t -c user.email=t@example.invalid commit -q --allow-empty -m one
	head=$(git -C "$repo" rev-parse HEAD)
	is "$("$P" name "$repo/envs/test.yaml")" "$("$P" name "$ENV" -b topic/Git-Branch)" \
		"the branch is read from git"
	ok "the commit is read from git" sh -c "'$P' show '$repo/envs/test.yaml' | grep -q '\"commit\": \"$head\"'"
	git -C "$repo" checkout -q --detach
	"$P" name "$repo/envs/test.yaml" >/dev/null 2>"$TEST_DIR/err"; is $? 2 "a detached HEAD without CI variables is an error"
	ok "which says to pass --branch" grep -q -- "--branch" "$TEST_DIR/err"
	is "$(CI_COMMIT_REF_NAME=mr/42 "$P" name "$repo/envs/test.yaml")" "$("$P" name "$ENV" -b mr/42)" \
		"GitLab's CI_COMMIT_REF_NAME names a detached HEAD"
	is "$(GITHUB_HEAD_REF=pr-branch GITHUB_REF_NAME=42/merge "$P" name "$repo/envs/test.yaml")" \
		"observatory-pr-branch" "GitHub's GITHUB_HEAD_REF wins over GITHUB_REF_NAME"
	is "$(CI_COMMIT_REF_NAME=mr/42 "$P" name "$repo/envs/test.yaml" --branch override)" \
		"observatory-override" "--branch overrides CI variables"
else
	skip "git is not installed" "names from git and CI variables"
fi

# --- the audit trail ----------------------------------------------------------
GITLAB_USER_LOGIN=ci-bot "$P" render "$ENV" -b main -c $COMMIT --out "$TEST_DIR/out" >/dev/null
log=$PROVISIONER_STATE_DIR/audit.log
ok "render appends to the audit log" test -s "$log"
ok "the record names actor, command, environment, commit and result" python3 -c "
import json,sys
r=[json.loads(l) for l in open('$log')][-1]
assert r['actor']=='ci-bot' and r['command']=='render' and r['environment']=='observatory-main', r
assert r['commit']=='$COMMIT' and r['result']=='ok' and r['exit']==0 and r['time'].endswith('Z'), r"
"$P" validate "$ENV" -b main -c $COMMIT -q
is "$(wc -l <"$log")" 1 "commands that write nothing leave no audit record"
stat_mode=$(stat -c %a "$log")
is "$stat_mode" 600 "the audit log is private (0600)"

done_testing
