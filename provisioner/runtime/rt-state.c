/*
 * state.json and runtime.json: their tables, and one encoder and one
 * decoder for each; see rt-state.h.
 *
 * JSON is YAML, so a document is parsed with lib/ynode and decoded with
 * lib/ydecode against the tables below, which also encode it: one table
 * per struct gives both directions, the type checks and the messages.
 */
#include "rt-state.h"
#include "diag.h"
#include "fsutil.h"
#include "rt-addr.h"
#include "rt-env.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ynode.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define DOC_MAX (8u << 20)

/* state.json's "net" is a struct rt_net: its namespaces are decoded as a list */
_Static_assert(offsetof(struct rt_net, ns) == offsetof(struct rt_net, ns_list.v) &&
	       offsetof(struct rt_net, nr_ns) == offsetof(struct rt_net, ns_list.nr),
	       "struct rt_net: ns/nr_ns and ns_list must overlay");

const char *const rt_phase_names[] = { "creating", "starting", "running", "stopping", NULL };
const char *const rt_mode_names[] = { "loopback", "netns", NULL };
const char *const rt_pstate_names[] = { "waiting", "running", "backoff", "stopped", "fenced",
					NULL };
static const char *const kind_names[] = { "datastore", "service", "gateway", NULL };
static const char *const role_names[] = { "primary", "replica", NULL };
static const char *const sv_phase_names[] = { "running", "stopping", NULL };

#define F(type_, member, key_, kind, ...) \
	{ .key = key_, .type = kind, .off = offsetof(type_, member), __VA_ARGS__ }
#define REQ .flags = YD_REQUIRED
#define ENUM(names_) .names = (names_)
#define SUB(schema) .sub = &(schema)

/* ---- state.json ---- */

static const struct yd_field check_fields[] = {
	F(struct rt_check, url, "url", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_check, interval_ms, "interval_ms", YD_INT32, REQ),
	F(struct rt_check, timeout_ms, "timeout_ms", YD_INT32, REQ),
	F(struct rt_check, failures, "failures", YD_INT32, REQ),
};
static const struct yd_schema check_schema = {
	.what = "check", .size = sizeof(struct rt_check), YD_FIELDS(check_fields),
};

static const struct yd_field user_fields[] = {
	F(struct rt_user, uid, "uid", YD_INT, REQ),
	F(struct rt_user, gid, "gid", YD_INT, REQ),
};
static const struct yd_schema user_schema = {
	.what = "user", .size = sizeof(struct rt_user), YD_FIELDS(user_fields),
};

static const struct yd_field account_fields[] = {
	F(struct rt_account, name, "name", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_account, uid, "uid", YD_INT, REQ),
	F(struct rt_account, gid, "gid", YD_INT, REQ),
};
static const struct yd_schema account_schema = {
	.what = "account", .size = sizeof(struct rt_account), YD_FIELDS(account_fields),
};

