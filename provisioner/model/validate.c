/*
 * Derived defaults and cross-key validation; see validate.h.
 */
#include "validate.h"
#include "diag.h"
#include "model.h"
#include "naming.h"
#include "strbuf.h"
#include "units.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_default(char **slot, char *value)
{
	if (*slot)
		free(value);
	else
		*slot = value;
}

static void region_defaults(struct region *r, size_t index)
{
	set_default(&r->cidr, xasprintf("10.%zu.0.0/16", 10 * (index + 1) % 256));
	if (!r->zones.nr && r->name) {
		r->zones.v = xcalloc(2, sizeof(*r->zones.v));
		r->zones.v[0].name = xasprintf("%sa", r->name);
		r->zones.v[1].name = xasprintf("%sb", r->name);
		r->zones.v[0].pos = r->zones.v[1].pos = r->pos;
		r->zones.nr = 2;
	}
}

static void service_defaults(struct service *s)
{
	for (size_t i = 0; i < s->secrets.nr; i++) {
		struct secret_ref *ref = MODEL_AT(s->secrets, struct secret_ref, i);

		set_default(&ref->secret, xasprintf("%s-secrets", s->name));
		set_default(&ref->key, xstrdup(ref->var));
	}
}

static void datastore_defaults(struct env_model *m, struct datastore *d)
{
	set_default(&d->instance_class, xstrdup(d->topology == TOPO_AURORA_GLOBAL ?
						"db.r6g.large" : "db.m6g.large"));
	set_default(&d->database, xstrdup(m->platform));
	set_default(&d->username, xstrdup(m->platform));
}

void model_apply_defaults(struct env_model *m)
{
	size_t i = 0;

	for_each_region(m, r)
		region_defaults(r, i++);
	for_each_service(m, s)
		service_defaults(s);
	for_each_datastore(m, d)
		datastore_defaults(m, d);
	set_default(&m->gateway.auth_secret, xstrdup("gateway-auth"));
	set_default(&m->gateway.ingress_class, xstrdup("nginx"));
	set_default(&m->gateway.controller_namespace, xstrdup("ingress-nginx"));
	set_default(&m->cluster.kubernetes, xstrdup("1.31"));
	if (!m->cluster.instance_types.nr) {
		m->cluster.instance_types.v = xcalloc(1, sizeof(struct yref));
		m->cluster.instance_types.v[0].name = xstrdup("t3.large");
		m->cluster.instance_types.nr = 1;
	}
	set_default(&m->dns.internal_domain, xstrdup("internal"));
	set_default(&m->storage.bucket, xasprintf("%s-data", m->env_name));
	set_default(&m->terraform.bucket, xasprintf("%s-tfstate", m->platform));
	if (m->regions.nr)
		set_default(&m->terraform.region, xstrdup(model_primary_region(m)->name));
}

/* --- checks -------------------------------------------------------------- */

struct checker {
	const struct env_model *m;
	struct diag *d;
};

static void fail(struct checker *c, const struct ypos *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct checker *c, const struct ypos *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(c->d, p ? p->file : c->m->file, p ? p->line : 0, p ? p->col : 0, "%s", sb.buf);
	strbuf_release(&sb);
}

int looks_secret(const char *name)
{
	static const char *const words[] = {
		"PASSWORD", "PASSWD", "SECRET", "TOKEN", "PRIVATE_KEY", "API_KEY", "CREDENTIAL",
	};
	char *up = xstrdup(name);
	int hit = 0;

	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; i < sizeof(words) / sizeof(*words) && !hit; i++)
		hit = strstr(up, words[i]) != NULL;
	free(up);
	return hit;
}

/* "10.10.0.0/16" -> address and prefix; -1 when malformed. */
static int parse_cidr(const char *s, uint32_t *addr, int *prefix)
{
	unsigned a, b, c, d, p;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail) != 5 ||
	    a > 255 || b > 255 || c > 255 || d > 255 || p > 32)
		return -1;
	*addr = a << 24 | b << 16 | c << 8 | d;
	*prefix = (int)p;
	return 0;
}

