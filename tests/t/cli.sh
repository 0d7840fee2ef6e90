#!/usr/bin/env bash
# The command line: help, version, exit codes, command matching, usage
# errors, every command of provisioner, loadtest, chaos and pipeline from a table (help,
# a typo, a bad option, a mistyped option), suggestions for choices and
# Terraform-style options, what -o and -t mean, the README's exit table,
# completion and man pages against the tables, colour, -o json/yaml and
# their format markers, missing environments (exit 2), logs of the
# gateway, up --dry-run for people, status --wait, output errors,
# environment names from git and CI variables, the audit trail.
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
"$P" list -o xml >/dev/null 2>"$TEST_DIR/err"; is $? 2 "a value not among an option's choices exits 2"
ok "which lists the choices" grep -q -- "-o: 'xml': expected text, json or yaml" "$TEST_DIR/err"
"$P" validate >/dev/null 2>&1; is $? 2 "a missing argument exits 2"
"$P" validate "$TEST_DIR/none.yaml" >/dev/null 2>"$TEST_DIR/err"; is $? 2 "a missing file exits 2"
ok "a missing file is named" grep -q "none.yaml: cannot read the definition" "$TEST_DIR/err"
"$P" show "$ENV" -b main -c $COMMIT >/dev/full 2>/dev/null; is $? 1 "output that cannot be written fails (exit 1)"
ok "show -o json is JSON" sh -c "'$P' show '$ENV' -b main -c $COMMIT -o json | python3 -m json.tool >/dev/null"

# --- every command of both programs, from one table ---------------------------
LOADTEST=${LOADTEST:-$BUILD_DIR/loadtest/loadtest}
CHAOS=${CHAOS:-$BUILD_DIR/chaos/chaos}
PIPELINE=${PIPELINE:-$BUILD_DIR/pipelines/pipeline}
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
provisioner failover
provisioner gc
provisioner supervise hidden
provisioner help
provisioner version
provisioner completion
provisioner man hidden
loadtest run
loadtest merge
loadtest render-job
loadtest help
loadtest version
loadtest completion
loadtest man hidden
chaos proxy
chaos help
chaos version
chaos completion
chaos man hidden
pipeline run
pipeline validate
pipeline help
pipeline version
pipeline completion
pipeline man hidden"
bin() { case $1 in provisioner) echo "$P" ;; loadtest) echo "$LOADTEST" ;; chaos) echo "$CHAOS" ;; pipeline) echo "$PIPELINE" ;; esac; }
for prog in provisioner loadtest chaos pipeline; do
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
	# an option with a letter too many: the option suggested
	opt=$(grep -o -- '--[a-z][a-z-]*' "$TEST_DIR/help" | grep -vx -- '--help' | head -1)
	if [ -n "$opt" ]; then
		"$b" $cmd ${opt}x >/dev/null 2>"$TEST_DIR/err"; rc=$?
		is "$rc:$(grep -c "unknown option '${opt}x' for '$cmd' (did you mean '$opt'?)" "$TEST_DIR/err")" "2:1" \
			"$prog $cmd ${opt}x: exit 2, '$opt' suggested"
	fi
done <<<"$commands"
"$LOADTEST" --no-such-option >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "unknown option '--no-such-option' (see 'loadtest --help')" "$TEST_DIR/err")" "2:1" \
	"loadtest's ad-hoc mode: a bad option exits 2"
"$LOADTEST" r >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "ambiguous command 'r' (could be: run, render-job)" "$TEST_DIR/err")" "2:1" \
	"loadtest: an ambiguous prefix exits 2, naming the candidates"
"$P" help frobnicate >/dev/null 2>&1; is $? 2 "help for an unknown command exits 2"
"$P" help upp >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "unknown command 'upp' (did you mean 'up'?)" "$TEST_DIR/err")" "2:1" "help for a typo suggests the command"
ok "provisioner help up prints up's help, not the program's" sh -c "'$P' help up | head -1 | grep -q '^usage: provisioner up ENV_FILE'"

# a choice's value, a Terraform-style option with one dash, a shell: the nearest suggested
"$P" render "$ENV" -b main -c $COMMIT --target kubernets >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "target: 'kubernets': expected all, terraform or kubernetes (did you mean 'kubernetes'?)" "$TEST_DIR/err")" "2:1" \
	"a mistyped choice suggests the nearest (--target kubernets)"
