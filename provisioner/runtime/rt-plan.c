/*
 * The local runtime's plan and the files it needs; see rt-plan.h.
 *
 * Addresses: environment N (1..250, from the pool) owns 10.213.N.0/24 in
 * namespace mode (the host is .1 on the bridge, the gateway .2, region i
 * .10+i) and 127.77.N.0/24 in loopback mode. Ports: what the definition
 * says in namespace mode (replica k of a service listens on port + k);
 * in loopback mode every listener gets its own port from 10000 + 80 N,
 * below the kernel's ephemeral range, so neither two environments nor two
 * regions of one can clash even if a program binds every address.
 */
#include "rt-plan.h"
#include "fsutil.h"
#include "pki.h"
#include "rt-env.h"
#include "rt-gw.h"
#include "rt-net.h"
#include "rt-pg.h"
#include "run-command.h"
#include "strbuf.h"
#include "strv.h"
#include "subst.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PORT_BLOCK 80
#define PORT_BASE 10000
#define CERT_DAYS 30

struct pg_member {
	char *name, *dir, *datadir, *sockdir, *passfile, *bindir, *version, *repl_pw_file;
	int standby;
};

struct listener {
	char *addr;
	int port;
	char *who;
};

struct rt_plan {
	const struct env_model *m;
	struct rt_plan_opts o;
	json_t *st, *procs;
	char *envdir, *rundir, *secrets;
	int next_port;
	struct pg_owner pg;
	int svc_drop;
	uid_t svc_uid;
	gid_t svc_gid;
	char *nginx;
	char *gw_addr, *gw_ns;
	int gw_port;
	char **reg_addr, **reg_ns;
	size_t nr_reg;
	struct gw_conf gw;
	char *gw_password_file, *htpasswd_file, *ca_key, *ca_cert, *gw_key, *gw_cert;
	struct pg_member *pgm;
	size_t nr_pgm;
	char *hba_file, *cidr;
	struct strv gen_secrets;      /* files to fill with a token if missing */
	struct strv env_secrets;      /* pairs: file, variable of ours to copy */
	struct listener *listeners;
	size_t nr_listeners;
};

json_t *rt_plan_state(struct rt_plan *p)
{
	return p->st;
}

