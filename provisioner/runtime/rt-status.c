/*
 * Status documents; see rt-status.h.
 *
 *   { "format": "provisioner-status/2",
 *     "name", "state": creating|starting|running|degraded|needs-attention|failed,
 *     "reason", "mode",
 *     "tier", "branch", "commit", "created", "expires", "dir",
 *     "gateway": { "url", "addr", "port", "tls", "auth", "ca_file", "username",
 *                  "password_file", "healthy" },
 *     "services": { NAME: { "replicas": [ MEMBER ] } },
 *     "datastores": { NAME: { "engine", "version", "database", "username",
 *                             "password_file", "mode", "failovers", "last_failover",
 *                             "lag", "replay_lsn", "attention", "degraded",
 *                             "primary": MEMBER, "replicas": [ MEMBER ] } },
 *     "owner", "account": { "name", "uid", "gid" } | null,
 *     "supervisor": { "pid", "alive", "containment", "cgroup" } }
 *
 * MEMBER is { "name", "region", "address", "pid", "healthy", "state", "restarts",
 * "check_error" }. Health comes from the supervisor's checks alone: without
 * a live supervisor nobody checks, so it is null ("unknown"), and a pid is
 * only given while that process (with the recorded start time) exists.
 */
#include "rt-status.h"
#include "color.h"
#include "rt-env.h"
#include "rt-gc.h"
#include "run-command.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The supervisor's view: its answer, else what it wrote last, else nothing. */
static void runtime_of(struct rt_status *s)
{
	struct strbuf err = STRBUF_INIT;
	char *answer = NULL;

	s->alive = rt_supervisor_pid(s->dir) > 0;
	rt_runtime_init(&s->rt);
	if (s->alive && (answer = rt_control(s->dir, "status", 2000)) &&
	    rt_runtime_decode(&s->rt, answer, strlen(answer), "the supervisor's answer", &err) == 0)
		goto out;
	rt_runtime_release(&s->rt);
	if (rt_runtime_load(&s->rt, s->dir, &err) == 0)
		goto out;
	rt_runtime_release(&s->rt);
	rt_runtime_init(&s->rt);
out:
	free(answer);
	strbuf_release(&err);
}

/*
 * A datastore that waits for a person's decision makes the environment
 * `needs-attention`; one without a working replica (or any process not
 * healthy) `degraded`. The first such datastore's reason is given.
 */
static void state_of_datastores(struct rt_status *s)
{
	for (size_t i = 0; i < s->rt.datastores.nr; i++) {
		const struct rt_datastore_now *d = RT_AT(s->rt.datastores, struct rt_datastore_now, i);

		if (d->attention) {
			s->state = "needs-attention";
			s->reason = d->attention->reason;
			return;
		}
	}
	if (s->rt.healthy)
		s->state = "running";
	else
		s->state = "degraded";
	for (size_t i = 0; i < s->rt.datastores.nr; i++) {
		const struct rt_datastore_now *d = RT_AT(s->rt.datastores, struct rt_datastore_now, i);

		if (d->degraded) {
			s->state = "degraded";
			s->reason = d->degraded;
			return;
		}
	}
	if (!s->rt.healthy)
		s->reason = "not every process is healthy";
}

int rt_status_load(struct rt_status *s, const char *state, const char *name, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	int rc;

	memset(s, 0, sizeof(*s));
	s->dir = rt_env_dir(state, name);
	rc = rt_state_load(&s->st, s->dir, &why);
	if (rc) {
		if (rc > 0)
			strbuf_addf(err, "no environment '%s' (see 'provisioner list')", name);
		else
			strbuf_addf(err, "environment '%s': %s", name, why.buf);
		strbuf_release(&why);
		rt_runtime_init(&s->rt);
		return -1;
	}
	strbuf_release(&why);
	runtime_of(s);
	s->state = rt_phase_names[s->st.state];
	s->reason = "";
	if (s->st.state == RT_RUNNING && !s->alive) {
		s->state = "failed";     /* the supervisor is gone: gc removes it */
		s->reason = "its supervisor is gone";
	} else if (s->st.state == RT_RUNNING) {
		state_of_datastores(s);
	}
	return 0;
}

void rt_status_release(struct rt_status *s)
{
	rt_state_release(&s->st);
	rt_runtime_release(&s->rt);
	free(s->dir);
}