static const struct yd_field secret_fields[] = {
	F(struct rt_secret, var, "var", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_secret, file, "file", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
};
static const struct yd_schema secret_schema = {
	.what = "secret", .size = sizeof(struct rt_secret), YD_FIELDS(secret_fields),
};

static const struct yd_field pg_fields[] = {
	F(struct rt_pg, role, "role", YD_ENUM, REQ, ENUM(role_names)),
	F(struct rt_pg, host, "host", YD_STRING, REQ),
	F(struct rt_pg, port, "port", YD_INT32, REQ),
	F(struct rt_pg, sockdir, "sockdir", YD_STRING, REQ),
	F(struct rt_pg, datastore, "datastore", YD_STRING, REQ),
};
static const struct yd_schema pg_schema = {
	.what = "PostgreSQL member", .size = sizeof(struct rt_pg), YD_FIELDS(pg_fields),
};

static void proc_init(void *obj)
{
	struct rt_proc *p = obj;

	p->stop_signal = SIGTERM;
}

static const struct yd_field proc_fields[] = {
	F(struct rt_proc, name, "name", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_proc, kind, "kind", YD_ENUM, REQ, ENUM(kind_names)),
	F(struct rt_proc, group, "group", YD_STRING, REQ),
	F(struct rt_proc, region, "region", YD_STRING, REQ),
	F(struct rt_proc, netns, "netns", YD_STRING),
	F(struct rt_proc, dir, "dir", YD_STRING),
	F(struct rt_proc, log, "log", YD_STRING, REQ),
	F(struct rt_proc, argv, "argv", YD_STRV, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_proc, env, "env", YD_STRV),
	F(struct rt_proc, secrets, "secrets", YD_LIST, SUB(secret_schema)),
	F(struct rt_proc, depends_on, "depends_on", YD_STRV),
	F(struct rt_proc, user, "user", YD_OPTIONAL, SUB(user_schema)),
	F(struct rt_proc, health, "health", YD_OPTIONAL, SUB(check_schema)),
	F(struct rt_proc, ready, "ready", YD_OPTIONAL, SUB(check_schema)),
	F(struct rt_proc, stop_signal, "stop_signal", YD_INT32,
	  .flags = YD_RANGE | YD_OMITDEFAULT, .min = 1, .max = 64),
	F(struct rt_proc, pg, "pg", YD_OPTIONAL, SUB(pg_schema)),
};
static const struct yd_schema proc_schema = {
	.what = "process", .size = sizeof(struct rt_proc), YD_FIELDS(proc_fields),
	.init = proc_init,
};

static const struct yd_field replica_fields[] = {
	F(struct rt_endpoint, name, "name", YD_STRING, REQ),
	F(struct rt_endpoint, region, "region", YD_STRING, REQ),
	F(struct rt_endpoint, addr, "addr", YD_STRING, REQ),
	F(struct rt_endpoint, port, "port", YD_INT32, REQ),
};
static const struct yd_schema replica_schema = {
	.what = "replica", .size = sizeof(struct rt_endpoint), YD_FIELDS(replica_fields),
};

static const struct yd_field member_fields[] = {
	F(struct rt_endpoint, name, "name", YD_STRING, REQ),
	F(struct rt_endpoint, role, "role", YD_ENUM, REQ, ENUM(role_names)),
	F(struct rt_endpoint, region, "region", YD_STRING, REQ),
	F(struct rt_endpoint, addr, "addr", YD_STRING, REQ),
	F(struct rt_endpoint, port, "port", YD_INT32, REQ),
};
static const struct yd_schema member_schema = {
	.what = "member", .size = sizeof(struct rt_endpoint), YD_FIELDS(member_fields),
};

static const struct yd_field service_fields[] = {
	F(struct rt_service, name, "name", YD_STRING, REQ),
	F(struct rt_service, port, "port", YD_INT32, REQ),
	F(struct rt_service, replicas, "replicas", YD_LIST, SUB(replica_schema)),
};
static const struct yd_schema service_schema = {
	.what = "service", .size = sizeof(struct rt_service), YD_FIELDS(service_fields),
};

static const struct yd_field datastore_fields[] = {
	F(struct rt_datastore, name, "name", YD_STRING, REQ),
	F(struct rt_datastore, engine, "engine", YD_STRING, REQ),
	F(struct rt_datastore, version, "version", YD_STRING, REQ),
	F(struct rt_datastore, mode, "mode", YD_STRING, REQ),
	F(struct rt_datastore, database, "database", YD_STRING, REQ),
	F(struct rt_datastore, username, "username", YD_STRING, REQ),
	F(struct rt_datastore, password_file, "password_file", YD_STRING, REQ),
	F(struct rt_datastore, replication_password_file, "replication_password_file",
	  YD_STRING, REQ),
	F(struct rt_datastore, primary, "primary", YD_STRING, REQ),
	F(struct rt_datastore, replica, "replica", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_datastore, members, "members", YD_LIST, SUB(member_schema)),
};
static const struct yd_schema datastore_schema = {
	.what = "datastore", .size = sizeof(struct rt_datastore), YD_FIELDS(datastore_fields),
};

static const struct yd_field gateway_fields[] = {
	F(struct rt_gateway, url, "url", YD_STRING, REQ),
	F(struct rt_gateway, addr, "addr", YD_STRING, REQ),
	F(struct rt_gateway, port, "port", YD_INT32, REQ),
	F(struct rt_gateway, tls, "tls", YD_BOOL, REQ),
	F(struct rt_gateway, auth, "auth", YD_STRING, REQ),
	F(struct rt_gateway, ca_file, "ca_file", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_gateway, username, "username", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_gateway, password_file, "password_file", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_gateway, conf, "conf", YD_STRING, REQ),
};
static const struct yd_schema gateway_schema = {
	.what = "gateway", .size = sizeof(struct rt_gateway), YD_FIELDS(gateway_fields),
};

static const struct yd_field failover_fields[] = {
	F(struct rt_failover, automatic, "automatic", YD_BOOL, REQ),
	F(struct rt_failover, after_ms, "after_ms", YD_INT, REQ),
	F(struct rt_failover, rpo_ms, "rpo_ms", YD_INT),
};
static const struct yd_schema failover_schema = {
	.what = "failover", YD_FIELDS(failover_fields),
};

static const struct yd_field ns_fields[] = {
	F(struct rt_ns, name, "name", YD_STRING, REQ),
	F(struct rt_ns, veth, "veth", YD_STRING, REQ),
	F(struct rt_ns, addr, "addr", YD_STRING, REQ),
	F(struct rt_ns, region, "region", YD_STRING),
	F(struct rt_ns, hosts, "hosts", YD_STRING),
};
static const struct yd_schema ns_schema = {
	.what = "namespace", .size = sizeof(struct rt_ns), YD_FIELDS(ns_fields),
};

static const struct yd_field net_fields[] = {
	F(struct rt_net, bridge, "bridge", YD_STRING),
	F(struct rt_net, bridge_addr, "bridge_addr", YD_STRING),
	F(struct rt_net, prefix, "prefix", YD_INT32, .flags = YD_RANGE | YD_OMITDEFAULT,
	  .min = 0, .max = 32),
	F(struct rt_net, nft_table, "nft_table", YD_STRING),
	F(struct rt_net, ns_list, "namespaces", YD_LIST, .flags = YD_OMITDEFAULT,
	  SUB(ns_schema)),
};
static const struct yd_schema net_schema = {
	.what = "network", .size = sizeof(struct rt_net), YD_FIELDS(net_fields),
};

static void state_init(void *obj)
{
	struct rt_state *st = obj;

	memset(st, 0, sizeof(*st));
	st->format = xasprintf("%s/%d", RT_STATE_FORMAT, RT_STATE_VERSION);
	st->version = RT_STATE_VERSION;
}

static const struct yd_field state_fields[] = {
	F(struct rt_state, format, "format", YD_STRING),
	F(struct rt_state, version, "version", YD_INT32),
	F(struct rt_state, name, "name", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_state, state, "state", YD_ENUM, REQ, ENUM(rt_phase_names)),
	F(struct rt_state, platform, "platform", YD_STRING, REQ),
	F(struct rt_state, tier, "tier", YD_STRING, REQ),
	F(struct rt_state, branch, "branch", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_state, commit, "commit", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_state, definition, "definition", YD_STRING),
	F(struct rt_state, created, "created", YD_INT),
	F(struct rt_state, expires, "expires", YD_INT),
	F(struct rt_state, mode, "mode", YD_ENUM, REQ, ENUM(rt_mode_names)),
	F(struct rt_state, index, "index", YD_INT32, .flags = YD_REQUIRED | YD_RANGE,
	  .min = 1, .max = RT_POOL_MAX),
	F(struct rt_state, uid, "uid", YD_INT),
	F(struct rt_state, account, "account", YD_OPTIONAL, SUB(account_schema)),
	F(struct rt_state, rundir, "rundir", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_state, socket, "socket", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct rt_state, failover, "failover", YD_STRUCT, REQ, SUB(failover_schema)),
	F(struct rt_state, net, "net", YD_STRUCT, SUB(net_schema)),
	F(struct rt_state, gateway, "gateway", YD_OPTIONAL, SUB(gateway_schema)),
	F(struct rt_state, datastores, "datastores", YD_LIST, SUB(datastore_schema)),
	F(struct rt_state, services, "services", YD_LIST, SUB(service_schema)),
	F(struct rt_state, processes, "processes", YD_LIST, SUB(proc_schema)),
};
static const struct yd_schema state_schema = {
	.what = "state", .size = sizeof(struct rt_state), YD_FIELDS(state_fields),
	.init = state_init,
};

/* ---- runtime.json ---- */

static void proc_now_init(void *obj)
{
	struct rt_proc_now *p = obj;

	p->last_exit = xstrdup("");
	p->check_error = xstrdup("");
}

static const struct yd_field proc_now_fields[] = {
	F(struct rt_proc_now, pid, "pid", YD_INT32),
	F(struct rt_proc_now, start_time, "start_time", YD_INT),
	F(struct rt_proc_now, state, "state", YD_ENUM, ENUM(rt_pstate_names)),
	F(struct rt_proc_now, healthy, "healthy", YD_BOOL),
	F(struct rt_proc_now, restarts, "restarts", YD_INT32),
	F(struct rt_proc_now, last_exit, "last_exit", YD_STRING),
	F(struct rt_proc_now, check_error, "check_error", YD_STRING, .flags = YD_OMITDEFAULT),
};
static const struct yd_schema proc_now_schema = {
	.what = "process", .size = sizeof(struct rt_proc_now), YD_FIELDS(proc_now_fields),
	.name_off = offsetof(struct rt_proc_now, name), .init = proc_now_init,
};

static const struct yd_field lag_fields[] = {
	F(struct rt_lag, bytes, "bytes", YD_INT),
	F(struct rt_lag, ms, "ms", YD_INT),
	F(struct rt_lag, transactions, "transactions", YD_INT),
	F(struct rt_lag, writes, "writes", YD_INT),
	F(struct rt_lag, streaming, "streaming", YD_BOOL),
};
static const struct yd_schema lag_schema = {
	.what = "lag", .size = sizeof(struct rt_lag), YD_FIELDS(lag_fields),
};

static const struct yd_field promotion_fields[] = {
	F(struct rt_promotion, time, "time", YD_INT),
	F(struct rt_promotion, from, "from", YD_STRING, REQ),
	F(struct rt_promotion, to, "to", YD_STRING, REQ),
	F(struct rt_promotion, reason, "reason", YD_STRING, REQ),
	F(struct rt_promotion, detected_ms, "detected_ms", YD_INT),
	F(struct rt_promotion, promoted_ms, "promoted_ms", YD_INT),
	F(struct rt_promotion, lag, "lag", YD_STRUCT, SUB(lag_schema)),
	F(struct rt_promotion, accepted_data_loss, "accepted_data_loss", YD_BOOL),
};
static const struct yd_schema promotion_schema = {
	.what = "promotion", .size = sizeof(struct rt_promotion), YD_FIELDS(promotion_fields),
};

static const struct yd_field attention_fields[] = {
	F(struct rt_attention, reason, "reason", YD_STRING, REQ),
	F(struct rt_attention, since, "since", YD_INT),
	F(struct rt_attention, loss, "estimated_loss", YD_STRUCT, SUB(lag_schema)),
};
static const struct yd_schema attention_schema = {
	.what = "attention", .size = sizeof(struct rt_attention), YD_FIELDS(attention_fields),
};

static const struct yd_field datastore_now_fields[] = {
	F(struct rt_datastore_now, primary, "primary", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_datastore_now, replica, "replica", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_datastore_now, failovers, "failovers", YD_INT32),
	F(struct rt_datastore_now, last_failover, "last_failover", YD_OPTIONAL,
	  SUB(promotion_schema)),
	F(struct rt_datastore_now, bootstrapped, "bootstrapped", YD_BOOL),
	F(struct rt_datastore_now, lag, "lag", YD_STRUCT, SUB(lag_schema)),
	F(struct rt_datastore_now, replay_lsn, "replay_lsn", YD_STRING, .flags = YD_NULLABLE),
	F(struct rt_datastore_now, attention, "attention", YD_OPTIONAL, SUB(attention_schema)),
	F(struct rt_datastore_now, degraded, "degraded", YD_STRING, .flags = YD_NULLABLE),
};
static const struct yd_schema datastore_now_schema = {
	.what = "datastore", .size = sizeof(struct rt_datastore_now),
	YD_FIELDS(datastore_now_fields), .name_off = offsetof(struct rt_datastore_now, name),
};

static const struct yd_field supervisor_now_fields[] = {
	F(struct rt_supervisor_now, pid, "pid", YD_INT32),
	F(struct rt_supervisor_now, start_time, "start_time", YD_INT),
	F(struct rt_supervisor_now, containment, "containment", YD_STRING),
	F(struct rt_supervisor_now, cgroup, "cgroup", YD_STRING),
};
static const struct yd_schema supervisor_now_schema = {
	.what = "supervisor", YD_FIELDS(supervisor_now_fields),
};

static void runtime_init(void *obj)
{
	struct rt_runtime *rt = obj;

	memset(rt, 0, sizeof(*rt));
	rt->format = xasprintf("%s/%d", RT_RUNTIME_FORMAT, RT_RUNTIME_VERSION);
	rt->version = RT_RUNTIME_VERSION;
}

static const struct yd_field runtime_fields[] = {
	F(struct rt_runtime, format, "format", YD_STRING),
	F(struct rt_runtime, version, "version", YD_INT32),
	F(struct rt_runtime, supervisor, "supervisor", YD_STRUCT, SUB(supervisor_now_schema)),
	F(struct rt_runtime, phase, "phase", YD_ENUM, ENUM(sv_phase_names)),
	F(struct rt_runtime, healthy, "healthy", YD_BOOL),
	F(struct rt_runtime, updated, "updated", YD_INT),
	F(struct rt_runtime, processes, "processes", YD_NAMED, SUB(proc_now_schema)),
	F(struct rt_runtime, datastores, "datastores", YD_NAMED, SUB(datastore_now_schema)),
};
static const struct yd_schema runtime_schema = {
	.what = "runtime", .size = sizeof(struct rt_runtime), YD_FIELDS(runtime_fields),
	.init = runtime_init,
};

/* ---- the codec ---- */

/*
 * Is this a `format` document of a major version we read? A document
 * without "format" and "version" predates them: version 1.
 */
static int check_version(const struct ynode *root, const char *format, int version,
			 struct diag *d)
{
	const struct ynode *f = root->kind == YN_MAP ? ynode_map_get(root, "format") : NULL;
	const struct ynode *v = root->kind == YN_MAP ? ynode_map_get(root, "version") : NULL;
	size_t len = strlen(format);
	const char *major;
	char *end;

	if (f && f->kind == YN_SCALAR) {
		if (strncmp(f->str, format, len) || f->str[len] != '/') {
			diag_add(d, f->pos.file, f->pos.line, f->pos.col,
				 "not a %s document: its format is '%s'", format, f->str);
			return -1;
		}
		major = f->str + len + 1;
		if (strtol(major, &end, 10) != version || *end || !*major) {
			diag_add(d, f->pos.file, f->pos.line, f->pos.col,
				 "%s version '%s' is not supported: this provisioner reads "
				 "version %d", format, major, version);
			return -1;
		}
	}
	if (v && v->kind == YN_SCALAR && (strtol(v->str, &end, 10) != version || *end)) {
		diag_add(d, v->pos.file, v->pos.line, v->pos.col,
			 "%s version '%s' is not supported: this provisioner reads version %d",
			 format, v->str, version);
		return -1;
	}
	return 0;
}

static int decode(const struct yd_schema *s, const char *format, int version, void *obj,
		  const char *text, size_t len, const char *file, struct strbuf *err)
{
	struct diag d = DIAG_INIT;
	struct ynode *root = ynode_parse(text, len, file, NULL, &d);
	int ret = -1;

	if (root && check_version(root, format, version, &d) == 0)
		ret = yd_decode(s, root, obj, &d);
	if (diag_count(&d)) {
		diag_sort(&d);
		diag_format(&d, err, "");
		strbuf_rtrim(err);
		ret = -1;
	}
	ynode_free(root);
	diag_release(&d);
	return ret;
}

static char *encode(const struct yd_schema *s, const void *obj, int indent)
{
	json_t *doc = yd_encode(s, obj);
	char *text = json_dumps(doc, (indent ? JSON_INDENT(2) : JSON_COMPACT) | JSON_SORT_KEYS);
	char *out = xasprintf("%s\n", text);

	free(text);
	json_decref(doc);
	return out;
}

static int load(const struct yd_schema *s, const char *format, int version, void *obj,
		const char *envdir, const char *file, struct strbuf *err)
{
	char *path = rt_env_path(envdir, file);
	struct strbuf text = STRBUF_INIT;
	int ret;

	s->init(obj);
	if (strbuf_read_file(&text, path, DOC_MAX) < 0) {
		ret = errno == ENOENT ? 1 : -1;
		if (ret < 0)
			strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
	} else {
		ret = decode(s, format, version, obj, text.buf, text.len, path, err);
	}
	strbuf_release(&text);
	free(path);
	return ret;
}

static int save(const struct yd_schema *s, const void *obj, const char *envdir, const char *file,
		struct strbuf *err)
{
	char *path = rt_env_path(envdir, file), *text = encode(s, obj, 1);
	int ret = write_file_atomic(path, text, strlen(text), 0644);

	if (ret < 0 && err)
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
	free(text);
	free(path);
	return ret;
}

void rt_state_init(struct rt_state *st)
{
	state_init(st);
}

void rt_state_release(struct rt_state *st)
{
	yd_release(&state_schema, st);
}

struct rt_proc *rt_state_add_proc(struct rt_state *st)
{
	struct rt_proc *p = yarray_push(&st->processes, sizeof(*p));

	proc_init(p);
	return p;
}

int rt_state_decode(struct rt_state *st, const char *text, size_t len, const char *file,
		    struct strbuf *err)
{
	return decode(&state_schema, RT_STATE_FORMAT, RT_STATE_VERSION, st, text, len, file, err);
}

char *rt_state_encode(const struct rt_state *st)
{
	return encode(&state_schema, st, 1);
}

int rt_state_load(struct rt_state *st, const char *envdir, struct strbuf *err)
{
	return load(&state_schema, RT_STATE_FORMAT, RT_STATE_VERSION, st, envdir, "state.json",
		    err);
}

int rt_state_save(const struct rt_state *st, const char *envdir, struct strbuf *err)
{
	return save(&state_schema, st, envdir, "state.json", err);
}

void rt_runtime_init(struct rt_runtime *rt)
{
	runtime_init(rt);
}

void rt_runtime_release(struct rt_runtime *rt)
{
	yd_release(&runtime_schema, rt);
}

int rt_runtime_decode(struct rt_runtime *rt, const char *text, size_t len, const char *file,
		      struct strbuf *err)
{
	return decode(&runtime_schema, RT_RUNTIME_FORMAT, RT_RUNTIME_VERSION, rt, text, len, file,
		      err);
}

char *rt_runtime_encode(const struct rt_runtime *rt, int indent)
{
	return encode(&runtime_schema, rt, indent);
}

int rt_runtime_load(struct rt_runtime *rt, const char *envdir, struct strbuf *err)
{
	return load(&runtime_schema, RT_RUNTIME_FORMAT, RT_RUNTIME_VERSION, rt, envdir,
		    "runtime.json", err);
}

int rt_runtime_save(const struct rt_runtime *rt, const char *envdir, struct strbuf *err)
{
	return save(&runtime_schema, rt, envdir, "runtime.json", err);
}

const struct rt_proc_now *rt_runtime_proc(const struct rt_runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt->processes, struct rt_proc_now, i);

		if (!strcmp(p->name, name))
			return p;
	}
	return NULL;
}

const struct rt_datastore_now *rt_runtime_datastore(const struct rt_runtime *rt,
						    const char *name)
{
	for (size_t i = 0; i < rt->datastores.nr; i++) {
		const struct rt_datastore_now *d = RT_AT(rt->datastores, struct rt_datastore_now, i);

		if (!strcmp(d->name, name))
			return d;
	}
	return NULL;
}