static char *path_in(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *path_in(const char *dir, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addf(&sb, "%s/", dir);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

static char *addr_of(struct rt_plan *p, int host)
{
	if (p->o.netns)
		return xasprintf("10.213.%d.%d", p->o.index, host);
	return xasprintf("127.77.%d.%d", p->o.index, host);
}

/* A port for a listener; clashes inside one address are an error. */
static int take_port(struct rt_plan *p, const char *addr, int wanted, const char *who,
		     struct strbuf *err)
{
	int port = p->o.netns ? wanted : p->next_port++;

	if (!p->o.netns && port >= PORT_BASE + PORT_BLOCK * (p->o.index + 1)) {
		strbuf_addf(err, "more than %d listeners in one environment", PORT_BLOCK);
		return -1;
	}
	for (size_t i = 0; i < p->nr_listeners; i++)
		if (!strcmp(p->listeners[i].addr, addr) && p->listeners[i].port == port) {
			strbuf_addf(err, "'%s' and '%s' both want port %d on %s", p->listeners[i].who,
				    who, port, addr);
			return -1;
		}
	p->listeners = xreallocarray(p->listeners, p->nr_listeners + 1, sizeof(*p->listeners));
	p->listeners[p->nr_listeners++] = (struct listener){ xstrdup(addr), port, xstrdup(who) };
	return port;
}

/* ---- network ---- */

static void hosts_add(struct strbuf *h, const char *addr, const char *names)
{
	strbuf_addf(h, "%-15s %s\n", addr, names);
}

static char *hosts_for(struct rt_plan *p, size_t here)
{
	const struct env_model *m = p->m;
	struct strbuf h = STRBUF_INIT;
	size_t i = 0;

	strbuf_addf(&h, "# written by provisioner for environment %s\n", m->env_name);
	hosts_add(&h, "127.0.0.1", "localhost");
	hosts_add(&h, p->gw_addr, "gateway");
	for_each_region(m, r) {
		struct strbuf names = STRBUF_INIT;

		strbuf_addf(&names, "%s %s", r->key, r->name);
		for_each_service(m, s)
			strbuf_addf(&names, " %s.%s", s->name, r->key);
		/* a service's bare name is its replicas in the same region */
		for_each_service(m, s)
			if (i + 1 == here)
				strbuf_addf(&names, " %s", s->name);
		for_each_datastore(m, d) {
			if (datastore_primary_region(m, d) == r)
				strbuf_addf(&names, " %s %s-primary", d->name, d->name);
			if (datastore_replica_region(m, d) == r)
				strbuf_addf(&names, " %s-replica", d->name);
		}
		hosts_add(&h, p->reg_addr[i], names.buf);
		strbuf_release(&names);
		i++;
	}
	return strbuf_detach(&h, NULL);
}

static void plan_net(struct rt_plan *p)
{
	const struct env_model *m = p->m;
	json_t *net = json_object(), *nss = json_array();
	size_t i = 0;

	p->nr_reg = m->regions.nr;
	p->reg_addr = xcalloc(p->nr_reg, sizeof(char *));
	p->reg_ns = xcalloc(p->nr_reg, sizeof(char *));
	p->gw_addr = addr_of(p, 2);
	for_each_region(m, r) {
		p->reg_addr[i] = addr_of(p, 10 + (int)i);
		if (p->o.netns)
			p->reg_ns[i] = xasprintf("pv-%s-%s", m->env_name, r->key);
		i++;
	}
	if (!p->o.netns) {
		json_object_set_new(p->st, "net", net);
		json_decref(nss);
		return;
	}
	p->gw_ns = xasprintf("pv-%s-gateway", m->env_name);
	json_object_set_new(net, "bridge", json_sprintf("pv%dbr", p->o.index));
	json_object_set_new(net, "bridge_addr", json_sprintf("10.213.%d.1", p->o.index));
	json_object_set_new(net, "prefix", json_integer(24));
	json_object_set_new(net, "nft_table", json_sprintf("pv_%d", p->o.index));
	for (i = 0; i <= p->nr_reg; i++) {
		char *hosts = hosts_for(p, i), *veth = xasprintf("pv%dn%zu", p->o.index, i);

		json_array_append_new(nss, json_pack("{s:s, s:s, s:s, s:s, s:s}",
			"name", i ? p->reg_ns[i - 1] : p->gw_ns,
			"veth", veth,
			"addr", i ? p->reg_addr[i - 1] : p->gw_addr,
			"region", i ? ((struct region *)m->regions.v)[i - 1].key : "gateway",
			"hosts", hosts));
		free(hosts);
		free(veth);
	}
	json_object_set_new(net, "namespaces", nss);
	json_object_set_new(p->st, "net", net);
}

static size_t region_index(const struct env_model *m, const struct region *r)
{
	return (size_t)(r - (const struct region *)m->regions.v);
}

/* ---- processes ---- */

static json_t *proc_new(struct rt_plan *p, const char *name, const char *kind, const char *group,
			const char *region, const char *ns)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "kind", kind,
			      "group", group, "region", region, "dir", "/");
	char *log = path_in(p->envdir, "logs/%s.log", name);

	json_object_set_new(o, "log", json_string(log));
	free(log);
	if (ns)
		json_object_set_new(o, "netns", json_string(ns));
	json_object_set_new(o, "depends_on", json_array());
	json_object_set_new(o, "env", json_array());
	json_object_set_new(o, "secrets", json_array());
	json_array_append_new(p->procs, o);
	return o;
}

static void proc_user(json_t *o, int drop, uid_t uid, gid_t gid)
{
	if (drop)
		json_object_set_new(o, "user", json_pack("{s:I, s:I}", "uid", (json_int_t)uid,
							 "gid", (json_int_t)gid));
}

