/*
 * The local runtime's plan and the files it needs; see rt-plan.h.
 *
 * Addresses are rt-addr.h's. Ports: what the definition
 * says in namespace mode (replica k of a service listens on port + k);
 * in loopback mode every listener gets its own port from 10000 + 80 N,
 * below the kernel's ephemeral range, so neither two environments nor two
 * regions of one can clash even if a program binds every address.
 */
#include "rt-plan.h"
#include "fsutil.h"
#include "pki.h"
#include "rt-addr.h"
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
#include <inttypes.h>
#include <netinet/in.h>
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
	struct rt_state st;
	char *envdir, *rundir, *secrets;
	int next_port;
	struct pg_owner pg;           /* the cached template's owner ("postgres" as root) */
	struct pg_owner run;          /* whom PostgreSQL, services and nginx's workers run as */
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

struct rt_state *rt_plan_state(struct rt_plan *p)
{
	return &p->st;
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
	return rt_addr(p->o.netns, p->o.index, host);
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

	strbuf_addf(&h, RT_HOSTS_HEADER "%s\n", m->env_name);
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
	struct rt_net *net = &p->st.net;
	size_t i = 0;

	p->nr_reg = m->regions.nr;
	p->reg_addr = xcalloc(p->nr_reg, sizeof(char *));
	p->reg_ns = xcalloc(p->nr_reg, sizeof(char *));
	p->gw_addr = addr_of(p, RT_HOST_GATEWAY);
	for_each_region(m, r) {
		p->reg_addr[i] = addr_of(p, RT_HOST_REGION + (int)i);
		if (p->o.netns)
			p->reg_ns[i] = xasprintf("pv-%s-%s", m->env_name, r->key);
		i++;
	}
	if (!p->o.netns)
		return;
	p->gw_ns = xasprintf("pv-%s-gateway", m->env_name);
	net->bridge = xasprintf("pv%dbr", p->o.index);
	net->bridge_addr = addr_of(p, RT_HOST_BRIDGE);
	net->prefix = RT_PREFIX;
	net->nft_table = xasprintf("pv_%d", p->o.index);
	for (i = 0; i <= p->nr_reg; i++) {
		struct rt_ns *ns = yarray_push(&net->ns_list, sizeof(*ns));

		ns->name = xstrdup(i ? p->reg_ns[i - 1] : p->gw_ns);
		ns->veth = xasprintf("pv%dn%zu", p->o.index, i);
		ns->addr = xstrdup(i ? p->reg_addr[i - 1] : p->gw_addr);
		ns->region = xstrdup(i ? MODEL_AT(m->regions, struct region, i - 1)->key : "gateway");
		ns->hosts = hosts_for(p, i);
	}
}

static size_t region_index(const struct env_model *m, const struct region *r)
{
	return (size_t)(r - (const struct region *)m->regions.v);
}

/* ---- processes ---- */

static struct rt_proc *proc_new(struct rt_plan *p, const char *name, enum rt_kind kind,
				const char *group, const char *region, const char *ns)
{
	struct rt_proc *o = rt_state_add_proc(&p->st);

	o->name = xstrdup(name);
	o->kind = kind;
	o->group = xstrdup(group);
	o->region = xstrdup(region);
	o->dir = xstrdup("/");
	o->log = path_in(p->envdir, "logs/%s.log", name);
	o->netns = ns ? xstrdup(ns) : NULL;
	return o;
}

static void proc_user(struct rt_proc *o, int drop, uid_t uid, gid_t gid)
{
	if (!drop)
		return;
	o->user = xcalloc(1, sizeof(*o->user));
	o->user->uid = uid;
	o->user->gid = gid;
}

static struct rt_check *proc_check(const char *url, const struct check *c)
{
	struct rt_check *k = xcalloc(1, sizeof(*k));

	k->url = xstrdup(url);
	k->interval_ms = (int)c->interval_ms;
	k->timeout_ms = (int)c->timeout_ms;
	k->failures = (int)c->failures;
	return k;
}

static void secret_add(struct rt_proc *o, const char *var, const char *file)
{
	struct rt_secret *sec = yarray_push(&o->secrets, sizeof(*sec));

	sec->var = xstrdup(var);
	sec->file = xstrdup(file);
}

static struct rt_endpoint *endpoint_add(struct yarray *list, const char *name, const char *region,
					const char *addr, int port)
{
	struct rt_endpoint *e = yarray_push(list, sizeof(*e));

	e->name = xstrdup(name);
	e->region = xstrdup(region);
	e->addr = xstrdup(addr);
	e->port = port;
	return e;
}

