/*
 * Unit tests for the local runtime's plan (rt-plan.h): what `up` would
 * start, in which order, where (namespace, address, port), as whom, with
 * which checks and dependencies, for the reference test environment, with
 * namespaces and on loopback. rt_plan_new() only computes, so nothing is
 * started or written; runtime.sh tests the same stacks end to end.
 *
 * The plan looks for PostgreSQL's and nginx's programs as `up` does: where
 * they are not installed, the test skips and says so.
 */
#include "diag.h"
#include "fsutil.h"
#include "load.h"
#include "rt-addr.h"
#include "rt-plan.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INDEX 7

static struct env_model model;
static char *self;
static const struct rt_account account = { "pv-test", 65534, 65534 };

static struct rt_plan *plan(int netns, struct strbuf *err)
{
	struct rt_plan_opts o = { .state = "/nonexistent/state", .netns = netns, .index = INDEX,
				  .self = self, .account = &account };

	return rt_plan_new(&model, &o, err);
}

static const struct rt_proc *proc(const struct rt_state *st, size_t i)
{
	return RT_AT(st->processes, struct rt_proc, i);
}

static const char *proc_names(const struct rt_state *st, struct strbuf *sb)
{
	strbuf_reset(sb);
	for (size_t i = 0; i < st->processes.nr; i++)
		strbuf_addf(sb, "%s%s", i ? " " : "", proc(st, i)->name);
	return sb->buf;
}

static int has_arg(char **argv, const char *a, const char *b)
{
	for (; *argv; argv++)
		if (!strcmp(argv[0], a) && (!b || (argv[1] && !strcmp(argv[1], b))))
			return 1;
	return 0;
}

static int has_env(char **env, const char *kv)
{
	for (; env && *env; env++)
		if (!strcmp(*env, kv))
			return 1;
	return 0;
}

static void test_netns(void)
{
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct rt_plan *p = plan(1, &err);
	const struct rt_state *st;
	const struct rt_proc *db, *rep, *api0, *api1, *gw;
	char *ns;

	if (!tap_ok(p != NULL, "the test environment plans with namespaces")) {
		tap_diag("%s", err.buf);
		return;
	}
	st = rt_plan_state(p);
	tap_is_str(proc_names(st, &sb), "db-primary db-replica api-primary-0 api-secondary-0 gateway",
		   "datastores first, then the services by region, then the gateway");
	tap_ok(st->mode == RT_NETNS && st->index == INDEX, "mode and index as asked");
	tap_is_str(st->net.bridge, "pv7br", "the bridge is named after the index");
	tap_is_str(st->net.bridge_addr, "10.213.7.1", "the host is .1 of the block");
	tap_is_str(st->net.nft_table, "pv_7", "and so is the nftables table");
	tap_is_int((long long)st->net.ns_list.nr, 3, "a namespace for the gateway and each region");
	db = proc(st, 0);
	rep = proc(st, 1);
	api0 = proc(st, 2);
	api1 = proc(st, 3);
	gw = proc(st, 4);
	ns = xasprintf("pv-%s-primary", model.env_name);
	tap_ok(db->netns && !strcmp(db->netns, ns) && api0->netns && !strcmp(api0->netns, ns),
	       "the primary region's processes run in its namespace");
	free(ns);
	tap_ok(db->pg && db->pg->role == RT_ROLE_PRIMARY && !strcmp(db->pg->host, "10.213.7.10") &&
	       db->pg->port == 5432, "the primary listens on region 0's address, .10, port 5432");
	tap_ok(rep->pg && rep->pg->role == RT_ROLE_REPLICA && !strcmp(rep->pg->host, "10.213.7.11") &&
	       rep->pg->port == 5432, "the replica on region 1's, .11, the same port");
	tap_ok(has_arg(api0->argv, "--listen", "10.213.7.10:8080") &&
	       has_arg(api1->argv, "--listen", "10.213.7.11:8080"),
	       "each api replica listens on its region's address at the defined port");
	tap_ok(has_arg(api1->argv, "--region", "eu-central-1"), "and is told its region's name");
	tap_ok(api0->health && !strcmp(api0->health->url, "http://10.213.7.10:8080/healthz") &&
	       api0->ready && !strcmp(api0->ready->url, "http://10.213.7.10:8080/readyz"),
	       "its health and readiness checks ask its own address");
	tap_ok(has_env(api1->env, "PGHOST=10.213.7.10,10.213.7.11") &&
	       has_env(api1->env, "PGTARGETSESSIONATTRS=read-write"),
	       "it reaches the database at both members, writing to whichever is primary");
	tap_ok(api0->depends_on && !strcmp(api0->depends_on[0], "db") && !api0->depends_on[1],
	       "api waits for db");
	tap_ok(gw->depends_on && !strcmp(gw->depends_on[0], "api"), "the gateway waits for api");
	tap_ok(st->gateway && !strcmp(st->gateway->addr, "10.213.7.2") && st->gateway->port == 443 &&
	       !strcmp(st->gateway->url, "https://10.213.7.2"),
	       "the gateway is .2, on 443 with TLS");
	tap_ok(gw->health && !strcmp(gw->health->url, "https://10.213.7.2:443/healthz"),
	       "and checks itself over TLS");
	if (geteuid() == 0)
		tap_ok(db->user && db->user->uid == account.uid && api0->user &&
		       api0->user->uid == account.uid && st->account &&
		       !strcmp(st->account->name, account.name),
		       "as root, PostgreSQL and the services run as the environment's user");
	else
		tap_ok(!db->user && !api0->user && !st->account, "without root, as we run");
	rt_plan_free(p);
	strbuf_release(&err);
	strbuf_release(&sb);
}