static void proc_check(json_t *o, const char *key, const char *url, const struct check *c)
{
	json_object_set_new(o, key, json_pack("{s:s, s:I, s:I, s:I}", "url", url,
		"interval_ms", (json_int_t)(c && c->interval_ms ? c->interval_ms : 5000),
		"timeout_ms", (json_int_t)(c && c->timeout_ms ? c->timeout_ms : 2000),
		"failures", (json_int_t)(c && c->failures ? c->failures : 3)));
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();

	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static int plan_datastore(struct rt_plan *p, const struct datastore *d, struct strbuf *err)
{
	const struct env_model *m = p->m;
	const struct region *pr = datastore_primary_region(m, d), *rr = datastore_replica_region(m, d);
	const struct region *regs[2] = { pr, rr };
	char *bindir = pg_find_bindir(d->version, err);
	json_t *members = json_array(), *ds;
	char *pw = path_in(p->secrets, "%s.password", d->name);
	char *rpw = path_in(p->secrets, "%s.replication.password", d->name);
	char *names[2] = { xasprintf("%s-primary", d->name), xasprintf("%s-replica", d->name) };
	int ports[2] = { 0, 0 };

	if (!bindir) {
		json_decref(members);
		free(pw);
		free(rpw);
		free(names[0]);
		free(names[1]);
		return -1;
	}
	strv_push(&p->gen_secrets, pw);
	strv_push(&p->gen_secrets, rpw);
	for (int k = 0; k < 2 && regs[k]; k++) {
		size_t ri = region_index(m, regs[k]);
		struct pg_member *pm;
		struct pg_instance pi = { 0 };
		json_t *o;
		char **argv;

		ports[k] = take_port(p, p->reg_addr[ri], (int)d->port, names[k], err);
		if (ports[k] < 0)
			break;
		p->pgm = xreallocarray(p->pgm, p->nr_pgm + 1, sizeof(*p->pgm));
		pm = &p->pgm[p->nr_pgm++];
		memset(pm, 0, sizeof(*pm));
		pm->name = xstrdup(names[k]);
		pm->dir = path_in(p->envdir, "pg/%s", names[k]);
		pm->datadir = path_in(pm->dir, "data");
		pm->sockdir = path_in(p->rundir, "%s", names[k]);
		pm->bindir = xstrdup(bindir);
		pm->version = xstrdup(d->version);
		pm->standby = k == 1;
		pm->passfile = k == 1 ? path_in(pm->dir, "replication.pgpass") : NULL;
		pm->repl_pw_file = xstrdup(rpw);
		pi = (struct pg_instance){ .bindir = bindir, .datadir = pm->datadir,
			.sockdir = pm->sockdir, .hba_file = p->hba_file,
			.listen_addr = p->reg_addr[ri], .port = ports[k], .name = names[k] };
		if (k == 1) {
			pi.primary_host = p->reg_addr[region_index(m, pr)];
			pi.primary_port = ports[0];
			pi.passfile = pm->passfile;
		} else if (rr && d->replication.mode == REPL_SYNC) {
			pi.sync_standby = names[1];
		}
		o = proc_new(p, names[k], "datastore", d->name, regs[k]->key, p->reg_ns[ri]);
		argv = pg_argv(&pi);
		json_object_set_new(o, "argv", strv_json(argv));
		strv_free(argv);
		proc_user(o, p->pg.drop, p->pg.uid, p->pg.gid);
		/*
		 * Immediate shutdown: the supervisor stops everything only for
		 * `down`, which deletes the data next, so a shutdown checkpoint
		 * would be written for nothing.
		 */
		json_object_set_new(o, "stop_signal", json_integer(SIGQUIT));
		json_object_set_new(o, "pg", json_pack("{s:s, s:s, s:i, s:s, s:s}",
			"role", k ? "replica" : "primary", "host", p->reg_addr[ri], "port", ports[k],
			"sockdir", pm->sockdir, "datastore", d->name));
		json_array_append_new(members, json_pack("{s:s, s:s, s:s, s:s, s:i}",
			"name", names[k], "role", k ? "replica" : "primary", "region", regs[k]->key,
			"addr", p->reg_addr[ri], "port", ports[k]));
	}
	if (ports[0] < 0 || ports[1] < 0) {
		json_decref(members);
		free(bindir);
		free(pw);
		free(rpw);
		free(names[0]);
		free(names[1]);
		return -1;
	}
	ds = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:o}", "name", d->name,
		"engine", engine_names[d->engine], "version", d->version, "database", d->database,
		"username", d->username, "password_file", pw, "replication_password_file", rpw,
		"primary", names[0], "replica", rr ? names[1] : NULL, "members", members);
	json_object_set_new(ds, "mode", json_string(repl_mode_names[d->replication.mode]));
	json_array_append_new(json_object_get(p->st, "datastores"), ds);
	free(bindir);
	free(pw);
	free(rpw);
	free(names[0]);
	free(names[1]);
	return 0;
}

/* A service's program: beside us first (a build tree, an install), then PATH. */
static char *service_program(struct rt_plan *p, const char *name)
{
	char *selfdir = path_dirname(p->o.self), *platform = path_join(selfdir, "../platform");
	const char *beside[] = { selfdir, platform, NULL };
	const struct program_search s = { .before = beside };
	char *found = find_program(name, &s), *real = NULL;

	/* the service's argv names its real path, without ".." or links */
	if (found && !strchr(name, '/')) {
		real = realpath(found, NULL);
		free(found);
		found = real;
	}
	free(platform);
	free(selfdir);
	return found;
}

static const struct datastore *first_datastore_dep(const struct env_model *m,
						   const struct service *s)
{
	for (size_t i = 0; i < s->depends_on.nr; i++) {
		const struct datastore *d = model_datastore(m, s->depends_on.v[i].name);

		if (d)
			return d;
	}
	return NULL;
}

static void upper_key(struct strbuf *sb, const char *name, const char *suffix)
{
	for (const char *c = name; *c; c++)
		strbuf_addch(sb, *c == '-' ? '_' : (*c >= 'a' && *c <= 'z') ? *c - 32 : *c);
	strbuf_addf(sb, "_%s", suffix);
}

static void env_add(json_t *env, const char *key, const char *val)
{
	json_array_append_new(env, json_sprintf("%s=%s", key, val));
}

