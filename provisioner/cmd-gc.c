/*
 * provisioner gc [--dry-run] [--owner USER] [--branch GLOB] [--tier T] [--older-than DUR]
 *
 * Removes environments past their TTL and orphans: a supervisor that is
 * gone, or an `up` or `down` that died before it finished (state
 * "creating", "starting" or "stopping" with nobody holding the lock).
 * Environments whose lock is held are skipped. Then what is left of
 * environments whose state is gone (rt-orphan.h). The filters narrow it to
 * some environments (a shared runner's); leftovers without state have no
 * owner, branch or tier to match, so a filtered gc leaves them. Every
 * environment removed is in the audit log.
 */
#include "audit.h"
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-gc.h"
#include "rt-orphan.h"
#include "rt-pool.h"
#include "rt-state.h"
#include "rt-teardown.h"
#include "state.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int dry_run;
static const char *owner, *branch;
static int tier = -1;
static uint64_t older_than_ms;

static const struct cli_option gc_options[] = {
	OPT_BOOL('n', "dry-run", &dry_run, "say what would be removed, remove nothing"),
	OPT_STRING(0, "owner", &owner, "USER", "only environments USER stood up (a name or a uid)"),
	OPT_STRING(0, "branch", &branch, "GLOB", "only environments of a branch matching GLOB "
		   "('feature/*')"),
	OPT_CHOICE(0, "tier", &tier, "T", "only environments of tier T", tier_names),
	OPT_DURATION(0, "older-than", &older_than_ms, "DUR", "only environments made at least DUR "
		     "ago ('2h', '7d')"),
	OPT_END(),
};

/* Why `name` should go, or NULL if it should stay (or the filters leave it out). */
static const char *gc_reason(const char *state, const char *name, const struct rt_gc_filter *f,
			     char *buf, size_t len)
{
	char *envdir = rt_env_dir(state, name);
	struct strbuf err = STRBUF_INIT;
	struct rt_state st;
	int have = rt_state_load(&st, envdir, &err) == 0;
	long long expires = st.expires;
	const char *why = NULL;

	if (rt_lock_busy(envdir))
		why = NULL;   /* an up or down is working on it */
	else if (rt_gc_filtered(f) && (!have || !rt_gc_match(f, &st, (int64_t)time(NULL))))
		why = NULL;   /* not one of those asked for, or nothing to tell */
	else if (!have)
		why = "no readable state";
	else if (expires && time(NULL) > expires)
		why = (snprintf(buf, len, "expired %lld s ago", (long long)time(NULL) - expires), buf);
	else if (st.state == RT_STOPPING)
		why = "left 'stopping' by a down that did not finish";
	else if (st.state != RT_RUNNING)
		why = (snprintf(buf, len, "left '%s' by an up that did not finish",
				rt_phase_names[st.state]), buf);
	else if (!rt_supervisor_pid(envdir))
		why = "its supervisor is gone";
	rt_state_release(&st);
	strbuf_release(&err);
	free(envdir);
	return why;
}

/* Templates half made by an up that was killed: "<cache>/postgres-15.tmp.<pid>". */
static void gc_cache(const char *state, int dry)
{
	char *cache = xasprintf("%s/cache", state), **names;
	size_t nr;

	if (list_dir(cache, &names, &nr) < 0) {
		free(cache);
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		char *tmp = strstr(names[i], ".tmp."), *path;
		pid_t pid = tmp ? (pid_t)atoi(tmp + 5) : 0;

		if (!tmp || (pid > 0 && kill(pid, 0) == 0))
			continue;
		path = path_join(cache, names[i]);
		printf("%s %s (a template an interrupted up left)\n", dry ? "would remove" : "removed",
		       path);
		if (!dry)
			rm_rf(path);
		free(path);
	}
	free_list(names);
	free(cache);
}