static void check_regions(struct checker *c)
{
	const struct env_model *m = c->m;
	uint32_t addrs[64];
	int prefixes[64];
	size_t i = 0;

	if (m->regions.nr < 2)
		fail(c, m->regions_pos.line ? &m->regions_pos : &m->pos, "an environment needs at least two regions (production's shape), "
		     "found %zu", m->regions.nr);
	for_each_region(m, r) {
		const struct region *other = r + 1;
		int prefix;
		uint32_t addr;

		for (; other < (struct region *)m->regions.v + m->regions.nr; other++)
			if (!strcmp(other->name, r->name))
				fail(c, &other->pos, "region '%s' uses cloud region '%s', as '%s' does",
				     other->key, other->name, r->key);
		if (parse_cidr(r->cidr, &addr, &prefix) < 0 || prefix < 16 || prefix > 24 ||
		    (addr & (prefix ? ~0u >> prefix : ~0u)) != 0) {
			fail(c, &r->pos, "invalid 'cidr' for region '%s': expected a network such as "
			     "10.10.0.0/16 with a prefix from /16 to /24, got '%s'", r->key, r->cidr);
			continue;
		}
		if (r->zones.nr != 2)
			fail(c, &r->pos, "region '%s' needs exactly two zones, found %zu", r->key,
			     r->zones.nr);
		for (size_t j = 0; j < i && i < 64; j++) {
			int p = prefix < prefixes[j] ? prefix : prefixes[j];
			uint32_t mask = ~0u << (32 - p);

			if ((addr & mask) == (addrs[j] & mask))
				fail(c, &r->pos, "the network of region '%s' (%s) overlaps another region's",
				     r->key, r->cidr);
		}
		if (i < 64) {
			addrs[i] = addr;
			prefixes[i++] = prefix;
		}
	}
}

static int is_service_or_datastore(const struct env_model *m, const char *name)
{
	return model_service(m, name) || model_datastore(m, name);
}

/*
 * Depth-first search for a cycle through depends_on, reporting the first
 * one found. Iterative, so a long chain of services cannot overflow the
 * stack; depending on oneself is reported by check_services().
 */
static void find_cycle(struct checker *c)
{
	const struct env_model *m = c->m;
	const struct service *base = m->services.v;
	size_t nr = m->services.nr;
	unsigned char *state = xcalloc(nr ? nr : 1, 1);   /* 0 new, 1 on the path, 2 done */
	size_t *path = xcalloc(nr ? nr : 1, sizeof(*path));
	size_t *next = xcalloc(nr ? nr : 1, sizeof(*next)); /* next depends_on to follow */

	for (size_t root = 0; root < nr; root++) {
		size_t depth = 0;

		if (state[root])
			continue;
		path[depth++] = root;
		state[root] = 1;
		next[root] = 0;
		while (depth) {
			size_t top = path[depth - 1];
			const struct service *s = &base[top];
			const struct service *dep;
			size_t d;

			if (next[top] == s->depends_on.nr) {
				state[top] = 2;
				depth--;
				continue;
			}
			dep = model_service(m, s->depends_on.v[next[top]++].name);
			if (!dep || dep == s)
				continue;
			d = (size_t)(dep - base);
			if (state[d] == 1) {
				struct strbuf chain = STRBUF_INIT;
				size_t from = 0;

				while (path[from] != d)
					from++;
				for (size_t k = from; k < depth; k++) {
					/* a long cycle is shown by its ends */
					if (depth - from > 8 && k == from + 4) {
						strbuf_addf(&chain, "(%zu more) -> ", depth - from - 7);
						k = depth - 4;
						continue;
					}
					strbuf_addf(&chain, "%s -> ", base[path[k]].name);
				}
				strbuf_addstr(&chain, dep->name);
				fail(c, &dep->pos, "'depends_on' cycle: %s", chain.buf);
				strbuf_release(&chain);
				goto out;
			}
			if (!state[d]) {
				state[d] = 1;
				next[d] = 0;
				path[depth++] = d;
			}
		}
	}
out:
	free(state);
	free(path);
	free(next);
}

static void check_check(struct checker *c, const struct service *s, const struct check *k,
			const char *what)
{
	if (!k->pos.line)
		return;
	if (k->http[0] != '/')
		fail(c, &k->pos, "invalid '%s.http' of service '%s': a path must start with '/', "
		     "got '%s'", what, s->name, k->http);
	if (k->timeout_ms > k->interval_ms)
		fail(c, &k->pos, "'%s.timeout' of service '%s' is longer than its interval", what,
		     s->name);
}

static void check_secrets(struct checker *c, const struct service *s)
{
	for (size_t i = 0; i < s->secrets.nr; i++) {
		const struct secret_ref *ref = MODEL_AT(s->secrets, struct secret_ref, i);

		if (ref->from == SECRET_FROM_ENV) {
			for (const char *p = ref->name; *p; p++)
				if (!isalnum((unsigned char)*p) && *p != '_') {
					fail(c, &ref->pos, "invalid 'name' of secret '%s': '%s' is not an "
					     "environment variable name", ref->var, ref->name);
					break;
				}
		}
	}
	for (size_t i = 0; i < s->env.nr; i++) {
		const struct ykv *kv = &s->env.v[i];

		if (looks_secret(kv->key))
			fail(c, &kv->pos, "'%s' in the env of service '%s' looks like a secret: declare "
			     "it under 'secrets' so that its value stays out of definitions", kv->key,
			     s->name);
	}
}

