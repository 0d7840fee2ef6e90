#!/usr/bin/env bash
# Processes that cannot outlive their restart, environments that cannot
# read each other's secrets, and lifecycle commands that cannot lie or
# destroy what is not theirs, with real stacks:
#
#   - kill -9 of nginx's master, an obsd replica and both PostgreSQL
#     members: each is healthy again within seconds, nothing of its last run
#     is left (nginx's old workers held port 443 for ever), the primary is
#     restarted in place;
#   - a service that fails its check says why (status, status -o json, up);
#   - status after kill -9 of the supervisor: health unknown, no dead pid;
#   - two environments run as two users: neither reads the other's
#     secrets, /proc/PID/environ, logs or state;
#   - down and gc are in the audit log;
#   - up racing down: an up never reports an environment a down is
#     removing as healthy; it makes it anew;
#   - down "", down ../x and friends: exit 2, and another environment on
#     the machine survives; a directory that is a link is not followed;
#   - gc of a running environment whose directory was deleted by hand
#     leaves nothing (processes, namespaces, links, table, user, cgroup);
#   - gc --owner/--branch/--tier/--older-than, and the owner in list.
. "$(dirname "$0")/../lib.sh"

need_runtime
command -v setpriv >/dev/null || skip_all "setpriv is not installed (Debian package util-linux)"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (namespaces, users of their own, cgroups)"
[ -x /usr/sbin/useradd ] || skip_all "useradd is not installed (Debian package passwd)"
# One run of this script at a time on a machine: its environments' names,
# namespaces, links and users are machine-wide.
exec 9>"/run/lock/provisioner-test-$(basename "$0").lock" && flock 9

# the environments' users must reach their directories
chmod 711 "$TEST_DIR"
S=$PROVISIONER_STATE_DIR
OUT=$TEST_DIR/out
mkdir -p "$OUT"
cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)

