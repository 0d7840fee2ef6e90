# Shared by tests/t/failover.sh and bench/failover-drill.sh: stand an
# environment up, write through its gateway with acked-writer.py, apply
# one bounded fault, and audit what became of every acknowledged write
# with a direct psql count. Needs PROVISIONER, SOURCE_DIR, and a work
# directory W (made by the caller). Every fault is undone by fo_heal,
# which the callers run on exit too.

# fo_def FILE NAME [RPO [MODE]]: a test environment with fast checks (MODE: async, sync)
fo_def() {
	cat >"$1" <<DEF
extends: $SOURCE_DIR/envs/test.yaml
name: $2
failover: {automatic: true, after: 3s, rpo: ${3:-0s}}
services:
  api:
    replicas: 1
    health: {interval: 1s, timeout: 1s, failures: 2}
    ready: {interval: 1s, timeout: 1s, failures: 1}
datastores:
  db:
    replication: {mode: ${4:-async}}
DEF
}

fo_json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1" "$2"  2>/dev/null
}

# fo_facts NAME: read what the fault and the audit need into FO_* variables
fo_facts() {
	local s=$W/facts.json st
	"$PROVISIONER" status "$1" -o json >"$s" 2>/dev/null
	FO_ENVDIR=$(fo_json "$s" 'd["dir"]')
	st=$FO_ENVDIR/state.json
	FO_URL=$(fo_json "$s" 'd["gateway"]["url"]')
	FO_CA=$(fo_json "$s" 'd["gateway"]["ca_file"]')
	FO_USER=$(fo_json "$s" 'd["gateway"]["username"]')
	FO_PWFILE=$(fo_json "$s" 'd["gateway"]["password_file"]')
	FO_DB=$(fo_json "$s" 'd["datastores"]["db"]["database"]')
	FO_TABLE=$(fo_json "$st" 'd["net"]["nft_table"]')
	FO_PRIM_ADDR=$(fo_json "$st" '[n["addr"] for n in d["net"]["namespaces"] if n["region"]=="primary"][0]')
	FO_SEC_ADDR=$(fo_json "$st" '[n["addr"] for n in d["net"]["namespaces"] if n["region"]=="secondary"][0]')
	FO_PRIM_VETH=$(fo_json "$st" '[n["veth"] for n in d["net"]["namespaces"] if n["region"]=="primary"][0]')
	FO_PG_PORT=$(fo_json "$st" '[p["pg"]["port"] for p in d["processes"] if p["name"]=="db-primary"][0]')
	FO_SOCK_PRIM=$(fo_json "$st" '[p["pg"]["sockdir"] for p in d["processes"] if p["name"]=="db-primary"][0]')
	FO_SOCK_REP=$(fo_json "$st" '[p["pg"]["sockdir"] for p in d["processes"] if p["name"]=="db-replica"][0]')
	FO_PRIM_PID=$(fo_json "$s" 'd["datastores"]["db"]["primary"]["pid"]')
	FO_CGROUP=$(fo_json "$s" 'd["supervisor"]["cgroup"] or ""')
	FO_NAME=$1
}

# fo_writer PREFIX DURATION OUT: the independent writer, in the background (FO_WRITER)
fo_writer() {
	python3 "$SOURCE_DIR/tests/tools/acked-writer.py" --url "$FO_URL" --cacert "$FO_CA" \
		--user "$FO_USER" --password-file "$FO_PWFILE" --prefix "$1" --threads 4 \
		--rate 25 --duration "$2" --timeout 2 --out "$3" 2>"$3.err" &
	FO_WRITER=$!
}

fo_now() { date +%s.%N | cut -c1-14; }

# The faults. Each is undone by fo_heal.
fo_cut_replication() {
	nft add rule bridge "$FO_TABLE" forward ip saddr "$FO_SEC_ADDR" ip daddr "$FO_PRIM_ADDR" drop
	nft add rule bridge "$FO_TABLE" forward ip saddr "$FO_PRIM_ADDR" ip daddr "$FO_SEC_ADDR" drop
}
fo_partition() {
	nft add rule bridge "$FO_TABLE" forward ip saddr "$FO_PRIM_ADDR" drop
	nft add rule bridge "$FO_TABLE" forward ip daddr "$FO_PRIM_ADDR" drop
}
# Every process of the primary: PostgreSQL's backends are session leaders of
# their own, so stopping the postmaster's group would leave them taking writes.
fo_freeze() {
	local cg=$FO_CGROUP/db-primary
	if [ -n "$FO_CGROUP" ] && [ -f "$cg/cgroup.procs" ]; then
		FO_FROZEN=$(cat "$cg/cgroup.procs" | tr '\n' ' ')
	else
		FO_FROZEN="$FO_PRIM_PID $(pgrep -P "$FO_PRIM_PID" | tr '\n' ' ')"
	fi
	kill -STOP $FO_FROZEN
}
fo_link_down() { FO_LINK=$FO_PRIM_VETH; ip link set "$FO_PRIM_VETH" down; }
fo_heal() {
	[ -n "${FO_TABLE:-}" ] && nft flush chain bridge "$FO_TABLE" forward 2>/dev/null
	[ -n "${FO_FROZEN:-}" ] && kill -CONT $FO_FROZEN 2>/dev/null
	[ -n "${FO_LINK:-}" ] && ip link set "$FO_LINK" up 2>/dev/null
	FO_FROZEN= FO_LINK=
	return 0
}

# fo_wait_promoted SECONDS: 0 once db-replica is db's primary
fo_wait_promoted() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		"$PROVISIONER" status "$FO_NAME" -o json >"$W/promo.json" 2>/dev/null
		[ "$(fo_json "$W/promo.json" 'd["datastores"]["db"]["primary"]["name"]')" = db-replica ] && return 0
		sleep 0.1
	done
	return 1
}

# fo_psql SOCKDIR SQL: one value, through a member's socket as the superuser
fo_psql() {
	psql -X -A -t -h "$1" -p "$FO_PG_PORT" -U postgres -d "$FO_DB" -c "$2" 2>/dev/null
}

# fo_lost OUT SOCKDIR: how many acknowledged writes of the writer's output OUT are not in the database
fo_lost() {
	local prefix
	prefix=$(fo_json "$1" 'd["prefix"]')
	fo_psql "$2" "SELECT id FROM observations WHERE station = '$prefix'" | sort >"$1.stored"
	fo_json "$1" '"\n".join(d["acked"])' | sort >"$1.acked"
	comm -23 "$1.acked" "$1.stored" | wc -l
}

# fo_times OUT FAULT_AT: "detect_s promote_s first_ack_s" from events.log and the writer
fo_times() {
	python3 - "$1" "$FO_ENVDIR/events.log" "$2" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[2])]
fault = float(sys.argv[3])
fo = [e["time"] for e in ev if e["event"] == "failover" and e["time"] >= fault]
pr = [e["time"] for e in ev if e["event"] == "promoted" and e["time"] >= fault]
if not fo or not pr:
    print("- - -"); sys.exit()
acks = [w["started_at"] + t for t in w["acked_at_s"] if w["started_at"] + t >= pr[0]]
first = min(acks) - fault if acks else None
print("%.2f %.2f %s" % (fo[0] - fault, pr[0] - fault, "%.2f" % first if first is not None else "-"))
PY
}