static int plan_datastore(struct rt_plan *p, const struct datastore *d, struct strbuf *err)
{
	const struct env_model *m = p->m;
	const struct region *pr = datastore_primary_region(m, d), *rr = datastore_replica_region(m, d);
	const struct region *regs[2] = { pr, rr };
	char *bindir = pg_find_bindir(d->version, err);
	struct rt_datastore *ds;
	char *rpw;
	int ports[2] = { 0, 0 };

	if (!bindir)
		return -1;
	ds = yarray_push(&p->st.datastores, sizeof(*ds));
	ds->name = xstrdup(d->name);
	ds->engine = xstrdup(engine_names[d->engine]);
	ds->version = xstrdup(d->version);
	ds->database = xstrdup(d->database);
	ds->username = xstrdup(d->username);
	ds->password_file = path_in(p->secrets, "%s.password", d->name);
	ds->replication_password_file = rpw = path_in(p->secrets, "%s.replication.password", d->name);
	ds->primary = xasprintf("%s-primary", d->name);
	ds->replica = rr ? xasprintf("%s-replica", d->name) : NULL;
	ds->mode = xstrdup(repl_mode_names[d->replication.mode]);
	strv_push(&p->gen_secrets, ds->password_file);
	strv_push(&p->gen_secrets, rpw);
	for (int k = 0; k < 2 && regs[k]; k++) {
		const char *name = k ? ds->replica : ds->primary;
		size_t ri = region_index(m, regs[k]);
		struct pg_member *pm;
		struct pg_instance pi = { 0 };
		struct rt_proc *o;

		ports[k] = take_port(p, p->reg_addr[ri], (int)d->port, name, err);
		if (ports[k] < 0)
			break;
		p->pgm = xreallocarray(p->pgm, p->nr_pgm + 1, sizeof(*p->pgm));
		pm = &p->pgm[p->nr_pgm++];
		memset(pm, 0, sizeof(*pm));
		pm->name = xstrdup(name);
		pm->dir = path_in(p->envdir, "pg/%s", name);
		pm->datadir = path_in(pm->dir, "data");
		pm->sockdir = path_in(p->rundir, "%s", name);
		pm->bindir = xstrdup(bindir);
		pm->version = xstrdup(d->version);
		pm->standby = k == 1;
		pm->passfile = k == 1 ? path_in(pm->dir, "replication.pgpass") : NULL;
		pm->repl_pw_file = xstrdup(rpw);
		pi = (struct pg_instance){ .bindir = bindir, .datadir = pm->datadir,
			.sockdir = pm->sockdir, .hba_file = p->hba_file,
			.listen_addr = p->reg_addr[ri], .port = ports[k], .name = name };
		if (k == 1) {
			pi.primary_host = p->reg_addr[region_index(m, pr)];
			pi.primary_port = ports[0];
			pi.passfile = pm->passfile;
		} else if (rr && d->replication.mode == REPL_SYNC) {
			pi.sync_standby = ds->replica;
		}
		o = proc_new(p, name, RT_KIND_DATASTORE, d->name, regs[k]->key, p->reg_ns[ri]);
		o->argv = pg_argv(&pi);
		proc_user(o, p->run.drop, p->run.uid, p->run.gid);
		/*
		 * Immediate shutdown: the supervisor stops everything only for
		 * `down`, which deletes the data next, so a shutdown checkpoint
		 * would be written for nothing.
		 */
		o->stop_signal = SIGQUIT;
		o->pg = xcalloc(1, sizeof(*o->pg));
		o->pg->role = k ? RT_ROLE_REPLICA : RT_ROLE_PRIMARY;
		o->pg->host = xstrdup(p->reg_addr[ri]);
		o->pg->port = ports[k];
		o->pg->sockdir = xstrdup(pm->sockdir);
		o->pg->datastore = xstrdup(d->name);
		endpoint_add(&ds->members, name, regs[k]->key, p->reg_addr[ri], ports[k])->role =
			o->pg->role;
	}
	free(bindir);
	return ports[0] < 0 || ports[1] < 0 ? -1 : 0;
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

static void env_add(struct strv *env, const char *key, const char *val)
{
	strv_pushf(env, "%s=%s", key, val);
}

/* The datastore members' addresses, primary first: a libpq multi-host list. */
static void ds_hosts(struct rt_plan *p, const char *ds, struct strbuf *hosts, struct strbuf *ports)
{
	for (size_t i = 0; i < p->st.datastores.nr; i++) {
		const struct rt_datastore *d = RT_AT(p->st.datastores, struct rt_datastore, i);

		if (strcmp(d->name, ds))
			continue;
		for (size_t k = 0; k < d->members.nr; k++) {
			const struct rt_endpoint *mem = RT_AT(d->members, struct rt_endpoint, k);

			strbuf_addf(hosts, "%s%s", k ? "," : "", mem->addr);
			strbuf_addf(ports, "%s%d", k ? "," : "", mem->port);
		}
	}
}

/*
 * The first datastore's timeouts: libpq's own connect timeout (whole
 * seconds, per server) and statement_timeout as a server setting, so any
 * libpq program keeps to them, and both in milliseconds for a service
 * that bounds its calls on its own side too (obsd does).
 */
static void add_db_timeouts(struct strv *env, const struct datastore *d)
{
	strv_pushf(env, "PGCONNECT_TIMEOUT=%" PRIu64, (d->connect_timeout_ms + 999) / 1000);
	strv_pushf(env, "PGOPTIONS=-c statement_timeout=%" PRIu64, d->statement_timeout_ms);
	strv_pushf(env, "DB_CONNECT_TIMEOUT_MS=%" PRIu64, d->connect_timeout_ms);
	strv_pushf(env, "DB_STATEMENT_TIMEOUT_MS=%" PRIu64, d->statement_timeout_ms);
}

static void service_env(struct rt_plan *p, const struct service *s, const struct region *r,
			struct rt_proc *o, const struct subst_deferred *dv)
{
	const struct env_model *m = p->m;
	struct strv env = STRV_INIT;
	const struct datastore *db = first_datastore_dep(m, s);

	env_add(&env, "PLATFORM", m->platform);
	env_add(&env, "ENVIRONMENT", m->env_name);
	env_add(&env, "TIER", tier_names[m->tier]);
	env_add(&env, "REGION", r->name);
	env_add(&env, "PORT", dv->port);
	strv_pushf(&env, "REQUEST_TIMEOUT_MS=%" PRIu64, s->request_timeout_ms);
	strv_pushf(&env, "MAX_BODY_BYTES=%" PRIu64, s->max_body);
	for (size_t i = 0; i < s->depends_on.nr; i++) {
		const char *dep = s->depends_on.v[i].name;
		struct strbuf k = STRBUF_INIT, hosts = STRBUF_INIT, ports = STRBUF_INIT;
		const struct datastore *d = model_datastore(m, dep);

		if (!d)
			continue;
		ds_hosts(p, dep, &hosts, &ports);
		upper_key(&k, dep, "HOST");
		env_add(&env, k.buf, hosts.buf);
		strbuf_reset(&k);
		upper_key(&k, dep, "PORT");
		env_add(&env, k.buf, ports.buf);
		strbuf_reset(&k);
		upper_key(&k, dep, "DATABASE");
		env_add(&env, k.buf, d->database);
		strbuf_reset(&k);
		upper_key(&k, dep, "USER");
		env_add(&env, k.buf, d->username);
		if (d == db) {
			/* libpq's own variables: any libpq program follows a promoted replica */
			env_add(&env, "PGHOST", hosts.buf);
			env_add(&env, "PGPORT", ports.buf);
			env_add(&env, "PGDATABASE", d->database);
			env_add(&env, "PGUSER", d->username);
			env_add(&env, "PGTARGETSESSIONATTRS", "read-write");
			add_db_timeouts(&env, d);
			env_add(&env, "PGAPPNAME", o->name);
			char *file = path_in(p->secrets, "%s.password", d->name);

			secret_add(o, "PGPASSWORD", file);
			free(file);
		}
		strbuf_release(&k);
		strbuf_release(&hosts);
		strbuf_release(&ports);
	}
	for (size_t i = 0; i < s->env.nr; i++) {
		struct strbuf v = STRBUF_INIT;

		subst_deferred(&v, s->env.v[i].val, dv);
		env_add(&env, s->env.v[i].key, v.buf);
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
		secret_add(o, sr->var, file);
		free(file);
	}
	o->env = strv_detach(&env);
}

/* The replica's argv: the program found, then `run`'s arguments with its ${...} resolved. */
static char **service_argv(const char *prog, const struct service *s,
			   const struct subst_deferred *dv)
{
	struct strv argv = STRV_INIT;

	strv_push(&argv, prog);
	for (size_t i = 1; i < s->run.nr; i++) {
		struct strbuf a = STRBUF_INIT;

		subst_deferred(&a, s->run.v[i].name, dv);
		strv_push(&argv, a.buf);
		strbuf_release(&a);
	}
	return strv_detach(&argv);
}

/* http://ADDR:PORT/PATH with c's timings; without c->http, tcp://ADDR:PORT (a connect). */
static struct rt_check *service_check(const char *addr, int port, const struct check *c)
{
	char *url = xasprintf("%s://%s:%d%s", c->http ? "http" : "tcp", addr, port,
			      c->http ? c->http : "");
	struct rt_check *k = proc_check(url, c);

	free(url);
	return k;
}

static int plan_service(struct rt_plan *p, const struct service *s, struct strbuf *err)
{
	const struct env_model *m = p->m;
	char *prog = s->run.nr ? service_program(p, s->run.v[0].name) : NULL;
	struct rt_service *svc;

	if (!prog) {
		strbuf_addf(err, "service '%s': %s", s->name, s->run.nr ?
			    "cannot find its program (looked beside provisioner and in PATH)" :
			    "has no 'run' for the local runtime");
		if (s->run.nr)
			strbuf_addf(err, ": '%s'", s->run.v[0].name);
		return -1;
	}
	svc = yarray_push(&p->st.services, sizeof(*svc));
	svc->name = xstrdup(s->name);
	svc->port = (int)s->port;
	for_each_region(m, r) {
		size_t ri = region_index(m, r);

		for (int64_t k = 0; k < s->replicas; k++) {
			char *name = xasprintf("%s-%s-%lld", s->name, r->key, (long long)k);
			int port = take_port(p, p->reg_addr[ri], (int)(s->port + k), name, err);
			char portbuf[16];
			struct subst_deferred dv = { r->name, portbuf, p->reg_addr[ri] };
			struct strv deps = STRV_INIT;
			struct rt_proc *o;

			if (port < 0) {
				free(name);
				free(prog);
				return -1;
			}
			snprintf(portbuf, sizeof(portbuf), "%d", port);
			o = proc_new(p, name, RT_KIND_SERVICE, s->name, r->key, p->reg_ns[ri]);
			o->argv = service_argv(prog, s, &dv);
			service_env(p, s, r, o, &dv);
			proc_user(o, p->run.drop, p->run.uid, p->run.gid);
			for (size_t i = 0; i < s->depends_on.nr; i++)
				strv_push(&deps, s->depends_on.v[i].name);
			o->depends_on = strv_detach(&deps);
			/* nothing to ask over HTTP: it is healthy once it takes connections */
			if (s->health.http || !s->ready.http)
				o->health = service_check(p->reg_addr[ri], port, &s->health);
			if (s->ready.http)
				o->ready = service_check(p->reg_addr[ri], port, &s->ready);
			endpoint_add(&svc->replicas, name, r->key, p->reg_addr[ri], port);
			free(name);
		}
	}
	free(prog);
	return 0;
}

/* ---- gateway ---- */

static void gw_upstream_for(struct rt_plan *p, struct gw_upstream *u, const char *service)
{
	const char *primary = model_primary_region(p->m)->key;

	u->name = xstrdup(service);
	for (size_t i = 0; i < p->st.services.nr; i++) {
		const struct rt_service *s = RT_AT(p->st.services, struct rt_service, i);

		if (strcmp(s->name, service))
			continue;
		for (size_t k = 0; k < s->replicas.nr; k++) {
			const struct rt_endpoint *r = RT_AT(s->replicas, struct rt_endpoint, k);

			u->servers = xreallocarray(u->servers, u->nr_servers + 1, sizeof(*u->servers));
			u->servers[u->nr_servers++] = (struct gw_server){ xstrdup(r->addr), r->port,
									  strcmp(r->region, primary) != 0 };
		}
	}
}

static int plan_gateway(struct rt_plan *p, struct strbuf *err)
{
	const struct env_model *m = p->m;
	const struct gateway *g = &m->gateway;
	struct gw_conf *c = &p->gw;
	/* nginx's own /healthz: not in the definition, so its check is the plan's */
	static const struct check gw_check = { .interval_ms = 5000, .timeout_ms = 2000,
					       .failures = 3 };
	char *conf = path_in(p->envdir, "gateway/nginx.conf"), *url;
	struct strv deps = STRV_INIT;
	struct rt_gateway *gw;
	struct rt_proc *o;

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
	c->user = p->st.account ? xstrdup(p->st.account->name) : NULL;
	c->prefix_dir = path_in(p->envdir, "gateway");
	c->nr_routes = g->routes.nr;
	c->routes = xcalloc(g->routes.nr, sizeof(*c->routes));
	c->upstreams = xcalloc(g->routes.nr, sizeof(*c->upstreams));
	for (size_t i = 0; i < g->routes.nr; i++) {
		const struct route *rt = MODEL_AT(g->routes, struct route, i);
		size_t u;

		const struct service *svc = model_service(m, rt->service.name);

		c->routes[i] = (struct gw_route){ xstrdup(rt->prefix), xstrdup(rt->service.name),
						  svc ? svc->request_timeout_ms : 0,
						  svc ? svc->max_body : 0 };
		for (u = 0; u < c->nr_upstreams; u++)
			if (!strcmp(c->upstreams[u].name, rt->service.name))
				break;
		if (u == c->nr_upstreams) {
			gw_upstream_for(p, &c->upstreams[c->nr_upstreams++], rt->service.name);
			strv_push(&deps, rt->service.name);
		}
	}
	o = proc_new(p, "gateway", RT_KIND_GATEWAY, "gateway", "gateway", p->gw_ns);
	o->argv = gw_argv(p->nginx, c, conf);
	o->depends_on = strv_detach(&deps);
	url = xasprintf("%s://%s:%d/healthz", g->tls ? "https" : "http", p->gw_addr, p->gw_port);
	o->health = proc_check(url, &gw_check);
	free(url);
	gw = p->st.gateway = xcalloc(1, sizeof(*gw));
	if (g->tls && p->gw_port == 443)
		gw->url = xasprintf("https://%s", p->gw_addr);
	else
		gw->url = xasprintf("%s://%s:%d", g->tls ? "https" : "http", p->gw_addr, p->gw_port);
	gw->addr = xstrdup(p->gw_addr);
	gw->port = p->gw_port;
	gw->tls = g->tls;
	gw->auth = xstrdup(auth_names[g->auth]);
	gw->ca_file = g->tls ? xstrdup(p->ca_cert) : NULL;
	gw->username = g->auth == AUTH_BASIC ? xstrdup(m->platform) : NULL;
	gw->password_file = g->auth != AUTH_NONE ? xstrdup(p->gw_password_file) : NULL;
	gw->conf = conf;
	if (g->auth != AUTH_NONE)
		strv_push(&p->gen_secrets, p->gw_password_file);
	return 0;
}

/* ---- the plan ---- */

/*
 * As root, everything of the environment runs as its own account, so that
 * no environment can read another's secrets; without root, as we do
 * (there is no one else to keep out).
 */
static int plan_users(struct rt_plan *p, struct strbuf *err)
{
	const struct rt_account *a = p->o.account;

	if (pg_owner_get(&p->pg, err) < 0)
		return -1;
	if (geteuid() != 0)
		return 0;
	if (!a) {
		strbuf_addstr(err, "running as root, but the environment has no user of its own");
		return -1;
	}
	p->st.account = xcalloc(1, sizeof(*p->st.account));
	p->st.account->name = xstrdup(a->name);
	p->st.account->uid = a->uid;
	p->st.account->gid = a->gid;
	p->run = (struct pg_owner){ .drop = 1, .uid = (uid_t)a->uid, .gid = (gid_t)a->gid };
	return 0;
}

static void plan_header(struct rt_plan *p)
{
	const struct env_model *m = p->m;
	struct rt_state *st = &p->st;
	time_t now = time(NULL);
	char *def = realpath(m->file, NULL);

	rt_state_init(st);
	st->name = xstrdup(m->env_name);
	st->state = RT_CREATING;
	st->platform = xstrdup(m->platform);
	st->tier = xstrdup(tier_names[m->tier]);
	st->branch = m->branch ? xstrdup(m->branch) : NULL;
	st->commit = m->commit ? xstrdup(m->commit) : NULL;
	st->definition = def ? def : xstrdup(m->file);
	st->created = now;
	st->expires = m->lifetime.ttl_ms ? now + (time_t)(m->lifetime.ttl_ms / 1000) : 0;
	st->mode = p->o.netns ? RT_NETNS : RT_LOOPBACK;
	st->index = p->o.index;
	st->uid = geteuid();
	st->rundir = xstrdup(p->rundir);
	st->socket = xasprintf("%s/supervisor.sock", p->rundir);
	st->failover.automatic = m->failover.automatic;
	st->failover.after_ms = (int64_t)m->failover.after_ms;
	st->failover.rpo_ms = (int64_t)m->failover.rpo_ms;
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
	p->cidr = o->netns ? rt_subnet(o->index) : xstrdup("127.0.0.0/8");
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

	if (!p->m->gateway.tls || !p->m->gateway.routes.nr)
		return 0;
	if (access(p->ca_cert, F_OK) || access(p->ca_key, F_OK)) {
		/*
		 * The name alone (at most 63 characters) fits X.509's 64; the
		 * CA says what it is in O ("provisioner CA").
		 */
		if (pki_make_ca(p->ca_key, p->ca_cert, p->m->env_name, CERT_DAYS, err) < 0)
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
	conf = p->st.gateway->conf;
	if (ensure_dir(p->gw.prefix_dir, 0755, 0, 0, 0, err) < 0)
		goto out;
	if (p->gw.auth != AUTH_NONE && rt_read_secret(p->gw_password_file, &pw, err) < 0)
		goto out;
	if (p->gw.auth == AUTH_BASIC) {
		if (pki_htpasswd_line(&line, p->m->platform, pw.buf) < 0 ||
		    write_file_atomic(p->htpasswd_file, line.buf, line.len, 0600) < 0 ||
		    (p->run.drop && chown(p->htpasswd_file, p->run.uid, p->run.gid) < 0)) {
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

/* The template is the "postgres" user's: a clone becomes the environment's, all of it. */
static int own_datadir(struct rt_plan *p, const char *datadir, struct strbuf *err)
{
	struct stat sb;

	if (!p->run.drop || (stat(datadir, &sb) == 0 && sb.st_uid == p->run.uid &&
			     sb.st_gid == p->run.gid))
		return 0;
	if (chown_tree(datadir, p->run.uid, p->run.gid) < 0) {
		strbuf_addf(err, "cannot give '%s' to uid %d: %s", datadir, (int)p->run.uid,
			    strerror(errno));
		return -1;
	}
	return 0;
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

		if (ensure_dir(pm->dir, 0700, p->run.drop, p->run.uid, p->run.gid, err) < 0 ||
		    ensure_dir(pm->sockdir, 0700, p->run.drop, p->run.uid, p->run.gid, err) < 0)
			goto out;
		if (pm->passfile) {
			if (rt_read_secret(pm->repl_pw_file, &rpw, err) < 0 ||
			    pg_write_passfile(pm->passfile, rpw.buf, &p->run, err) < 0) {
				strbuf_release(&rpw);
				goto out;
			}
			memset(rpw.buf, 0, rpw.len);
			strbuf_release(&rpw);
		}
		if (is_dir(pm->datadir)) {
			/* a repair keeps the data */
			if (own_datadir(p, pm->datadir, err) < 0)
				goto out;
			continue;
		}
		tpl = pg_template(cache, pm->bindir, pm->version, &p->pg, &made, err);
		if (!tpl)
			goto out;
		*cold |= made;
		ret = pg_clone(tpl, pm->datadir, pm->standby, &p->run, err);
		free(tpl);
		if (ret < 0 || own_datadir(p, pm->datadir, err) < 0)
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
	/*
	 * Only the environment's own processes (its group) and root may enter
	 * these: its state, logs and sockets are nobody else's business. What
	 * is private even from its processes (secrets/) is 0700 below.
	 */
	for (char **d = dirs; *d; d++) {
		char *parent = path_dirname(*d);
		/* <state>/envs and <state>/run: every environment's user passes through */
		int rc = ensure_dir(parent, 0711, 0, 0, 0, err);

		free(parent);
		if (rc < 0 || ensure_dir(*d, p->run.drop ? 0710 : 0700, p->run.drop, 0, p->run.gid,
					 err) < 0)
			goto out;
	}
	if (ensure_dir(p->secrets, 0700, 0, 0, 0, err) < 0 ||
	    ensure_dir(logs, p->run.drop ? 0750 : 0700, p->run.drop, 0, p->run.gid, err) < 0 ||
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
	rt_state_release(&p->st);
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
