/*
 * `up --dry-run` for people: what would run where. From the plan's state
 * (rt-state.h) and the model (for the regions' cloud names): the mode and
 * network, the gateway's URL, then each process in start order with its
 * address, region, user and program.
 */
#include "cmd.h"
#include "rt-state.h"
#include "strbuf.h"
#include "units.h"
#include "xalloc.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *cloud_region(const struct env_model *m, const char *key)
{
	for_each_region(m, r)
		if (!strcmp(r->key, key))
			return r->name;
	return NULL;
}

/* "primary (eu-west-1)", or the key alone (the gateway's) */
static void add_region(struct strbuf *sb, const struct env_model *m, const char *key)
{
	const char *name = key ? cloud_region(m, key) : NULL;

	strbuf_addstr(sb, key ? key : "host");
	if (name)
		strbuf_addf(sb, " (%s)", name);
}

/* Where process `name` listens: a replica's or member's endpoint, or the gateway's. */
static char *listen_addr(const struct rt_state *st, const struct rt_proc *p)
{
	if (p->kind == RT_KIND_GATEWAY && st->gateway)
		return xasprintf("%s:%d", st->gateway->addr, st->gateway->port);
	if (p->pg)
		return xasprintf("%s:%d", p->pg->host, p->pg->port);
	for (size_t i = 0; i < st->services.nr; i++) {
		const struct rt_service *svc = RT_AT(st->services, struct rt_service, i);

		for (size_t k = 0; k < svc->replicas.nr; k++) {
			const struct rt_endpoint *e = RT_AT(svc->replicas, struct rt_endpoint, k);

			if (!strcmp(e->name, p->name))
				return xasprintf("%s:%d", e->addr, e->port);
		}
	}
	return xstrdup("-");
}

/* its user; without one, it runs as the supervisor, which runs as whoever runs up */
static void add_user(struct strbuf *sb, const struct rt_user *u)
{
	uid_t uid = u ? (uid_t)u->uid : geteuid();
	struct passwd *pw = getpwuid(uid);

	if (pw)
		strbuf_addf(sb, "%s (%lld)", pw->pw_name, (long long)uid);
	else
		strbuf_addf(sb, "uid %lld", (long long)uid);
}

static void print_network(const struct rt_state *st, const struct env_model *m)
{
	const struct rt_net *n = &st->net;

	if (st->mode != RT_NETNS) {
		printf("  mode         loopback: addresses 127.77.%d.x on the host, no isolation between "
		       "regions\n", st->index);
		return;
	}
	printf("  mode         network namespaces on bridge %s (host %s/%d), nftables table %s\n",
	       n->bridge, n->bridge_addr, n->prefix, n->nft_table ? n->nft_table : "-");
	for (size_t i = 0; i < n->nr_ns; i++) {
		struct strbuf region = STRBUF_INIT;

		add_region(&region, m, n->ns[i].region);
		printf("    %-34s %-15s %s\n", n->ns[i].name, n->ns[i].addr, region.buf);
		strbuf_release(&region);
	}
}

static void print_processes(const struct rt_state *st, const struct env_model *m)
{
	printf("  processes, in start order:\n    %-16s %-21s %-26s %-18s %s\n", "NAME", "ADDRESS",
	       "REGION", "USER", "PROGRAM");
	for (size_t i = 0; i < st->processes.nr; i++) {
		const struct rt_proc *p = RT_AT(st->processes, struct rt_proc, i);
		struct strbuf user = STRBUF_INIT, region = STRBUF_INIT;
		char *addr = listen_addr(st, p), *prog = p->argv && p->argv[0] ?
			strrchr(p->argv[0], '/') : NULL;

		add_user(&user, p->user);
		add_region(&region, m, p->region);
		printf("    %-16s %-21s %-26s %-18s %s\n", p->name, addr, region.buf, user.buf,
		       prog ? prog + 1 : p->argv && p->argv[0] ? p->argv[0] : "-");
		strbuf_release(&user);
		strbuf_release(&region);
		free(addr);
	}
}

void cmd_print_plan(const struct rt_state *st, const struct env_model *m, const char *envdir,
		    int fresh)
{
	printf("plan for environment %s (%s; --dry-run makes nothing)\n", st->name,
	       fresh ? "new" : "exists: its addresses and data are kept");
	print_network(st, m);
	if (st->gateway)
		printf("  gateway      %s  (%s%s)\n", st->gateway->url, st->gateway->tls ? "TLS, " : "",
		       st->gateway->auth);
	if (st->expires) {
		struct strbuf ttl = STRBUF_INIT;

		format_duration_ms(&ttl, (uint64_t)(st->expires - st->created) * 1000);
		printf("  expires      %s after it is made (lifetime.ttl; then 'gc' removes it)\n",
		       ttl.buf);
		strbuf_release(&ttl);
	}
	print_processes(st, m);
	printf("  files        %s\n", envdir);
}
