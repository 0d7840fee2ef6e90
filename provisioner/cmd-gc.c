/*
 * provisioner gc [--dry-run]
 *
 * Removes environments past their TTL and orphans: a supervisor that is
 * gone, or an `up` that died before it finished (state "creating" with
 * nobody holding the lock). Environments whose lock is held are skipped.
 */
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
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

/* Why `name` should go, or NULL if it should stay. */
static const char *gc_reason(const char *state, const char *name, char *buf, size_t len)
{
	char *envdir = rt_env_dir(state, name);
	struct strbuf err = STRBUF_INIT;
	struct rt_state st;
	int have = rt_state_load(&st, envdir, &err) == 0;
	long long expires = st.expires;
	const char *why = NULL;

	if (rt_lock_busy(envdir))
		why = NULL;   /* an up or down is working on it */
	else if (!have)
		why = "no readable state";
	else if (expires && time(NULL) > expires)
		why = (snprintf(buf, len, "expired %lld s ago", (long long)time(NULL) - expires), buf);
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
static void gc_cache(const char *state, int dry_run)
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
		printf("%s %s (a template an interrupted up left)\n", dry_run ? "would remove" : "removed",
		       path);
		if (!dry_run)
			rm_rf(path);
		free(path);
	}
	free_list(names);
	free(cache);
}

static int dry_run;

static const struct cli_option gc_options[] = {
	OPT_BOOL('n', "dry-run", &dry_run, "say what would be removed, remove nothing"),
	OPT_END(),
};

static enum cli_result cmd_gc_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), *envs, **names;
	struct strbuf err = STRBUF_INIT;
	int removed = 0, failed = 0;
	size_t nr = 0;

	if (!state)
		return error("cannot find the state directory"), CLI_FAILED;
	envs = rt_envs_dir(state);
	if (list_dir(envs, &names, &nr) < 0)
		names = NULL;
	for (size_t i = 0; i < nr; i++) {
		char buf[128];
		const char *why = gc_reason(state, names[i], buf, sizeof(buf));

		if (!why)
			continue;
		if (dry_run) {
			printf("would remove %s: %s\n", names[i], why);
			continue;
		}
		strbuf_reset(&err);
		if (rt_remove(state, names[i], 0, 0, &err) < 0) {
			error("%s", err.buf);
			failed++;
			continue;
		}
		printf("removed %s: %s\n", names[i], why);
		removed++;
	}
	gc_cache(state, dry_run);
	if (!dry_run && !removed && !failed)
		printf("nothing to remove\n");
	strbuf_release(&err);
	free_list(names);
	free(envs);
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
	.args = "[--dry-run]",
	.summary = "remove environments past their TTL and orphans",
	.help = "An orphan is an environment whose supervisor is gone, or whose 'up' died\n"
		"before it finished. Environments another provisioner is working on are\n"
		"left alone.",
	.flags = 0,
	.exits = gc_exits,
	.options = gc_options,
	.min_args = 0, .max_args = 0,
	.exec = cmd_gc_exec,
};