/* The datastore members' addresses, primary first: a libpq multi-host list. */
static void ds_hosts(struct rt_plan *p, const char *ds, struct strbuf *hosts, struct strbuf *ports)
{
	json_t *dss = json_object_get(p->st, "datastores"), *d, *mem;
	size_t i, k;

	json_array_foreach(dss, i, d) {
		if (strcmp(rt_str(d, "name"), ds))
			continue;
		json_array_foreach(json_object_get(d, "members"), k, mem) {
			strbuf_addf(hosts, "%s%s", k ? "," : "", rt_str(mem, "addr"));
			strbuf_addf(ports, "%s%lld", k ? "," : "", rt_int(mem, "port"));
		}
	}
}

static void service_env(struct rt_plan *p, const struct service *s, const struct region *r,
			json_t *o, const char *name, const struct subst_deferred *dv)
{
	const struct env_model *m = p->m;
	json_t *env = json_object_get(o, "env"), *secrets = json_object_get(o, "secrets");
	const struct datastore *db = first_datastore_dep(m, s);

	env_add(env, "PLATFORM", m->platform);
	env_add(env, "ENVIRONMENT", m->env_name);
	env_add(env, "TIER", tier_names[m->tier]);
	env_add(env, "REGION", r->name);
	env_add(env, "PORT", dv->port);
	for (size_t i = 0; i < s->depends_on.nr; i++) {
		const char *dep = s->depends_on.v[i].name;
		struct strbuf k = STRBUF_INIT, hosts = STRBUF_INIT, ports = STRBUF_INIT;
		const struct datastore *d = model_datastore(m, dep);

		if (!d)
			continue;
		ds_hosts(p, dep, &hosts, &ports);
		upper_key(&k, dep, "HOST");
		env_add(env, k.buf, hosts.buf);
		strbuf_reset(&k);
		upper_key(&k, dep, "PORT");
		env_add(env, k.buf, ports.buf);
		strbuf_reset(&k);
		upper_key(&k, dep, "DATABASE");
		env_add(env, k.buf, d->database);
		strbuf_reset(&k);
		upper_key(&k, dep, "USER");
		env_add(env, k.buf, d->username);
		if (d == db) {
			/* libpq's own variables: any libpq program follows a promoted replica */
			env_add(env, "PGHOST", hosts.buf);
			env_add(env, "PGPORT", ports.buf);
			env_add(env, "PGDATABASE", d->database);
			env_add(env, "PGUSER", d->username);
			env_add(env, "PGTARGETSESSIONATTRS", "read-write");
			env_add(env, "PGCONNECT_TIMEOUT", "2");
			env_add(env, "PGAPPNAME", name);
			char *file = path_in(p->secrets, "%s.password", d->name);

			json_array_append_new(secrets, json_pack("{s:s, s:s}", "var", "PGPASSWORD",
								 "file", file));
			free(file);
		}
		strbuf_release(&k);
		strbuf_release(&hosts);
		strbuf_release(&ports);
	}
	for (size_t i = 0; i < s->env.nr; i++) {
		struct strbuf v = STRBUF_INIT;

		subst_deferred(&v, s->env.v[i].val, dv);
		env_add(env, s->env.v[i].key, v.buf);
		strbuf_release(&v);
	}
	for (size_t i = 0; i < s->secrets.nr; i++) {
		const struct secret_ref *sr = MODEL_AT(s->secrets, struct secret_ref, i);
		char *file;

		if (sr->from == SECRET_FROM_FILE) {
			file = xstrdup(sr->name);
		} else {
			file = path_in(p->secrets, "%s.%s", s->name, sr->var);
			if (getenv(sr->name) && *getenv(sr->name)) {
				strv_push(&p->env_secrets, file);
				strv_push(&p->env_secrets, sr->name);
			} else {
				strv_push(&p->gen_secrets, file);
			}
		}
		json_array_append_new(secrets, json_pack("{s:s, s:s}", "var", sr->var, "file", file));
		free(file);
	}
}