"$P" status -o jsno >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "did you mean 'json'" "$TEST_DIR/err")" "2:1" "and so does -o jsno"
"$P" render "$ENV" -b main -c $COMMIT -target=terraform >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "unknown option '-target' (did you mean '--target'?)" "$TEST_DIR/err")" "2:1" \
	"a long option with one dash, as Terraform writes them, is named with two"
"$P" completion fish >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "SHELL 'fish': expected bash or zsh" "$TEST_DIR/err")" "2:1" "completion for an unknown shell exits 2"
"$P" completion bsh >/dev/null 2>"$TEST_DIR/err"
ok "and suggests the nearest" grep -q "did you mean 'bash'" "$TEST_DIR/err"

# -o is the output format and -t the timeout in every command that has them
for cmd in render check validate name show up status list logs down failover gc; do
	"$P" $cmd --help >"$TEST_DIR/help"
	o=$(grep -E '^  -o, ' "$TEST_DIR/help" | grep -vc -- '--output FORMAT')
	t=$(grep -E '^  -t, ' "$TEST_DIR/help" | grep -vc -- '--timeout DUR')
	is "$o:$t" "0:0" "provisioner $cmd: -o means --output FORMAT and -t --timeout DUR, if it has them"
done
ok "render takes --out and --target long only" sh -c "'$P' render --help | grep -q '^      --out DIR' &&
	'$P' render --help | grep -q '^      --target TARGET'"

# the exit statuses of the README's table are the program's
readme=$(sed -n '/^### Exit status/,/^### /p' "$SOURCE_DIR/README.md" | grep -oE '^\| [0-9]+ ' | tr -dc '0-9\n' | tr '\n' ' ')
prog=$("$P" --help | sed -n '/^exit status:/,/^$/p' | grep -oE '^  [0-9]+' | tr -d ' ' | tr '\n' ' ')
is "$readme" "$prog" "README's exit status table has the statuses 'provisioner --help' lists"
ok "README's table says 2 is a usage or input error, 3 a person is needed" sh -c "
	grep -q '^| 2 | usage or input error' '$SOURCE_DIR/README.md' && grep -q '^| 3 | the environment is in a state that needs a person' '$SOURCE_DIR/README.md'"

# --- completion and man pages, made from the command tables ---------------------
share=$BUILD_DIR/share
for prog in provisioner loadtest chaos pipeline; do
	b=$(bin $prog)
	man=$share/man/man1/$prog.1 bash=$share/bash-completion/completions/$prog zsh=$share/zsh/site-functions/_$prog
	ok "the build wrote $prog's man page and bash and zsh completion" test -s "$man" -a -s "$bash" -a -s "$zsh"
	ok "they are what $prog makes now" sh -c "'$b' man | cmp -s - '$man' &&
		'$b' completion bash | cmp -s - '$bash' && '$b' completion zsh | cmp -s - '$zsh'"
	ok "bash -n accepts $prog's completion" bash -n "$bash"
	if command -v zsh >/dev/null; then
		ok "zsh -n accepts $prog's completion" zsh -n "$zsh"
	else
		skip "zsh is not installed (Debian package zsh)" "zsh -n accepts $prog's completion"
	fi
	if command -v groff >/dev/null; then
		ok "groff reads $prog's man page without a warning" sh -c "! groff -man -Tutf8 -ww -z '$man' 2>&1 | grep ."
	else
		skip "groff is not installed" "groff reads $prog's man page"
	fi
	missing=
	while read -r p cmd hidden; do
		[ "$p" = "$prog" ] && [ -z "$hidden" ] || continue
		grep -qF ".SS \\fB$prog $cmd\\fR" "$man" || missing="$missing man:$cmd"
		grep -q "^	$cmd)\$" "$bash" || missing="$missing bash:$cmd"
		grep -q "^		'$cmd:" "$zsh" || missing="$missing zsh:$cmd"
		# every option but --help, which every command has
		for opt in $("$b" $cmd --help | grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' |
			     grep -vx -- --help); do
			grep -qF -- "\\-\\-${opt#--}" "$man" || missing="$missing man:$cmd$opt"
			grep -q -- " $opt\b" "$bash" || missing="$missing bash:$cmd$opt"
			grep -q -- "$opt[=\[]" "$zsh" || missing="$missing zsh:$cmd$opt"
		done
	done <<<"$commands"
	is "${missing:-none}" "none" "$prog's man page and completion name every command and option of its --help"