/* ---- JSON ---- */

/*
 * Its pid: the supervisor's word while it lives; otherwise only while that
 * process is still there (-1: not shown).
 */
static int shown_pid(const struct rt_status *s, const struct rt_proc_now *p)
{
	if (!p)
		return -1;
	if (s->alive)
		return p->pid;
	return proc_alive(p->pid, (unsigned long long)p->start_time) ? p->pid : -1;
}

static json_t *pid_doc(int pid)
{
	return pid < 0 ? json_null() : json_integer(pid);
}

/* Health is what the supervisor's checks found: without it, nobody knows. */
static json_t *health_doc(const struct rt_status *s, const struct rt_proc_now *p)
{
	return s->alive ? json_boolean(p && p->healthy) : json_null();
}

static const char *pstate_name(const struct rt_status *s, const struct rt_proc_now *p)
{
	return s->alive && p ? rt_pstate_names[p->state] : "unknown";
}

static json_t *member(const struct rt_status *s, const struct rt_endpoint *e)
{
	const struct rt_proc_now *p = rt_runtime_proc(&s->rt, e->name);

	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:i, s:s}", "name", e->name,
		"region", e->region, "address", json_sprintf("%s:%d", e->addr, e->port),
		"pid", pid_doc(shown_pid(s, p)), "healthy", health_doc(s, p),
		"state", pstate_name(s, p), "restarts", p ? p->restarts : 0,
		"check_error", p && s->alive ? p->check_error : "");
}

static json_t *gateway_doc(const struct rt_status *s)
{
	const struct rt_gateway *g = s->st.gateway;
	const struct rt_proc_now *p = rt_runtime_proc(&s->rt, "gateway");
	json_t *doc = g ? json_pack("{s:s, s:s, s:i, s:b, s:s, s:s?, s:s?, s:s?}",
		"url", g->url, "addr", g->addr, "port", g->port, "tls", g->tls, "auth", g->auth,
		"ca_file", g->ca_file, "username", g->username,
		"password_file", g->password_file) : json_object();

	json_object_set_new(doc, "healthy", health_doc(s, p));
	return doc;
}

static json_t *services_doc(const struct rt_status *s)
{
	json_t *out = json_object();

	for (size_t i = 0; i < s->st.services.nr; i++) {
		const struct rt_service *svc = RT_AT(s->st.services, struct rt_service, i);
		json_t *reps = json_array();

		for (size_t k = 0; k < svc->replicas.nr; k++)
			json_array_append_new(reps,
					      member(s, RT_AT(svc->replicas, struct rt_endpoint, k)));
		json_object_set_new(out, svc->name, json_pack("{s:o}", "replicas", reps));
	}
	return out;
}

/* Its primary now: the supervisor's word, else the plan's. */
static const char *current_primary(const struct rt_status *s, const struct rt_datastore *d)
{
	const struct rt_datastore_now *now = rt_runtime_datastore(&s->rt, d->name);

	return now && now->primary ? now->primary : d->primary;
}

static json_t *lag_json(const struct rt_lag *l)
{
	static const struct rt_lag none;

	if (!l)
		l = &none;
	return json_pack("{s:I, s:I, s:I, s:I, s:b}", "bytes", (json_int_t)l->bytes,
			 "ms", (json_int_t)l->ms, "transactions", (json_int_t)l->transactions,
			 "writes", (json_int_t)l->writes, "streaming", l->streaming);
}

static json_t *promotion_json(const struct rt_promotion *p)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:o, s:b}", "time", (json_int_t)p->time,
			 "from", p->from, "to", p->to, "reason", p->reason,
			 "detected_ms", (json_int_t)p->detected_ms,
			 "promoted_ms", (json_int_t)p->promoted_ms, "lag", lag_json(&p->lag),
			 "accepted_data_loss", p->accepted_data_loss);
}

static json_t *attention_json(const struct rt_attention *a)
{
	return json_pack("{s:s, s:I, s:o}", "reason", a->reason, "since", (json_int_t)a->since,
			 "estimated_loss", lag_json(&a->loss));
}