static int plan_service(struct rt_plan *p, const struct service *s, struct strbuf *err)
{
	const struct env_model *m = p->m;
	json_t *svc = json_pack("{s:s, s:I, s:[]}", "name", s->name, "port", (json_int_t)s->port,
				"replicas");
	char *prog = s->run.nr ? service_program(p, s->run.v[0].name) : NULL;

	if (!prog) {
		strbuf_addf(err, "service '%s': %s", s->name, s->run.nr ?
			    "cannot find its program (looked beside provisioner and in PATH)" :
			    "has no 'run' for the local runtime");
		if (s->run.nr)
			strbuf_addf(err, ": '%s'", s->run.v[0].name);
		json_decref(svc);
		return -1;
	}
	for_each_region(m, r) {
		size_t ri = region_index(m, r);

		for (int64_t k = 0; k < s->replicas; k++) {
			char *name = xasprintf("%s-%s-%lld", s->name, r->key, (long long)k);
			int port = take_port(p, p->reg_addr[ri], (int)(s->port + k), name, err);
			char portbuf[16], *url;
			struct subst_deferred dv = { r->name, portbuf, p->reg_addr[ri] };
			json_t *o, *argv = json_array();

			if (port < 0) {
				free(name);
				free(prog);
				json_decref(argv);
				json_decref(svc);
				return -1;
			}
			snprintf(portbuf, sizeof(portbuf), "%d", port);
			o = proc_new(p, name, "service", s->name, r->key, p->reg_ns[ri]);
			json_array_append_new(argv, json_string(prog));
			for (size_t i = 1; i < s->run.nr; i++) {
				struct strbuf a = STRBUF_INIT;

				subst_deferred(&a, s->run.v[i].name, &dv);
				json_array_append_new(argv, json_string(a.buf));
				strbuf_release(&a);
			}
			json_object_set_new(o, "argv", argv);
			service_env(p, s, r, o, name, &dv);
			proc_user(o, p->svc_drop, p->svc_uid, p->svc_gid);
			for (size_t i = 0; i < s->depends_on.nr; i++)
				json_array_append_new(json_object_get(o, "depends_on"),
						      json_string(s->depends_on.v[i].name));
			if (s->health.http) {
				url = xasprintf("http://%s:%d%s", p->reg_addr[ri], port, s->health.http);
				proc_check(o, "health", url, &s->health);
				free(url);
			}
			if (s->ready.http) {
				url = xasprintf("http://%s:%d%s", p->reg_addr[ri], port, s->ready.http);
				proc_check(o, "ready", url, &s->ready);
				free(url);
			}
			json_array_append_new(json_object_get(svc, "replicas"), json_pack(
				"{s:s, s:s, s:s, s:i}", "name", name, "region", r->key,
				"addr", p->reg_addr[ri], "port", port));
			free(name);
		}
	}
	json_array_append_new(json_object_get(p->st, "services"), svc);
	free(prog);
	return 0;
}

/* ---- gateway ---- */

static void gw_upstream_for(struct rt_plan *p, struct gw_upstream *u, const char *service)
{
	json_t *svcs = json_object_get(p->st, "services"), *s, *r;
	const char *primary = model_primary_region(p->m)->key;
	size_t i, k;

	u->name = xstrdup(service);
	json_array_foreach(svcs, i, s) {
		if (strcmp(rt_str(s, "name"), service))
			continue;
		json_array_foreach(json_object_get(s, "replicas"), k, r) {
			u->servers = xreallocarray(u->servers, u->nr_servers + 1, sizeof(*u->servers));
			u->servers[u->nr_servers++] = (struct gw_server){ xstrdup(rt_str(r, "addr")),
				(int)rt_int(r, "port"), strcmp(rt_str(r, "region"), primary) != 0 };
		}
	}
}

