#!/usr/bin/env bash
# The leak test: 20 times, start `up`, SIGKILL it at a random point (and,
# every third time, its supervisor as well), then run `gc`; after each
# cycle nothing of the environment may be left: no process, namespace,
# link, nftables table, /etc/netns entry, user or group of its own,
# cgroup, state or run directory. The
# random points come from a fixed seed, printed, so a failure can be
# replayed with LEAK_SEED.
. "$(dirname "$0")/../lib.sh"

pg_bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null)
[ -n "$pg_bin" ] || skip_all "PostgreSQL 15 is not installed (Debian package postgresql-15)"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip_all "nginx is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (namespaces, and every environment runs as a user of its own)"
# One run of this script at a time on a machine (two checkouts testing at
# once): its environments' names, namespaces and links are machine-wide.
exec 9>"/run/lock/provisioner-test-$(basename "$0").lock" && flock 9
chmod 711 "$TEST_DIR"

cycles=${LEAK_CYCLES:-20}
seed=${LEAK_SEED:-$$}
RANDOM=$seed
echo "# seed $seed ($cycles cycles)"

def=$TEST_DIR/leak.yaml
cat >"$def" <<EOF
extends: $SOURCE_DIR/envs/test.yaml
name: leak-\${branch}
EOF
trap '"$PROVISIONER" gc >/dev/null 2>&1; rm -rf "$TEST_DIR"' EXIT

# make the PostgreSQL template once, so the kills land all over `up`, not in
# initdb; and measure how long a whole `up` takes, so they land inside it
"$PROVISIONER" up "$def" --branch warm --commit "$COMMIT" >/dev/null 2>&1
"$PROVISIONER" down leak-warm >/dev/null 2>&1
t0=$(date +%s%N)
"$PROVISIONER" up "$def" --branch warm --commit "$COMMIT" >/dev/null 2>&1
up_ms=$((($(date +%s%N) - t0) / 1000000))
"$PROVISIONER" down leak-warm >/dev/null 2>&1
echo "# a whole up takes $up_ms ms here"

cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
envs_real=$(mkdir -p "$PROVISIONER_STATE_DIR/envs" && realpath "$PROVISIONER_STATE_DIR/envs")

leftovers() {   # what of environment $1 (index $2, user $3) is still there
	local name=$1 idx=$2 acct=$3
	local f pid
	for f in $(grep -lzx "PROVISIONER_ENV=$name" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) ($(awk '/^State/ {print $2}' "/proc/$pid/status" 2>/dev/null))"
	done
	ip netns list | grep "^pv-$name-" | sed 's/^/netns /'
	ls -d /etc/netns/pv-"$name"-* 2>/dev/null | sed 's/^/etc /'
	[ -n "$idx" ] && ip -o link show | grep -o "pv${idx}[nb][a-z0-9]*" | sed 's/^/link /'
	[ -n "$idx" ] && nft list tables 2>/dev/null | grep "pv_${idx}\$" | sed 's/^/nft /'
	[ -e "$PROVISIONER_STATE_DIR/envs/$name" ] && echo "dir envs/$name"
	[ -n "$idx" ] && [ -e "$PROVISIONER_STATE_DIR/run/$idx" ] && echo "dir run/$idx"
	# its user, found by the home that marks it, and the one its state named
	getent passwd | awk -F: -v h="$envs_real/$name" '$6 == h {print "user " $1}'
	[ -n "$acct" ] && getent passwd "$acct" | sed 's/:.*//; s/^/user /'
	[ -n "$acct" ] && getent group "$acct" | sed 's/:.*//; s/^/group /'
	[ -n "$acct" ] && [ -n "$cg2" ] && ls -d "$cg2/provisioner/$acct" 2>/dev/null | sed 's/^/cgroup /'
	true
}

for i in $(seq 1 "$cycles"); do
	name=leak-c$i
	delay_ms=$((RANDOM % (up_ms > 100 ? up_ms : 100)))
	"$PROVISIONER" up "$def" --branch "c$i" --commit "$COMMIT" >/dev/null 2>&1 &
	up_pid=$!
	sleep "$(printf '0.%03d' $((delay_ms % 1000)))"
	[ "$delay_ms" -ge 1000 ] && sleep $((delay_ms / 1000))
	idx=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["index"])' \
		"$PROVISIONER_STATE_DIR/envs/$name/state.json" 2>/dev/null)
	acct=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["account"]["name"])' \
		"$PROVISIONER_STATE_DIR/envs/$name/state.json" 2>/dev/null)
	kill -KILL "$up_pid" 2>/dev/null
	wait "$up_pid" 2>/dev/null
	rc=$?
	how="up killed after ${delay_ms} ms"
	if [ "$rc" -eq 0 ] || grep -qs '"state": "running"' "$PROVISIONER_STATE_DIR/envs/$name/state.json"; then
		# it had finished its work first: the environment is rightly up, and
		# gc must leave it; down must remove it
		how="up had finished when killed at ${delay_ms} ms; down"
		"$PROVISIONER" down "$name" >/dev/null 2>&1
	fi
	if [ $((i % 3)) -eq 0 ]; then
		sv=$(grep -lzx "PROVISIONER_ENV=$name" /proc/[0-9]*/environ 2>/dev/null |
			while read -r f; do p=${f#/proc/}; p=${p%/environ}; grep -qa supervise "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done | head -n 1)
		[ -n "$sv" ] && kill -KILL "$sv" && how="$how, and its supervisor"
	fi
	"$PROVISIONER" gc >"$TEST_DIR/gc.out" 2>&1
	# what is on its way out by itself (a process exiting) gets 3 s
	for _ in $(seq 1 30); do
		left=$(leftovers "$name" "$idx" "$acct")
		[ -z "$left" ] && break
		sleep 0.1
	done
	is "$left" "" "cycle $i ($how): gc leaves nothing"
	[ -z "$left" ] || sed 's/^/#   gc: /' "$TEST_DIR/gc.out"
done

done_testing
