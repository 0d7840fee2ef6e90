/*
 * Status documents; see rt-status.h.
 *
 *   { "name", "state": creating|running|degraded|failed|stopped, "mode",
 *     "tier", "branch", "commit", "created", "expires", "dir",
 *     "gateway": { "url", "ca_file", "username", "password_file", "auth", "healthy" },
 *     "services": { NAME: { "replicas": [ { "name", "region", "address", "pid",
 *                                           "healthy", "restarts", "state" } ] } },
 *     "datastores": { NAME: { "engine", "version", "database", "username",
 *                             "password_file", "mode", "failovers", "last_failover",
 *                             "primary": MEMBER, "replicas": [ MEMBER ] } },
 *     "supervisor": { "pid", "alive" } }
 *
 * MEMBER is { "name", "region", "address", "pid", "healthy", "state" }.
 */
#include "rt-status.h"
#include "rt-env.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *runtime_of(const char *envdir, int *alive)
{
	char *answer = NULL, *path;
	json_t *rt = NULL;

	*alive = rt_supervisor_pid(envdir) > 0;
	if (*alive && (answer = rt_control(envdir, "status", 2000)))
		rt = json_loads(answer, 0, NULL);
	free(answer);
	if (rt)
		return rt;
	path = rt_env_path(envdir, "runtime.json");
	rt = rt_json_load(path, NULL);
	free(path);
	return rt ? rt : json_object();
}

static json_t *member(json_t *procs, json_t *m, const char *addr_key)
{
	json_t *p = json_object_get(procs, rt_str(m, "name"));

	return json_pack("{s:s, s:s, s:o, s:i, s:b, s:s, s:i}", "name", rt_str(m, "name"),
		"region", rt_str(m, "region"),
		addr_key, json_sprintf("%s:%lld", rt_str(m, "addr"), rt_int(m, "port")),
		"pid", (int)rt_int(p, "pid"), "healthy", json_is_true(json_object_get(p, "healthy")),
		"state", *rt_str(p, "state") ? rt_str(p, "state") : "unknown",
		"restarts", (int)rt_int(p, "restarts"));
}

static json_t *services_doc(json_t *st, json_t *procs)
{
	json_t *out = json_object(), *s, *r;
	size_t i, k;

	json_array_foreach(json_object_get(st, "services"), i, s) {
		json_t *reps = json_array();

		json_array_foreach(json_object_get(s, "replicas"), k, r)
			json_array_append_new(reps, member(procs, r, "address"));
		json_object_set_new(out, rt_str(s, "name"), json_pack("{s:o}", "replicas", reps));
	}
	return out;
}

static json_t *datastores_doc(json_t *st, json_t *rt, json_t *procs)
{
	json_t *out = json_object(), *d, *m;
	size_t i, k;

	json_array_foreach(json_object_get(st, "datastores"), i, d) {
		json_t *now = json_object_get(json_object_get(rt, "datastores"), rt_str(d, "name"));
		const char *primary = *rt_str(now, "primary") ? rt_str(now, "primary") : rt_str(d, "primary");
		json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
			"engine", rt_str(d, "engine"), "version", rt_str(d, "version"),
			"database", rt_str(d, "database"), "username", rt_str(d, "username"),
			"password_file", rt_str(d, "password_file"), "mode", rt_str(d, "mode"),
			"failovers", (int)rt_int(now, "failovers"),
			"last_failover", rt_str(now, "last_failover"));
		json_t *reps = json_array();

		json_array_foreach(json_object_get(d, "members"), k, m) {
			if (!strcmp(rt_str(m, "name"), primary))
				json_object_set_new(doc, "primary", member(procs, m, "address"));
			else
				json_array_append_new(reps, member(procs, m, "address"));
		}
		json_object_set_new(doc, "replicas", reps);
		json_object_set_new(out, rt_str(d, "name"), doc);
	}
	return out;
}