static json_t *datastore_doc(const struct rt_status *s, const struct rt_datastore *d)
{
	const struct rt_datastore_now *now = rt_runtime_datastore(&s->rt, d->name);
	const char *primary = current_primary(s, d);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s?, s:o, s:s?}",
		"engine", d->engine, "version", d->version, "database", d->database,
		"username", d->username, "password_file", d->password_file, "mode", d->mode,
		"failovers", now ? now->failovers : 0,
		"last_failover", now && now->last_failover ? promotion_json(now->last_failover)
							    : json_null(),
		"lag", lag_json(now ? &now->lag : NULL),
		"replay_lsn", now ? now->replay_lsn : NULL,
		"attention", s->alive && now && now->attention ? attention_json(now->attention)
							      : json_null(),
		"degraded", now ? now->degraded : NULL);
	json_t *reps = json_array();

	for (size_t k = 0; k < d->members.nr; k++) {
		const struct rt_endpoint *m = RT_AT(d->members, struct rt_endpoint, k);

		if (!strcmp(m->name, primary))
			json_object_set_new(doc, "primary", member(s, m));
		else
			json_array_append_new(reps, member(s, m));
	}
	json_object_set_new(doc, "replicas", reps);
	return doc;
}

json_t *rt_status_json(const struct rt_status *s)
{
	const struct rt_state *st = &s->st;
	json_t *doc, *dss = json_object();
	char *owner = rt_owner_name(st->uid);

	doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:s}",
		"name", st->name, "state", s->state, "mode", rt_mode_names[st->mode],
		"tier", st->tier, "branch", st->branch, "commit", st->commit,
		"created", (json_int_t)st->created, "expires", (json_int_t)st->expires,
		"dir", s->dir);
	json_object_set_new(doc, "format", json_string(RT_STATUS_FORMAT));
	json_object_set_new(doc, "reason", json_string(s->reason ? s->reason : ""));
	json_object_set_new(doc, "gateway", gateway_doc(s));
	json_object_set_new(doc, "services", services_doc(s));
	for (size_t i = 0; i < st->datastores.nr; i++) {
		const struct rt_datastore *d = RT_AT(st->datastores, struct rt_datastore, i);

		json_object_set_new(dss, d->name, datastore_doc(s, d));
	}
	json_object_set_new(doc, "datastores", dss);
	json_object_set_new(doc, "owner", json_string(owner));
	json_object_set_new(doc, "account", st->account ? json_pack("{s:s, s:I, s:I}", "name",
		st->account->name, "uid", (json_int_t)st->account->uid,
		"gid", (json_int_t)st->account->gid) : json_null());
	json_object_set_new(doc, "supervisor", json_pack("{s:o, s:b, s:s?, s:s?}", "pid",
		pid_doc(s->alive ? s->rt.supervisor.pid : -1), "alive", s->alive,
		"containment", s->rt.supervisor.containment, "cgroup", s->rt.supervisor.cgroup));
	free(owner);
	return doc;
}

/* ---- text ---- */

const char *rt_state_color(const char *word)
{
	static const char *const green[] = { "running", "healthy", NULL };
	static const char *const yellow[] = { "degraded", "creating", "starting", "waiting",
					      "backoff", NULL };

	for (size_t i = 0; green[i]; i++)
		if (!strcmp(word, green[i]))
			return COLOR_GREEN;
	for (size_t i = 0; yellow[i]; i++)
		if (!strcmp(word, yellow[i]))
			return COLOR_YELLOW;
	return COLOR_RED;   /* failed, stopped, fenced, unknown */
}

/* `word` in its colour when `f` is a terminal */
static void put_state(FILE *f, const char *word)
{
	struct strbuf sb = STRBUF_INIT;

	color_add(&sb, color_enabled(fileno(f)), rt_state_color(word), word, 0);
	fputs(sb.buf, f);
	strbuf_release(&sb);
}

static void print_member(FILE *f, const struct rt_status *s, const struct rt_endpoint *e,
			 const char *role)
{
	const struct rt_proc_now *p = rt_runtime_proc(&s->rt, e->name);
	char *address = xasprintf("%s:%d", e->addr, e->port), pid[16] = "-";
	int shown = shown_pid(s, p);

	if (shown > 0)
		snprintf(pid, sizeof(pid), "%d", shown);
	fprintf(f, "    %-9s %-16s %-22s %-10s pid %-7s ", role, e->name, address, e->region, pid);
	put_state(f, s->alive && p && p->healthy ? "healthy" : pstate_name(s, p));
	if (s->alive && p && !p->healthy && *p->check_error)
		fprintf(f, " (%s)", p->check_error);
	fputc('\n', f);
	free(address);
}