static int is_var_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void check_env(struct checker *c, const struct service *s)
{
	for (size_t i = 0; i < s->env.nr; i++) {
		const struct ykv *kv = &s->env.v[i];

		if (!is_var_name(kv->key))
			fail(c, &kv->key_pos, "invalid name '%s' in the env of service '%s': use "
			     "letters, digits and '_', not starting with a digit", kv->key, s->name);
	}
}

/*
 * The gateway gives up on a request after the service's request_timeout;
 * the service must be able to answer 503 before that, after one connect
 * and one statement of each datastore it uses have run out of time.
 */
static void check_timeouts(struct checker *c, const struct service *s)
{
	for (size_t i = 0; i < s->depends_on.nr; i++) {
		const struct datastore *d = model_datastore(c->m, s->depends_on.v[i].name);
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, t = STRBUF_INIT;
		const struct ypos *p;

		if (!d || s->request_timeout_ms > d->connect_timeout_ms + d->statement_timeout_ms)
			continue;
		p = s->request_timeout_pos.line ? &s->request_timeout_pos :
		    d->statement_timeout_pos.line ? &d->statement_timeout_pos :
		    d->connect_timeout_pos.line ? &d->connect_timeout_pos : &s->pos;
		format_duration_ms(&t, s->request_timeout_ms);
		format_duration_ms(&a, d->connect_timeout_ms);
		format_duration_ms(&b, d->statement_timeout_ms);
		fail(c, p, "'request_timeout' (%s) of service '%s' is not longer than "
		     "'connect_timeout' (%s) plus 'statement_timeout' (%s) of datastore '%s': "
		     "the gateway would give up before the service could answer", t.buf, s->name,
		     a.buf, b.buf, d->name);
		strbuf_release(&a);
		strbuf_release(&b);
		strbuf_release(&t);
	}
}

static void check_services(struct checker *c)
{
	const struct env_model *m = c->m;

	for_each_service(m, s) {
		if (model_datastore(m, s->name))
			fail(c, &s->pos, "service '%s' has the name of a datastore", s->name);
		for (size_t i = 0; i < s->depends_on.nr; i++) {
			const struct yref *dep = &s->depends_on.v[i];

			if (!strcmp(dep->name, s->name))
				fail(c, &dep->pos, "service '%s' depends on itself", s->name);
			else if (!is_service_or_datastore(m, dep->name))
				fail(c, &dep->pos, "'depends_on' of service '%s' names '%s', which is "
				     "neither a service nor a datastore", s->name, dep->name);
		}
		check_check(c, s, &s->health, "health");
		check_check(c, s, &s->ready, "ready");
		if (s->autoscale.min && s->autoscale.max && s->autoscale.min > s->autoscale.max)
			fail(c, &s->autoscale.pos, "'autoscale.min' (%lld) of service '%s' is above "
			     "'autoscale.max' (%lld)", (long long)s->autoscale.min, s->name,
			     (long long)s->autoscale.max);
		if (s->autoscale.enabled && s->replicas_pos.line &&
		    ((s->autoscale.min && s->replicas < s->autoscale.min) ||
		     (s->autoscale.max && s->replicas > s->autoscale.max)))
			fail(c, &s->replicas_pos, "'replicas' (%lld) of service '%s' is outside "
			     "'autoscale' (min %lld, max %lld): the autoscaler would change it at "
			     "once; scale both", (long long)s->replicas, s->name,
			     (long long)service_min_replicas(s), (long long)service_max_replicas(s));
		check_env(c, s);
		if (s->resources.cpu_limit_m && s->resources.cpu_limit_m < s->resources.cpu_m)
			fail(c, &s->resources.pos, "'resources.cpu_limit' of service '%s' is below "
			     "its request", s->name);
		if (s->resources.memory_limit && s->resources.memory_limit < s->resources.memory)
			fail(c, &s->resources.pos, "'resources.memory_limit' of service '%s' is below "
			     "its request", s->name);
		check_secrets(c, s);
		check_timeouts(c, s);
	}
	find_cycle(c);
}