done
bash -c "source '$share/bash-completion/completions/provisioner'
	COMP_WORDS=(provisioner render x --target ku); COMP_CWORD=4; _provisioner; echo \"\${COMPREPLY[*]}\"" >"$TEST_DIR/c"
is "$(cat "$TEST_DIR/c")" "kubernetes" "bash completes a choice's value (render --target ku)"
bash -c "source '$share/bash-completion/completions/provisioner'
	COMP_WORDS=(provisioner st); COMP_CWORD=1; _provisioner; echo \"\${COMPREPLY[*]}\"" >"$TEST_DIR/c"
is "$(cat "$TEST_DIR/c")" "status" "bash completes a command (st)"

# --- colour: on a terminal only, never with NO_COLOR ----------------------------
if command -v script >/dev/null; then
	script -qec "'$P' status nope" /dev/null >"$TEST_DIR/tty" 2>&1
	ok "on a terminal 'error:' is coloured" grep -q $'\e\[1;31merror:' "$TEST_DIR/tty"
	NO_COLOR=1 script -qec "'$P' status nope" /dev/null >"$TEST_DIR/tty" 2>&1
	ok "NO_COLOR turns it off" sh -c "grep -q 'error:' '$TEST_DIR/tty' && ! grep -q $'\e\[' '$TEST_DIR/tty'"
else
	skip "script (util-linux) is not installed" "colour on a terminal"
fi
"$P" status nope 2>"$TEST_DIR/err"
ok "off a terminal nothing is coloured" sh -c "grep -q 'error:' '$TEST_DIR/err' && ! grep -q $'\e\[' '$TEST_DIR/err'"

# --- -o json and -o yaml, each document with its format ----------------------------
is "$("$P" list -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" \
	"provisioner-list/1" "list -o json says its format"
is "$("$P" status -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" \
	"provisioner-status-list/1" "status -o json without ENV says its format"
is "$("$P" show "$ENV" -b main -c $COMMIT -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" \
	"provisioner-model/1" "show -o json says its format"
ok "show -o yaml is the same document as -o json" python3 -c "
import json, subprocess, yaml
j = json.loads(subprocess.check_output(['$P', 'show', '$ENV', '-b', 'main', '-c', '$COMMIT', '-o', 'json']))
y = yaml.safe_load(subprocess.check_output(['$P', 'show', '$ENV', '-b', 'main', '-c', '$COMMIT', '-o', 'yaml']))
assert j == y, (j, y)"
ok "list -o yaml is YAML with the same format" sh -c "'$P' list -o yaml | grep -qx 'format: provisioner-list/1'"

# --- environments named that are not there: exit 2 everywhere, the nearest suggested ---
mkdir -p "$PROVISIONER_STATE_DIR/envs/fake/logs" "$PROVISIONER_STATE_DIR/envs/fake/gateway/logs"
for cmd in status logs; do
	"$P" $cmd nope >/dev/null 2>"$TEST_DIR/err"; rc=$?
	is "$rc:$(grep -c "no environment 'nope'" "$TEST_DIR/err")" "2:1" "$cmd of a missing environment exits 2"
	"$P" $cmd fakee >/dev/null 2>"$TEST_DIR/err"
	ok "$cmd of a mistyped one suggests the nearest" grep -q "no environment 'fakee' (did you mean 'fake'?)" "$TEST_DIR/err"
done

# --- logs: the gateway's includes nginx's access and error logs -----------------------
f=$PROVISIONER_STATE_DIR/envs/fake
echo "nginx started" >"$f/logs/gateway.log"
echo "api says hello" >"$f/logs/api-primary-0.log"
echo '10.0.0.1 "GET /v1/stats HTTP/1.1" 200' >"$f/gateway/logs/access.log"
echo "upstream timed out" >"$f/gateway/logs/error.log"
"$P" logs fake gateway >"$TEST_DIR/logs"
ok "logs ENV gateway: nginx's access log, prefixed" grep -q '^gateway-access *| 10.0.0.1 "GET /v1/stats' "$TEST_DIR/logs"
ok "and its error log and the process's own" sh -c "grep -q '^gateway-error *| upstream timed out' '$TEST_DIR/logs' &&
	grep -q '^gateway *| nginx started' '$TEST_DIR/logs' && ! grep -q api '$TEST_DIR/logs'"