/* The environments with a directory: 1 removed, -1 failed, 0 left alone, added up. */
static void gc_envs(const char *state, const struct rt_gc_filter *f, int *removed, int *failed)
{
	char *envs = rt_envs_dir(state), **names;
	struct strbuf err = STRBUF_INIT;
	size_t nr = 0;

	if (list_dir(envs, &names, &nr) < 0)
		names = NULL;
	for (size_t i = 0; i < nr; i++) {
		char buf[128];
		const char *why = gc_reason(state, names[i], f, buf, sizeof(buf));

		if (!why)
			continue;
		if (dry_run) {
			printf("would remove %s: %s\n", names[i], why);
			continue;
		}
		strbuf_reset(&err);
		if (rt_remove(state, names[i], 0, 0, &err) < 0) {
			error("%s", err.buf);
			audit_record_env("gc", names[i], CLI_FAILED, why);
			(*failed)++;
			continue;
		}
		printf("removed %s: %s\n", names[i], why);
		audit_record_env("gc", names[i], CLI_OK, why);
		(*removed)++;
	}
	strbuf_release(&err);
	free_list(names);
	free(envs);
}

/* What runs of environments without state: under the pool lock, so none is being made. */
static void gc_orphans(const char *state, int *removed, int *failed)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_orphan *list;
	int pool = rt_pool_lock(state, &err);
	size_t nr;

	if (pool < 0) {
		error("%s", err.buf);
		(*failed)++;
		strbuf_release(&err);
		return;
	}
	nr = rt_orphans_find(state, &list);
	for (size_t i = 0; i < nr; i++) {
		const char *name = list[i].st.name;
		char *why = xasprintf("its state is gone; found %s", list[i].found);

		strbuf_reset(&err);
		if (dry_run) {
			printf("would remove what is left of %s: %s\n", name, why);
		} else if (rt_teardown_orphan(state, &list[i].st, &err) < 0) {
			error("%s", err.buf);
			audit_record_env("gc", name, CLI_FAILED, why);
			(*failed)++;
		} else {
			printf("removed what was left of %s: %s\n", name, why);
			audit_record_env("gc", name, CLI_OK, why);
			(*removed)++;
		}
		free(why);
	}
	rt_orphans_free(list, nr);
	close(pool);
	strbuf_release(&err);
}

static enum cli_result cmd_gc_exec(struct cli_ctx *ctx)
{
	struct rt_gc_filter f = RT_GC_FILTER_INIT;
	struct strbuf err = STRBUF_INIT;
	char *state = state_dir();
	int removed = 0, failed = 0;

	(void)ctx;
	if (!state)
		return error("cannot find the state directory"), CLI_FAILED;
	if (owner && rt_gc_set_owner(&f, owner, &err) < 0) {
		error("--owner: %s", err.buf);
		strbuf_release(&err);
		free(state);
		return CLI_USAGE;
	}
	f.branch = branch;
	f.tier = tier >= 0 ? tier_names[tier] : NULL;
	f.older_than_s = (int64_t)(older_than_ms / 1000);
	gc_envs(state, &f, &removed, &failed);
	if (!rt_gc_filtered(&f))
		gc_orphans(state, &removed, &failed);
	gc_cache(state, dry_run);
	if (!dry_run && !removed && !failed)
		printf("nothing to remove\n");
	strbuf_release(&err);
	free(state);
	return failed ? CLI_FAILED : CLI_OK;
}

static const struct cli_exit gc_exits[] = {
	{ 0, "done" },
	{ 1, "something could not be removed" },
	{ 2, "usage error" },
	{ 0, NULL },
};

const struct cli_cmd cmd_gc_entry = {
	.name = "gc",
	.args = "[--dry-run] [--owner USER] [--branch GLOB] [--tier T] [--older-than DUR]",
	.summary = "remove environments past their TTL and orphans",
	.help = "An orphan is an environment whose supervisor is gone, or whose 'up' or\n"
		"'down' died before it finished; environments another provisioner is\n"
		"working on are left alone. Then what still runs of environments whose\n"
		"state is gone (users, cgroups, processes, namespaces, links, nftables\n"
		"tables). The filters (all of those given) narrow it to some environments:\n"
		"who stood them up (--owner), their branch (--branch, a glob), their tier,\n"
		"their age (--older-than); leftovers without state match no filter.\n"
		"Everything removed is in the audit log.",
	.flags = 0,
	.exits = gc_exits,
	.options = gc_options,
	.min_args = 0, .max_args = 0,
	.exec = cmd_gc_exec,
};