static void check_datastores(struct checker *c)
{
	const struct env_model *m = c->m;

	for_each_datastore(m, d) {
		const struct region *home = datastore_primary_region(m, d);
		const struct region *to = model_region(m, d->replication.to.name);
		char *end;
		long v = strtol(d->version, &end, 10);

		if (d->region.name && !home)
			fail(c, &d->region.pos, "'region' of datastore '%s' names '%s', which is not "
			     "a declared region", d->name, d->region.name);
		if (!to)
			fail(c, &d->replication.to.pos, "'replication.to' of datastore '%s' names "
			     "'%s', which is not a declared region", d->name, d->replication.to.name);
		else if (home && to == home)
			fail(c, &d->replication.to.pos, "datastore '%s' replicates to its own region "
			     "'%s': the replica must be in another region", d->name, to->key);
		if (*end || v < 11 || v > 17)
			fail(c, d->version_pos.line ? &d->version_pos : &d->pos,
			     "unsupported 'version' of datastore '%s': expected a "
			     "PostgreSQL major version from 11 to 17, got '%s'", d->name, d->version);
		for (const char *p = d->database; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_') {
				fail(c, &d->pos, "invalid 'database' of datastore '%s': use letters, "
				     "digits and '_'", d->name);
				break;
			}
	}
}

static void check_gateway(struct checker *c)
{
	const struct gateway *g = &c->m->gateway;

	for (size_t i = 0; i < g->routes.nr; i++) {
		const struct route *r = MODEL_AT(g->routes, struct route, i);

		if (r->prefix[0] != '/')
			fail(c, &r->pos, "invalid route prefix '%s': it must start with '/'", r->prefix);
		if (!model_service(c->m, r->service.name))
			fail(c, &r->service.pos, "route '%s' names service '%s', which is not "
			     "declared", r->prefix, r->service.name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(MODEL_AT(g->routes, struct route, j)->prefix, r->prefix))
				fail(c, &r->pos, "route prefix '%s' is declared twice", r->prefix);
	}
	if (g->burst && !g->rate_rpm)
		fail(c, &g->pos, "'gateway.burst' needs 'gateway.rate'");
}

/*
 * A lower-case DNS name: at least two labels of letters, digits and '-'
 * (not at either end), each at most 63 characters, 253 in all.
 */
static int is_dns_name(const char *s)
{
	size_t labels = 0;

	if (strlen(s) > 253)
		return 0;
	for (;;) {
		size_t n = 0;

		while (islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '-')
			n++;
		if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-')
			return 0;
		labels++;
		s += n;
		if (!*s)
			return labels >= 2;
		if (*s++ != '.')
			return 0;
	}
}

static void check_misc(struct checker *c)
{
	const struct env_model *m = c->m;

	if (!is_dns_label(m->platform) || strlen(m->platform) > 30)
		fail(c, m->platform_pos.line ? &m->platform_pos : &m->pos,
		     "invalid 'platform': '%s' must be a DNS label of at most 30 "
		     "characters", m->platform);
	if (m->tier == TIER_TEST && !m->lifetime.ttl_ms)
		fail(c, m->tier_pos.line ? &m->tier_pos : &m->pos,
		     "a test environment needs 'lifetime.ttl', so that 'gc' can "
		     "remove it");
	if (m->cluster.nodes_min > m->cluster.nodes_desired ||
	    m->cluster.nodes_desired > m->cluster.nodes_max)
		fail(c, m->cluster.pos.line ? &m->cluster.pos : &m->pos, "cluster nodes must "
		     "satisfy nodes_min <= nodes_desired <= nodes_max");
	if (!is_dns_name(m->dns.domain))
		fail(c, m->dns.domain_pos.line ? &m->dns.domain_pos : &m->dns.pos,
		     "invalid 'dns.domain': '%s' is not a DNS name (lower-case labels of letters, "
		     "digits and '-', joined by '.')", m->dns.domain);
	if (m->terraform.lock_table)
		fail(c, &m->terraform.lock_table_pos, "'terraform.lock_table' is no longer used: "
		     "the S3 backend locks the state with a lock file beside it (use_lockfile), "
		     "so there is no DynamoDB table; remove the key");
	if (strncmp(m->dns.zone_id, "Z", 1))
		fail(c, m->dns.zone_id_pos.line ? &m->dns.zone_id_pos : &m->dns.pos, "invalid 'dns.zone_id': a Route 53 zone id starts with 'Z', "
		     "got '%s'", m->dns.zone_id);
}

int model_validate(const struct env_model *m, struct diag *d)
{
	struct checker c = { m, d };
	size_t before = diag_count(d);

	check_misc(&c);
	check_regions(&c);
	check_services(&c);
	check_datastores(&c);
	check_gateway(&c);
	return diag_count(d) > before ? -1 : 0;
}