static int plan_gateway(struct rt_plan *p, struct strbuf *err)
{
	const struct env_model *m = p->m;
	const struct gateway *g = &m->gateway;
	struct gw_conf *c = &p->gw;
	char *conf = path_in(p->envdir, "gateway/nginx.conf"), *url;
	json_t *o, *deps;
	char **argv;

	if (!g->routes.nr) {
		free(conf);
		return 0;
	}
	p->nginx = gw_find_nginx(err);
	if (!p->nginx) {
		free(conf);
		return -1;
	}
	p->gw_port = take_port(p, p->gw_addr, g->tls ? 443 : 80, "gateway", err);
	if (p->gw_port < 0) {
		free(conf);
		return -1;
	}
	c->listen_addr = xstrdup(p->gw_addr);
	c->port = p->gw_port;
	c->tls = g->tls;
	c->cert_file = xstrdup(p->gw_cert);
	c->key_file = xstrdup(p->gw_key);
	c->auth = g->auth;
	c->realm = xstrdup(m->env_name);
	if (g->auth == AUTH_BASIC)
		c->htpasswd_file = xstrdup(p->htpasswd_file);
	if (g->auth == AUTH_BEARER)
		c->bearer_file = path_in(p->secrets, "gateway.bearer.conf");
	c->rate_rpm = g->rate_rpm;
	c->burst = g->burst;
	c->workers = g->replicas > 0 && g->replicas < 4 ? (int)g->replicas : 2;
	c->user = geteuid() == 0 ? xstrdup("nobody") : NULL;
	c->prefix_dir = path_in(p->envdir, "gateway");
	c->nr_routes = g->routes.nr;
	c->routes = xcalloc(g->routes.nr, sizeof(*c->routes));
	c->upstreams = xcalloc(g->routes.nr, sizeof(*c->upstreams));
	deps = json_array();
	for (size_t i = 0; i < g->routes.nr; i++) {
		const struct route *rt = MODEL_AT(g->routes, struct route, i);
		size_t u;

		c->routes[i] = (struct gw_route){ xstrdup(rt->prefix), xstrdup(rt->service.name) };
		for (u = 0; u < c->nr_upstreams; u++)
			if (!strcmp(c->upstreams[u].name, rt->service.name))
				break;
		if (u == c->nr_upstreams) {
			gw_upstream_for(p, &c->upstreams[c->nr_upstreams++], rt->service.name);
			json_array_append_new(deps, json_string(rt->service.name));
		}
	}
	o = proc_new(p, "gateway", "gateway", "gateway", "gateway", p->gw_ns);
	argv = gw_argv(p->nginx, c, conf);
	json_object_set_new(o, "argv", strv_json(argv));
	strv_free(argv);
	json_object_set_new(o, "depends_on", deps);
	url = xasprintf("%s://%s:%d/healthz", g->tls ? "https" : "http", p->gw_addr, p->gw_port);
	proc_check(o, "health", url, NULL);
	free(url);
	if (g->tls && p->gw_port == 443)
		url = xasprintf("https://%s", p->gw_addr);
	else
		url = xasprintf("%s://%s:%d", g->tls ? "https" : "http", p->gw_addr, p->gw_port);
	json_object_set_new(p->st, "gateway", json_pack("{s:s, s:s, s:i, s:b, s:s, s:s?, s:s?, s:s?, s:s}",
		"url", url, "addr", p->gw_addr, "port", p->gw_port, "tls", g->tls,
		"auth", auth_names[g->auth], "ca_file", g->tls ? p->ca_cert : NULL,
		"username", g->auth == AUTH_BASIC ? m->platform : NULL,
		"password_file", g->auth != AUTH_NONE ? p->gw_password_file : NULL,
		"conf", conf));
	if (g->auth != AUTH_NONE)
		strv_push(&p->gen_secrets, p->gw_password_file);
	free(url);
	free(conf);
	return 0;
}

/* ---- the plan ---- */

static int plan_users(struct rt_plan *p, struct strbuf *err)
{
	struct passwd *pw;

	if (pg_owner_get(&p->pg, err) < 0)
		return -1;
	if (geteuid() != 0)
		return 0;
	/* services need no privileges: as root, they run as nobody */
	pw = getpwnam("nobody");
	if (!pw) {
		strbuf_addstr(err, "running as root, but there is no 'nobody' user to run services as");
		return -1;
	}
	p->svc_drop = 1;
	p->svc_uid = pw->pw_uid;
	p->svc_gid = pw->pw_gid;
	return 0;
}

static void plan_header(struct rt_plan *p)
{
	const struct env_model *m = p->m;
	time_t now = time(NULL);

	p->st = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:s, s:i, s:I, s:s}",
		"version", 1, "name", m->env_name, "state", "creating", "platform", m->platform,
		"tier", tier_names[m->tier], "branch", m->branch, "commit", m->commit,
		"created", (json_int_t)now,
		"expires", (json_int_t)(m->lifetime.ttl_ms ? now + (time_t)(m->lifetime.ttl_ms / 1000) : 0),
		"mode", p->o.netns ? "netns" : "loopback", "index", p->o.index,
		"uid", (json_int_t)geteuid(), "rundir", p->rundir);
	{
		char *def = realpath(m->file, NULL);

		json_object_set_new(p->st, "definition", json_string(def ? def : m->file));
		free(def);
	}
	json_object_set_new(p->st, "socket", json_sprintf("%s/supervisor.sock", p->rundir));
	json_object_set_new(p->st, "failover", json_pack("{s:b, s:I}", "automatic",
		m->failover.automatic, "after_ms", (json_int_t)m->failover.after_ms));
	json_object_set_new(p->st, "datastores", json_array());
	json_object_set_new(p->st, "services", json_array());
	p->procs = json_array();
	json_object_set_new(p->st, "processes", p->procs);
}

struct rt_plan *rt_plan_new(const struct env_model *m, const struct rt_plan_opts *o,
			    struct strbuf *err)
{
	struct rt_plan *p = xcalloc(1, sizeof(*p));