st() {   # st ENV: its status document into $OUT/ENV.json
	"$PROVISIONER" status "$1" -o json >"$OUT/$1.json" 2>/dev/null
}
# a process's pid, health and state as status shows them: "pid healthy state"
member() {
	st "$1" && json "$OUT/$1.json" '" ".join(str(m.get(k)) for m in ([dict(d["gateway"], name="gateway", pid=None, state=None)] + [r for s in d["services"].values() for r in s["replicas"]] + [x for ds in d["datastores"].values() for x in [ds["primary"]] + ds["replicas"]]) if m["name"] == "'"$2"'" for k in ("pid", "healthy", "state"))'
}
runtime_pid() {   # runtime_pid ENV NAME: the pid the supervisor recorded
	json "$S/envs/$1/runtime.json" 'd["processes"]["'"$2"'"]["pid"]'
}
procs_of() {   # procs_of ENV NAME: every process of its cgroup, or of its process group
	local acct
	acct=$(json "$S/envs/$1/state.json" 'd["account"]["name"]')
	if [ -n "$cg2" ] && [ -d "$cg2/provisioner/$acct/$2" ]; then
		tr '\n' ' ' <"$cg2/provisioner/$acct/$2/cgroup.procs"
	else
		ps -e -o pid=,pgid= | awk -v g="$(runtime_pid "$1" "$2")" '$2 == g {printf "%s ", $1}'
	fi
}
any_alive() {   # any of the pids still there (not a zombie)?
	local p
	for p in "$@"; do
		[ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && return 0
	done
	return 1
}
none_alive() { ! any_alive "$@"; }
none_of() {   # none_of "PIDS" PID...: some PIDs given, none of them among PIDS
	local p
	[ $# -gt 1 ] || return 1
	for p in "${@:2}"; do
		case " $1 " in *" $p "*) return 1 ;; esac
	done
}

cleanup() {
	local n
	for n in pr-a pr-b pr-sick; do "$PROVISIONER" down "$n" >/dev/null 2>&1; done
	"$PROVISIONER" gc >/dev/null 2>&1
}
trap 'cleanup; [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"' EXIT

def=$TEST_DIR/pr.yaml
cat >"$def" <<EOF
# short checks; a failover threshold well above a restart, so a killed
# primary is restarted in place rather than failed over
extends: $SOURCE_DIR/envs/test.yaml
name: pr-\${branch}
failover: {automatic: true, after: 15s}
services:
  api:
    health: {interval: 1s, timeout: 1s, failures: 2}
    ready: {interval: 1s, timeout: 1s, failures: 1}
EOF
up() {   # up BRANCH [ARGS]: stand pr-BRANCH up
	local b=$1
	shift
	"$PROVISIONER" up "$def" --branch "$b" --commit "$COMMIT" --timeout 90s "$@"
}

ok "up pr-a" up a
ok "up pr-b, a second environment on the machine" up b
st pr-a
if [ -n "$cg2" ]; then
	is "$(json "$OUT/pr-a.json" 'd["supervisor"]["containment"]')" "cgroup" \
		"status says each process is in a cgroup of its own"
	ok "and says so in text" sh -c "'$PROVISIONER' status pr-a | grep -q 'processes    in cgroups under $cg2/provisioner/pv-'"
else
	skip "no cgroup2 mount" "containment"
	skip "no cgroup2 mount" "containment in text"
fi
url=$(json "$OUT/pr-a.json" 'd["gateway"]["url"]')
ca=$(json "$OUT/pr-a.json" 'd["gateway"]["ca_file"]')
cred="$(json "$OUT/pr-a.json" 'd["gateway"]["username"]'):$(cat "$(json "$OUT/pr-a.json" 'd["gateway"]["password_file"]')")"
idx_a=$(json "$S/envs/pr-a/state.json" 'd["index"]')

# --- kill -9: back within seconds, nothing of the last run left ---------------
killed_and_back() {   # NAME NETNS PORT: kill -9 NAME of pr-a, wait for it, check
	local name=$1 ns=$2 port=$3 old pid back="" t0 ms holders
	pid=$(runtime_pid pr-a "$name")
	old=$(procs_of pr-a "$name")
	t0=$(date +%s%N)
	kill -KILL "$pid"
	for _ in $(seq 1 300); do
		set -- $(member pr-a "$name")
		[ "$2" = True ] && [ "$(runtime_pid pr-a "$name")" != "$pid" ] && { back=1; break; }
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "kill -9 of $name (pid $pid, with ${old% }): healthy again in $ms ms" test -n "$back"
	ok "nothing of its last run is left (${old% })" none_alive $old
	holders=$(ip netns exec "$ns" ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' ')
	ok "port $port is held by its new run alone (${holders% })" none_of "$old" $holders
}
killed_and_back gateway pv-pr-a-gateway 443
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$ca" -u "$cred" "$url/v1/stats")
is "$code" "200" "the gateway answers again"
ok "the supervisor says it killed what its last run left" grep -q '"event":"leftovers","message":"gateway: ' "$S/envs/pr-a/events.log"
killed_and_back api-primary-0 pv-pr-a-primary 8080
killed_and_back db-replica pv-pr-a-secondary 5432
killed_and_back db-primary pv-pr-a-primary 5432
st pr-a
is "$(json "$OUT/pr-a.json" 'd["datastores"]["db"]["primary"]["name"]'):$(json "$OUT/pr-a.json" 'd["datastores"]["db"]["failovers"]')" \
	"db-primary:0" "the primary was restarted in place, no failover"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$ca" -u "$cred" -H 'Content-Type: application/json' \
	--data-binary '[{"id":"pr-1","station":"PR","kind":"t","time":"2026-01-01T00:00:00Z","value":1}]' "$url/v1/observations")
is "$code" "200" "and writes go through again"

# --- a check that fails says why -------------------------------------------------------
cat >"$TEST_DIR/sick.yaml" <<EOF
extends: $def
name: pr-sick
services:
  api:
    health: {http: /nope}
EOF
ok "up --no-wait of an environment whose api fails its check" \
	"$PROVISIONER" up "$TEST_DIR/sick.yaml" --branch sick --commit "$COMMIT" --no-wait
why=
for _ in $(seq 1 200); do
	st pr-sick && why=$(json "$OUT/pr-sick.json" '[r["check_error"] for r in d["services"]["api"]["replicas"] if r["name"] == "api-primary-0"][0]')
	[ -n "$why" ] && break
	sleep 0.1
done
is "$why" "GET /nope answered 404" "status -o json says why its check fails"
is "$(json "$OUT/pr-sick.json" '[r["healthy"] for r in d["services"]["api"]["replicas"]][0]')" "False" "and that it is not healthy"
ok "status says it in text" sh -c "'$PROVISIONER' status pr-sick | grep 'api-primary-0' | grep -q '(GET /nope answered 404)'"
"$PROVISIONER" up "$TEST_DIR/sick.yaml" --branch sick --commit "$COMMIT" --timeout 4s >"$OUT/sick.out" 2>"$OUT/sick.err"
is "$?" "1" "up of it gives up"
ok "and its error says why the check fails" grep -q "api-primary-0: running.*its check: GET /nope answered 404" "$OUT/sick.err"
ok "down pr-sick" "$PROVISIONER" down pr-sick

# --- one environment cannot read another's secrets ----------------------------------
ua=$(json "$S/envs/pr-a/state.json" 'd["account"]["uid"]')
ga=$(json "$S/envs/pr-a/state.json" 'd["account"]["gid"]')
acct_b=$(json "$S/envs/pr-b/state.json" 'd["account"]["name"]')
as_a() { setpriv --reuid="$ua" --regid="$ga" --clear-groups -- "$@"; }
b_obsd=$(runtime_pid pr-b api-primary-0)
a_obsd=$(runtime_pid pr-a api-primary-0)
ok "the two environments have users of their own" test "$ua" != "$(json "$S/envs/pr-b/state.json" 'd["account"]["uid"]')"
is "$(ps -o user= -p "$b_obsd")/$(ps -o user= -p "$(runtime_pid pr-b db-primary)")" "$acct_b/$acct_b" \
	"pr-b's api and PostgreSQL run as pr-b's user"
is "$(ps -o user= --ppid "$(runtime_pid pr-b gateway)" | sort -u | tr -d ' ')" "$acct_b" "and so do its nginx workers"
can_read_pw() { as_a cat "/proc/$1/environ" | tr '\0' '\n' | grep -q '^PGPASSWORD='; }
cannot() { ! as_a "$@" >/dev/null 2>&1; }
ok "as pr-a's user, pr-a's own obsd's environment (its database password) is readable" can_read_pw "$a_obsd"
ok "and so is its own log" as_a cat "$S/envs/pr-a/logs/api-primary-0.log"
for f in "/proc/$b_obsd/environ" "$S/envs/pr-b/gateway/htpasswd" "$S/envs/pr-b/logs/api-primary-0.log" \
	"$S/envs/pr-b/logs/supervisor.log" "$S/envs/pr-b/secrets/db.password" "$S/envs/pr-b/state.json"; do
	ok "but not pr-b's ${f#$S/envs/}" cannot cat "$f"
done
ok "nor can it list pr-b's directory" cannot ls "$S/envs/pr-b"

# --- status after kill -9 of the supervisor ---------------------------------------------
sv=$(json "$S/envs/pr-b/runtime.json" 'd["supervisor"]["pid"]')
kill -KILL "$sv"
for _ in $(seq 1 50); do [ -e "/proc/$sv" ] || break; sleep 0.1; done
sleep 0.5   # its children die with it
st pr-b
is "$(json "$OUT/pr-b.json" 'd["state"]')" "failed" "without its supervisor the environment is failed"
is "$(json "$OUT/pr-b.json" 'sorted(set(str(m["healthy"]) for m in [d["gateway"]] + [r for s in d["services"].values() for r in s["replicas"]] + [x for ds in d["datastores"].values() for x in [ds["primary"]] + ds["replicas"]]))')" \
	'["None"]' "and nobody knows whether anything is healthy (null)"
ok "no dead pid is shown" python3 -c '
import json, os, sys
d = json.load(open(sys.argv[1]))
ms = [r for s in d["services"].values() for r in s["replicas"]] + [x for ds in d["datastores"].values() for x in [ds["primary"]] + ds["replicas"]]
assert d["supervisor"]["pid"] is None, d["supervisor"]
assert all(m["pid"] is None or os.path.exists("/proc/%d" % m["pid"]) for m in ms), ms' "$OUT/pr-b.json"
"$PROVISIONER" status pr-b >"$OUT/pr-b.txt"
ok "the text says unknown" sh -c "grep -c 'pid -       unknown' '$OUT/pr-b.txt' | grep -qx 4"
ok "and never healthy" sh -c "! grep -q healthy '$OUT/pr-b.txt'"

# --- names that are no environment's: exit 2, and nothing is removed ---------------------
mkdir -p "$TEST_DIR/precious" && echo keep >"$TEST_DIR/precious/file"
for name in "" ".." "." "../x" "a/b" "/" "pr-a/.." "../envs" "PR-A" "pr-a/"; do
	for cmd in down status logs failover; do
		"$PROVISIONER" "$cmd" "$name" >/dev/null 2>"$OUT/name.err"
		is "$?" "2" "$cmd '$name' is refused with exit 2"
	done
done
ok "with a message naming it" grep -q "invalid environment name 'pr-a/'" "$OUT/name.err"
ln -s "$TEST_DIR/precious" "$S/envs/pr-link"
"$PROVISIONER" down pr-link >"$OUT/link.out" 2>&1
is "$?" "1" "down of an environment whose directory is a link refuses"
ok "and says why" grep -q "is not a directory" "$OUT/link.out"
ok "what the link points to is untouched" test -f "$TEST_DIR/precious/file"
rm -f "$S/envs/pr-link"
st pr-a
is "$(json "$OUT/pr-a.json" 'd["state"]')" "running" "the other environment survives all of it"
ok "its state is all there" test -f "$S/envs/pr-a/state.json" -a -d "$S/envs/pr-a/secrets"

# --- gc and down are in the audit log ------------------------------------------------
ok "gc removes pr-b (its supervisor is gone)" sh -c "'$PROVISIONER' gc | grep -q 'removed pr-b: its supervisor is gone'"
ok "gc is in the audit log" grep -q '"command":"gc","environment":"pr-b",.*"result":"ok"' "$S/audit.log"
ok "nothing of pr-b is left" sh -c "! getent passwd '$acct_b' && ! ls -d $cg2/provisioner/$acct_b 2>/dev/null && ! ip netns list | grep -q '^pv-pr-b-'"

# --- up racing down ----------------------------------------------------------------------
not_grep() { ! grep -q "$@"; }
# A real race either way round: the last to take the lock has its way. If
# up made it (anew, after the down), it runs; if up found it healthy, the
# down came after and it is gone.
race_consistent() {
	if grep -q 'is being removed\|^up in' "$OUT/race$1.up"; then
		[ "$(json "$OUT/pr-a.json" 'd["state"]')" = running ]
	else
		grep -q 'already up and healthy\|repaired' "$OUT/race$1.up" && ! test -e "$S/envs/pr-a/state.json"
	fi
}
race() {   # race N HOLD: down pr-a in the background, up right after; HOLD: the lock held a moment first
	local n=$1 hold=$2 holder="" drc urc
	if [ "$hold" = 1 ]; then
		# something (another provisioner) holds the lock as they start, so that both
		# are on their way when it is free, and either may get it first
		flock "$S/envs/pr-a/lock" sleep 0.7 &
		holder=$!
		sleep 0.2
	fi
	"$PROVISIONER" down pr-a >"$OUT/race$n.down" 2>&1 &
	local dp=$!
	up a >"$OUT/race$n.up" 2>&1
	urc=$?
	wait "$dp"
	drc=$?
	[ -n "$holder" ] && wait "$holder"
	is "$urc:$drc" "0:0" "race $n: up and down both succeed"
	st pr-a
	if [ "$hold" = 1 ]; then
		is "$(json "$OUT/pr-a.json" 'd["state"]')" "running" "race $n: a down on its way when up looked: up made it anew, it is running"
		ok "race $n: up never called it healthy as it went" not_grep 'already up and healthy' "$OUT/race$n.up"
	else
		ok "race $n: up's word still holds, or the down came after it" race_consistent "$n"
	fi
	[ -e "$S/envs/pr-a/state.json" ] || up a >/dev/null 2>&1
}
for n in 1 2 3; do race "$n" 1; done
race 4 0
ok "down is in the audit log" grep -q '"command":"down","environment":"pr-a",.*"result":"ok"' "$S/audit.log"

# --- gc of a running environment whose directory was deleted by hand ----------------------
st pr-a
idx_a=$(json "$S/envs/pr-a/state.json" 'd["index"]')
acct_a=$(json "$S/envs/pr-a/state.json" 'd["account"]["name"]')
uid_a=$(json "$S/envs/pr-a/state.json" 'd["account"]["uid"]')
rm -rf "$S/envs/pr-a"
ok "list no longer sees it" sh -c "! '$PROVISIONER' list | grep -q '^pr-a '"
"$PROVISIONER" gc >"$OUT/gc-orphan.out" 2>&1
is "$?" "0" "gc succeeds"
ok "gc says it removed what was left of it" grep -q "removed what was left of pr-a: its state is gone" "$OUT/gc-orphan.out"
for _ in $(seq 1 30); do
	left=$(
		for f in $(grep -lzx "PROVISIONER_ENV=pr-a" /proc/[0-9]*/environ 2>/dev/null); do
			grep -qzx "PROVISIONER_STATE_DIR=$S" "$f" 2>/dev/null && echo "marked $f"
		done
		ps -e -o uid=,pid= | awk -v u="$uid_a" '$1 == u {print "process " $2 " of its user"}'
		ip netns list | grep '^pv-pr-a-' | sed 's/^/netns /'
		ip -o link show | grep -o "pv${idx_a}[nb][a-z0-9]*" | sed 's/^/link /'
		nft list tables 2>/dev/null | grep "pv_${idx_a}\$" | sed 's/^/nft /'
		getent passwd "$acct_a" | sed 's/^/user /'
		getent group "$acct_a" | sed 's/^/group /'
		[ -n "$cg2" ] && ls -d "$cg2/provisioner/$acct_a" 2>/dev/null | sed 's/^/cgroup /'
		[ -e "$S/run/$idx_a" ] && echo "dir run/$idx_a"
		true)
	[ -z "$left" ] && break
	sleep 0.1
done
is "$left" "" "nothing of it is left: processes, namespaces, links, table, user, cgroup, run directory"
ok "gc recorded it" grep -q '"command":"gc","environment":"pr-a",.*its state is gone' "$S/audit.log"

# --- gc's filters and list's owner, on environments made of state alone --------------------
"$PROVISIONER" up "$def" --branch x --commit "$COMMIT" --loopback --dry-run -o json >"$OUT/plan.json" 2>/dev/null
fake() {   # fake NAME UID BRANCH TIER AGE_S INDEX: an environment whose supervisor is gone
	mkdir -p "$S/envs/$1"
	python3 - "$OUT/plan.json" "$S/envs/$1/state.json" "$@" <<'EOF'
import json, sys, time
d = json.load(open(sys.argv[1]))
name, uid, branch, tier, age, index = sys.argv[3:9]
d.pop("account", None)
d.update(name=name, uid=int(uid), branch=branch, tier=tier, created=int(time.time()) - int(age),
         expires=0, state="running", index=int(index), rundir=sys.argv[2].rsplit("/envs/", 1)[0] + "/run/" + index)
json.dump(d, open(sys.argv[2], "w"), indent=2, sort_keys=True)
EOF
}
nobody_uid=$(id -u nobody)
fake pr-f1 0 feature/one test 7200 241
fake pr-f2 "$nobody_uid" feature/two test 60 242
fake pr-f3 "$nobody_uid" main nightly 7200 243
fake pr-f4 0 main test 60 244
"$PROVISIONER" list >"$OUT/list.txt"
ok "list shows who stood each up" sh -c "grep '^pr-f2 ' '$OUT/list.txt' | grep -q ' nobody ' && grep '^pr-f1 ' '$OUT/list.txt' | grep -q ' root '"
"$PROVISIONER" list -o json >"$OUT/list.json"
is "$(json "$OUT/list.json" '",".join(e["owner"] for e in d["environments"])')" "root,nobody,nobody,root" "and so does list -o json"
gc_filtered() {   # gc_filtered ARGS...: the environments it removed, sorted
	"$PROVISIONER" gc "$@" | sed -n 's/^removed \(pr-f[0-9]\):.*/\1/p' | sort | tr '\n' ' '
}
is "$(gc_filtered --dry-run --owner nobody | wc -w)" "0" "gc --dry-run removes nothing"
is "$(gc_filtered --owner nobody --branch 'feature/*')" "pr-f2 " "--owner and --branch together: only what matches both"
is "$(gc_filtered --tier nightly)" "pr-f3 " "--tier"
is "$(gc_filtered --older-than 1h)" "pr-f1 " "--older-than"
"$PROVISIONER" gc --owner no-such-user-anywhere >/dev/null 2>&1
is "$?" "2" "an unknown --owner is a usage error"
ok "what matched no filter is still there" test -f "$S/envs/pr-f4/state.json"
is "$(gc_filtered)" "pr-f4 " "gc without filters removes the rest"

done_testing