/* Whom it runs as and how its processes are kept together. */
static void print_processes(FILE *f, const struct rt_status *s)
{
	const struct rt_supervisor_now *sv = &s->rt.supervisor;

	if (s->st.account)
		fprintf(f, "  runs as      %s (uid %lld)\n", s->st.account->name,
			(long long)s->st.account->uid);
	if (s->alive && sv->containment)
		fprintf(f, "  processes    %s%s\n", !strcmp(sv->containment, "cgroup") ?
			"in cgroups under " : "in their process groups", sv->cgroup ? sv->cgroup : "");
}

static void print_gateway(FILE *f, const struct rt_gateway *g)
{
	fprintf(f, "  gateway      %s  (%s%s)\n", g->url, g->tls ? "TLS, " : "", g->auth);
	if (g->ca_file)
		fprintf(f, "  ca file      %s\n", g->ca_file);
	if (g->password_file)
		fprintf(f, "  credentials  %s%s%s\n", g->password_file,
			g->username ? "  user " : "", g->username ? g->username : "");
}

static void print_datastore(FILE *f, const struct rt_status *s, const struct rt_datastore *d)
{
	const struct rt_datastore_now *now = rt_runtime_datastore(&s->rt, d->name);
	const char *primary = current_primary(s, d);

	fprintf(f, "  datastore %s (%s %s, %s replication, database %s, user %s)\n", d->name,
		d->engine, d->version, d->mode, d->database, d->username);
	for (size_t k = 0; k < d->members.nr; k++) {
		const struct rt_endpoint *m = RT_AT(d->members, struct rt_endpoint, k);

		if (!strcmp(m->name, primary))
			print_member(f, s, m, "primary");
	}
	for (size_t k = 0; k < d->members.nr; k++) {
		const struct rt_endpoint *m = RT_AT(d->members, struct rt_endpoint, k);

		if (strcmp(m->name, primary))
			print_member(f, s, m, "replica");
	}
	if (now && now->last_failover)
		fprintf(f, "    last failover: %s promoted in %lld ms (%s); %lld writes "
			"dropped%s\n", now->last_failover->to,
			(long long)now->last_failover->promoted_ms, now->last_failover->reason,
			(long long)now->last_failover->lag.writes,
			now->last_failover->accepted_data_loss ? ", accepted by a person" : "");
	if (now && now->replica && s->alive)
		fprintf(f, "    replica lag: %lld writes, %lld transactions, %lld bytes, %lld ms%s\n",
			(long long)now->lag.writes, (long long)now->lag.transactions, (long long)now->lag.bytes,
			(long long)now->lag.ms, now->lag.streaming ? "" : " (not streaming)");
	if (now && now->attention && s->alive)
		fprintf(f, "    needs attention: %s\n", now->attention->reason);
	if (now && now->degraded)
		fprintf(f, "    degraded: %s\n", now->degraded);
}

void rt_status_print(FILE *f, const struct rt_status *s)
{
	const struct rt_state *st = &s->st;

	fprintf(f, "environment %s: ", st->name);
	put_state(f, s->state);
	fprintf(f, " (%s", rt_mode_names[st->mode]);
	if (st->expires) {
		long long left = st->expires - (long long)time(NULL);

		fprintf(f, left > 0 ? ", expires in %lldh%02lldm" : ", expired", left / 3600,
			(left % 3600) / 60);
	}
	fprintf(f, ")\n");
	if (s->reason && *s->reason)
		fprintf(f, "  reason       %s\n", s->reason);
	if (st->gateway)
		print_gateway(f, st->gateway);
	print_processes(f, s);
	for (size_t i = 0; i < st->services.nr; i++) {
		const struct rt_service *svc = RT_AT(st->services, struct rt_service, i);

		fprintf(f, "  service %s\n", svc->name);
		for (size_t k = 0; k < svc->replicas.nr; k++)
			print_member(f, s, RT_AT(svc->replicas, struct rt_endpoint, k), "replica");
	}
	for (size_t i = 0; i < st->datastores.nr; i++)
		print_datastore(f, s, RT_AT(st->datastores, struct rt_datastore, i));
}