static void test_loopback(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_plan *p = plan(0, &err);
	const struct rt_state *st;
	int base = 10000 + 80 * INDEX, distinct = 1, in_block = 1, no_ns = 1;

	if (!tap_ok(p != NULL, "the test environment plans on loopback")) {
		tap_diag("%s", err.buf);
		return;
	}
	st = rt_plan_state(p);
	tap_ok(st->mode == RT_LOOPBACK && !st->net.bridge && !st->net.ns_list.nr,
	       "no bridge and no namespaces");
	for (size_t i = 0; i < st->processes.nr; i++)
		no_ns &= proc(st, i)->netns == NULL;
	tap_ok(no_ns, "every process runs in the host's network");
	tap_ok(proc(st, 0)->pg->port == base && !strcmp(proc(st, 0)->pg->host, "127.77.7.10") &&
	       proc(st, 1)->pg->port == base + 1 && !strcmp(proc(st, 1)->pg->host, "127.77.7.11"),
	       "the members get the first ports of the block 10000 + 80 N, on 127.77.N.10+i");
	tap_ok(has_arg(proc(st, 2)->argv, "--listen", "127.77.7.10:10562") &&
	       has_arg(proc(st, 3)->argv, "--listen", "127.77.7.11:10563"),
	       "the api replicas the next ones");
	tap_ok(st->gateway && st->gateway->port == base + 4 && !strcmp(st->gateway->addr, "127.77.7.2"),
	       "and the gateway the next, on .2");
	for (size_t i = 0; i < st->services.nr; i++) {
		const struct rt_service *s = RT_AT(st->services, struct rt_service, i);

		for (size_t k = 0; k < s->replicas.nr; k++) {
			int port = RT_AT(s->replicas, struct rt_endpoint, k)->port;

			in_block &= port >= base && port < base + 80;
			for (size_t j = 0; j < st->datastores.nr; j++) {
				const struct rt_datastore *d = RT_AT(st->datastores, struct rt_datastore, j);

				for (size_t m = 0; m < d->members.nr; m++)
					distinct &= RT_AT(d->members, struct rt_endpoint, m)->port != port;
			}
		}
	}
	tap_ok(in_block && distinct && st->gateway->port != proc(st, 0)->pg->port,
	       "no two listeners share a port, and all are in the environment's block");
	rt_plan_free(p);
	strbuf_release(&err);
}

static void test_other_index(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_plan_opts o = { .state = "/nonexistent/state", .netns = 1, .index = 200,
				  .self = self, .account = &account };
	struct rt_plan *p = rt_plan_new(&model, &o, &err);
	char *want = rt_addr(1, 200, RT_HOST_REGION + 1);

	if (tap_ok(p != NULL, "another index plans too"))
		tap_is_str(RT_AT(rt_plan_state(p)->datastores, struct rt_datastore, 0)->replica ?
			   RT_AT(RT_AT(rt_plan_state(p)->datastores, struct rt_datastore, 0)->members,
				 struct rt_endpoint, 1)->addr : "", want,
			   "and its addresses come from its own block (rt-addr.h)");
	else
		tap_diag("%s", err.buf);
	free(want);
	rt_plan_free(p);
	strbuf_release(&err);
}

int main(void)
{
	struct load_opts lo = LOAD_OPTS_INIT;
	struct diag d = DIAG_INIT;
	struct strbuf err = STRBUF_INIT;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct rt_plan *probe;

	if (n <= 0)
		return printf("Bail out! cannot read /proc/self/exe\n"), 1;
	exe[n] = '\0';
	/* build-test/tests/test-rtplan: the programs are in build-test/provisioner and platform */
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
	self = xasprintf("%s/provisioner/provisioner", exe);
	lo.branch = "feature/plan";
	lo.commit = "0123456789abcdef0123456789abcdef01234567";
	env_model_init(&model);
	if (env_load(&model, SOURCE_DIR "/envs/test.yaml", &lo, &d) < 0)
		return printf("Bail out! envs/test.yaml does not load\n"), 1;
	probe = plan(1, &err);
	if (!probe && (strstr(err.buf, "not installed") || strstr(err.buf, "'postgres' user") ||
		       strstr(err.buf, "nginx"))) {
		printf("1..0 # SKIP the runtime's programs are not here: %s\n", err.buf);
		return 0;
	}
	rt_plan_free(probe);
	test_netns();
	test_loopback();
	test_other_index();
	env_model_free(&model);
	diag_release(&d);
	strbuf_release(&err);
	free(self);
	return tap_done();
}