	p->m = m;
	p->o = *o;
	p->envdir = rt_env_dir(o->state, m->env_name);
	p->rundir = xasprintf("%s/run/%d", o->state, o->index);
	p->secrets = path_in(p->envdir, "secrets");
	p->next_port = PORT_BASE + PORT_BLOCK * o->index;
	p->hba_file = path_in(p->envdir, "pg/hba.conf");
	p->cidr = o->netns ? xasprintf("10.213.%d.0/24", o->index) : xstrdup("127.0.0.0/8");
	p->gw_password_file = path_in(p->secrets, "gateway.password");
	p->htpasswd_file = path_in(p->envdir, "gateway/htpasswd");
	p->ca_key = path_in(p->secrets, "ca.key");
	p->ca_cert = path_in(p->envdir, "ca/ca.crt");
	p->gw_key = path_in(p->secrets, "gateway.key");
	p->gw_cert = path_in(p->envdir, "ca/gateway.crt");
	plan_header(p);
	if (plan_users(p, err) < 0)
		goto fail;
	plan_net(p);
	for_each_datastore(m, d)
		if (plan_datastore(p, d, err) < 0)
			goto fail;
	for_each_service(m, s)
		if (plan_service(p, s, err) < 0)
			goto fail;
	if (plan_gateway(p, err) < 0)
		goto fail;
	return p;
fail:
	rt_plan_free(p);
	return NULL;
}

/* ---- making the files ---- */

static int ensure_dir(const char *path, mode_t mode, int chown_it, uid_t uid, gid_t gid,
		      struct strbuf *err)
{
	if (mkdir_p(path, mode) < 0 || chmod(path, mode) < 0 ||
	    (chown_it && chown(path, uid, gid) < 0)) {
		strbuf_addf(err, "cannot make '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_secret(const char *path, const char *value, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	strbuf_addf(&sb, "%s\n", value);
	ret = write_file_atomic(path, sb.buf, sb.len, 0600);
	if (ret < 0)
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
	memset(sb.buf, 0, sb.len);
	strbuf_release(&sb);
	return ret;
}

static int prepare_secrets(struct rt_plan *p, struct strbuf *err)
{
	for (size_t i = 0; i < p->gen_secrets.nr; i++) {
		char token[33];

		if (!access(p->gen_secrets.v[i], F_OK))
			continue;   /* kept across repairs */
		if (pki_random_token(token, sizeof(token)) < 0) {
			strbuf_addstr(err, "cannot make a random secret");
			return -1;
		}
		if (write_secret(p->gen_secrets.v[i], token, err) < 0)
			return -1;
		memset(token, 0, sizeof(token));
	}
	for (size_t i = 0; i + 1 < p->env_secrets.nr; i += 2)
		if (write_secret(p->env_secrets.v[i], getenv(p->env_secrets.v[i + 1]), err) < 0)
			return -1;
	return 0;
}

static int prepare_pki(struct rt_plan *p, struct strbuf *err)
{
	const char *dns[] = { "gateway", "localhost", p->m->env_name, NULL };
	const char *ips[] = { p->gw_addr, NULL };
	char *cn;
	int ret;

	if (!p->m->gateway.tls || !p->m->gateway.routes.nr)
		return 0;
	if (access(p->ca_cert, F_OK) || access(p->ca_key, F_OK)) {
		cn = xasprintf("provisioner CA for %s", p->m->env_name);
		ret = pki_make_ca(p->ca_key, p->ca_cert, cn, CERT_DAYS, err);
		free(cn);
		if (ret < 0)
			return -1;
		unlink(p->gw_cert);
	}
	if (!access(p->gw_cert, F_OK) && !access(p->gw_key, F_OK))
		return 0;
	return pki_make_server_cert(p->ca_key, p->ca_cert, p->gw_key, p->gw_cert, "gateway", dns,
				    ips, CERT_DAYS, err);
}

static int prepare_gateway(struct rt_plan *p, struct strbuf *err)
{
	const char *conf;
	struct strbuf pw = STRBUF_INIT, line = STRBUF_INIT;
	int ret = -1;

	if (!p->nginx)
		return 0;
	conf = rt_str(json_object_get(p->st, "gateway"), "conf");
	if (ensure_dir(p->gw.prefix_dir, 0755, 0, 0, 0, err) < 0)
		goto out;
	if (p->gw.auth != AUTH_NONE && rt_read_secret(p->gw_password_file, &pw, err) < 0)
		goto out;
	if (p->gw.auth == AUTH_BASIC) {
		if (pki_htpasswd_line(&line, p->m->platform, pw.buf) < 0 ||
		    write_file_atomic(p->htpasswd_file, line.buf, line.len, 0600) < 0 ||
		    (p->gw.user && chown(p->htpasswd_file, p->svc_uid, p->svc_gid) < 0)) {
			strbuf_addf(err, "cannot write '%s': %s", p->htpasswd_file, strerror(errno));
			goto out;
		}
	}
	if (p->gw.auth == AUTH_BEARER && gw_write_bearer_file(p->gw.bearer_file, pw.buf, err) < 0)
		goto out;
	if (gw_write_conf(&p->gw, conf, err) < 0)
		goto out;
	ret = 0;
out:
	memset(pw.buf, 0, pw.len);
	strbuf_release(&pw);
	strbuf_release(&line);
	return ret;
}

static int prepare_pg(struct rt_plan *p, int *cold, struct strbuf *err)
{
	char *cache = xasprintf("%s/cache", p->o.state);
	int ret = -1;

	for (size_t i = 0; i < p->nr_pgm; i++) {
		struct pg_member *pm = &p->pgm[i];
		struct strbuf rpw = STRBUF_INIT;
		int made = 0;
		char *tpl;

		if (ensure_dir(pm->dir, 0700, p->pg.drop, p->pg.uid, p->pg.gid, err) < 0 ||
		    ensure_dir(pm->sockdir, 0700, p->pg.drop, p->pg.uid, p->pg.gid, err) < 0)
			goto out;
		if (pm->passfile) {
			if (rt_read_secret(pm->repl_pw_file, &rpw, err) < 0 ||
			    pg_write_passfile(pm->passfile, rpw.buf, &p->pg, err) < 0) {
				strbuf_release(&rpw);
				goto out;
			}
			memset(rpw.buf, 0, rpw.len);
			strbuf_release(&rpw);
		}
		if (is_dir(pm->datadir))
			continue;   /* a repair keeps the data */
		tpl = pg_template(cache, pm->bindir, pm->version, &p->pg, &made, err);
		if (!tpl)
			goto out;
		*cold |= made;
		ret = pg_clone(tpl, pm->datadir, pm->standby, &p->pg, err);
		free(tpl);
		if (ret < 0)
			goto out;
		ret = -1;
	}
	ret = p->nr_pgm ? pg_write_hba(p->hba_file, p->cidr, err) : 0;
out:
	free(cache);
	return ret;
}

int rt_prepare(struct rt_plan *p, int *cold, struct strbuf *err)
{
	char *dirs[] = { p->envdir, p->rundir, NULL };
	char *logs = path_in(p->envdir, "logs"), *ca = path_in(p->envdir, "ca");
	char *pg = path_in(p->envdir, "pg");
	int ret = -1;

	*cold = 0;
	/* others (postgres, nobody) traverse these; what is private is 0700 below */
	for (char **d = dirs; *d; d++)
		if (ensure_dir(*d, 0711, 0, 0, 0, err) < 0)
			goto out;
	if (ensure_dir(p->secrets, 0700, 0, 0, 0, err) < 0 || ensure_dir(logs, 0755, 0, 0, 0, err) < 0 ||
	    ensure_dir(ca, 0755, 0, 0, 0, err) < 0 || ensure_dir(pg, 0711, 0, 0, 0, err) < 0)
		goto out;
	if (prepare_secrets(p, err) < 0 || prepare_pki(p, err) < 0 || prepare_pg(p, cold, err) < 0 ||
	    prepare_gateway(p, err) < 0)
		goto out;
	ret = 0;
out:
	free(logs);
	free(ca);
	free(pg);
	return ret;
}

int rt_ports_free(struct rt_plan *p, struct strbuf *err)
{
	for (size_t i = 0; i < p->nr_listeners; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)p->listeners[i].port) };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, busy;