json_t *rt_status_doc(const char *state, const char *name, struct strbuf *err)
{
	char *envdir = rt_env_dir(state, name), *path = rt_env_path(envdir, "state.json");
	json_t *st = rt_json_load(path, NULL), *rt, *procs, *doc, *gw;
	const char *phase;
	int alive;

	free(path);
	if (!st) {
		strbuf_addf(err, "no environment '%s' (see 'provisioner list')", name);
		free(envdir);
		return NULL;
	}
	rt = runtime_of(envdir, &alive);
	procs = json_object_get(rt, "processes");
	phase = rt_str(st, "state");
	if (!strcmp(phase, "running") && !alive)
		phase = "failed";        /* the supervisor is gone: gc removes it */
	else if (!strcmp(phase, "running") && !json_is_true(json_object_get(rt, "healthy")))
		phase = "degraded";
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:s}",
		"name", rt_str(st, "name"), "state", phase, "mode", rt_str(st, "mode"),
		"tier", rt_str(st, "tier"), "branch", json_string_value(json_object_get(st, "branch")),
		"commit", json_string_value(json_object_get(st, "commit")),
		"created", (json_int_t)rt_int(st, "created"), "expires", (json_int_t)rt_int(st, "expires"),
		"dir", envdir);
	gw = json_deep_copy(json_object_get(st, "gateway"));
	if (!gw)
		gw = json_object();
	json_object_del(gw, "conf");
	json_object_set_new(gw, "healthy",
		json_boolean(json_is_true(json_object_get(json_object_get(procs, "gateway"), "healthy"))));
	json_object_set_new(doc, "gateway", gw);
	json_object_set_new(doc, "services", services_doc(st, procs));
	json_object_set_new(doc, "datastores", datastores_doc(st, rt, procs));
	json_object_set_new(doc, "supervisor", json_pack("{s:i, s:b}", "pid",
		(int)rt_int(json_object_get(rt, "supervisor"), "pid"), "alive", alive));
	json_decref(st);
	json_decref(rt);
	free(envdir);
	return doc;
}

static void print_member(FILE *f, json_t *m, const char *role)
{
	fprintf(f, "    %-9s %-16s %-22s %-10s pid %-7d %s%s\n", role, rt_str(m, "name"),
		rt_str(m, "address"), rt_str(m, "region"), (int)rt_int(m, "pid"),
		json_is_true(json_object_get(m, "healthy")) ? "healthy" : rt_str(m, "state"),
		rt_int(m, "restarts") ? "" : "");
}

void rt_status_print(FILE *f, json_t *doc)
{
	json_t *gw = json_object_get(doc, "gateway"), *v, *m;
	const char *name;
	size_t i;
	long long exp = rt_int(doc, "expires");

	fprintf(f, "environment %s: %s (%s", rt_str(doc, "name"), rt_str(doc, "state"),
		rt_str(doc, "mode"));
	if (exp) {
		long long left = exp - (long long)time(NULL);

		fprintf(f, left > 0 ? ", expires in %lldh%02lldm" : ", expired", left / 3600,
			(left % 3600) / 60);
	}
	fprintf(f, ")\n");
	if (*rt_str(gw, "url")) {
		fprintf(f, "  gateway      %s  (%s%s)\n", rt_str(gw, "url"),
			json_is_true(json_object_get(gw, "tls")) ? "TLS, " : "", rt_str(gw, "auth"));
		if (*rt_str(gw, "ca_file"))
			fprintf(f, "  ca file      %s\n", rt_str(gw, "ca_file"));
		if (*rt_str(gw, "password_file"))
			fprintf(f, "  credentials  %s%s%s\n", rt_str(gw, "password_file"),
				*rt_str(gw, "username") ? "  user " : "", rt_str(gw, "username"));
	}
	json_object_foreach(json_object_get(doc, "services"), name, v) {
		fprintf(f, "  service %s\n", name);
		json_array_foreach(json_object_get(v, "replicas"), i, m)
			print_member(f, m, "replica");
	}
	json_object_foreach(json_object_get(doc, "datastores"), name, v) {
		fprintf(f, "  datastore %s (%s %s, %s replication, database %s, user %s)\n", name,
			rt_str(v, "engine"), rt_str(v, "version"), rt_str(v, "mode"),
			rt_str(v, "database"), rt_str(v, "username"));
		if (json_object_get(v, "primary"))
			print_member(f, json_object_get(v, "primary"), "primary");
		json_array_foreach(json_object_get(v, "replicas"), i, m)
			print_member(f, m, "replica");
		if (*rt_str(v, "last_failover"))
			fprintf(f, "    last failover: %s\n", rt_str(v, "last_failover"));
	}
}