"$P" logs fake gatway >/dev/null 2>"$TEST_DIR/err"; rc=$?
is "$rc:$(grep -c "'fake' has no process or service 'gatway' (did you mean 'gateway'?)" "$TEST_DIR/err")" "2:1" \
	"logs of a mistyped service exits 2 and suggests the nearest"
rm -rf "$f"

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

# --- up --dry-run for people, status --wait, from a plan without running anything ------
# (after the audit trail's checks: up --dry-run leaves an audit record)
plan=$TEST_DIR/plan.json
if "$P" up "$ENV" -b waiting -c $COMMIT --dry-run --loopback -o json >"$plan" 2>"$TEST_DIR/err"; then
	"$P" up "$ENV" -b waiting -c $COMMIT --dry-run --loopback >"$TEST_DIR/dry" 2>&1
	ok "up --dry-run prints what would run where, for people" sh -c "
		grep -q '^plan for environment observatory-waiting (new' '$TEST_DIR/dry' &&
		grep -q '^  gateway      https://127.77' '$TEST_DIR/dry' &&
		grep -qE '^    db-primary +127\.77\.[0-9]+\.10:[0-9]+ +primary \(eu-west-1\) ' '$TEST_DIR/dry' &&
		grep -qE '^    api-primary-0 .* obsd\$' '$TEST_DIR/dry' && ! grep -q '{' '$TEST_DIR/dry'"
	ok "and the state.json to be only with -o json" python3 -c "
import json; d = json.load(open('$plan')); assert d['format'] == 'provisioner-state/1', d"
	w=$PROVISIONER_STATE_DIR/envs/observatory-waiting
	mkdir -p "$w"
	python3 -c "
import json; d = json.load(open('$plan')); d['state'] = 'running'; json.dump(d, open('$w/state.json', 'w'))"
	"$P" status observatory-waiting --wait >/dev/null 2>"$TEST_DIR/err"; rc=$?
	is "$rc:$(grep -c 'needs a person' "$TEST_DIR/err")" "3:1" "status --wait: no supervisor to repair it needs a person (3)"
	sleep 60 & sv=$!
	runtime() {   # a supervisor's view: the sleep stands in for it
		python3 -c "
import json, sys
start = int(open('/proc/$sv/stat').read().rsplit(')', 1)[1].split()[19])
json.dump({'format': 'provisioner-runtime/2', 'version': 2, 'supervisor': {'pid': $sv, 'start_time': start},
           'healthy': sys.argv[1] == 'yes', 'processes': {'db-primary': {'pid': 0, 'state': 'waiting'}}},
          open('$w/runtime.json', 'w'))" "$1"
	}
	runtime no
	"$P" status observatory-waiting --wait --timeout 1s >"$TEST_DIR/wait.out" 2>"$TEST_DIR/err"; rc=$?
	is "$rc:$(grep -c "is not healthy after 1 s: 0/1 healthy (db-primary waiting for its dependencies)" "$TEST_DIR/err")" "1:1" \
		"status --wait: not healthy within the timeout exits 1, saying what is not"
	ok "it said how far it was while it waited, a line off a terminal" \
		grep -q '^status --wait [0-9.]* s: degraded: 0/1 healthy' "$TEST_DIR/err"
	ok "and printed the status" grep -q '^environment observatory-waiting: degraded' "$TEST_DIR/wait.out"
	runtime yes
	"$P" status observatory-waiting --wait --timeout 5s -o json >"$TEST_DIR/wait.out" 2>"$TEST_DIR/err"; rc=$?
	is "$rc:$(python3 -c "import json; d = json.load(open('$TEST_DIR/wait.out')); print(d['state'], d['format'])")" \
		"0:running provisioner-status/2" "status --wait: healthy exits 0 (and -o json says its format)"
	"$P" status --wait >/dev/null 2>&1; is $? 2 "status --wait without ENV is a usage error"
	"$P" status observatory-waiting --timeout 5s >/dev/null 2>&1; is $? 2 "status --timeout without --wait is a usage error"
	kill $sv 2>/dev/null; wait $sv 2>/dev/null
	rm -rf "$w"
else
	skip "up --dry-run cannot plan here: $(head -1 "$TEST_DIR/err")" "up --dry-run and status --wait"
fi

done_testing