		inet_pton(AF_INET, p->listeners[i].addr, &sa.sin_addr);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		busy = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EADDRINUSE;
		close(fd);
		if (busy) {
			strbuf_addf(err, "port %d on %s, which '%s' needs, is in use",
				    p->listeners[i].port, p->listeners[i].addr, p->listeners[i].who);
			return -1;
		}
	}
	return 0;
}

void rt_plan_free(struct rt_plan *p)
{
	if (!p)
		return;
	json_decref(p->st);
	for (size_t i = 0; i < p->nr_pgm; i++) {
		struct pg_member *pm = &p->pgm[i];

		free(pm->name);
		free(pm->dir);
		free(pm->datadir);
		free(pm->sockdir);
		free(pm->passfile);
		free(pm->bindir);
		free(pm->version);
		free(pm->repl_pw_file);
	}
	free(p->pgm);
	for (size_t i = 0; i < p->nr_listeners; i++) {
		free(p->listeners[i].addr);
		free(p->listeners[i].who);
	}
	free(p->listeners);
	for (size_t i = 0; i < p->nr_reg; i++) {
		free(p->reg_addr[i]);
		free(p->reg_ns[i]);
	}
	free(p->reg_addr);
	free(p->reg_ns);
	gw_conf_release(&p->gw);
	strv_clear(&p->gen_secrets);
	strv_clear(&p->env_secrets);
	free(p->envdir);
	free(p->rundir);
	free(p->secrets);
	free(p->nginx);
	free(p->gw_addr);
	free(p->gw_ns);
	free(p->gw_password_file);
	free(p->htpasswd_file);
	free(p->ca_key);
	free(p->ca_cert);
	free(p->gw_key);
	free(p->gw_cert);
	free(p->hba_file);
	free(p->cidr);
	free(p);
}
