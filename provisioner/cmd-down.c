/*
 * provisioner down ENV [--keep-logs]
 * provisioner gc [--dry-run]
 *
 * down stops an environment and removes all of it: processes (asked to
 * stop through the supervisor, then killed, then swept by the marker in
 * their environment), namespaces, links, nftables table, files. It then
 * checks that nothing is left and fails if something is.
 *
 * gc removes environments past their TTL and orphans: a supervisor that
 * is gone, or an `up` that died before it finished (state "creating" with
 * nobody holding the lock). Environments whose lock is held are skipped.
 */
#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "load.h"
#include "rt-env.h"
#include "state.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DOWN_LOCK_WAIT_MS 30000

/* ENV is a name, or a definition file whose environment is meant. */
char *rt_resolve_name(struct cmd_ctx *ctx, const char *arg)
{
	struct load_opts lo = LOAD_OPTS_INIT;
	struct env_model m;
	struct diag d = DIAG_INIT;
	char *name = NULL;
	size_t len = strlen(arg);

	if (access(arg, R_OK) || !(len > 5 && (!strcmp(arg + len - 5, ".yaml") ||
						 !strcmp(arg + len - 4, ".yml"))))
		return xstrdup(arg);
	lo.branch = cmd_opt(ctx, "branch");
	env_model_init(&m);
	if (env_load(&m, arg, &lo, &d) == 0)
		name = xstrdup(m.env_name);
	else
		cmd_print_diag(&d);
	diag_release(&d);
	env_model_free(&m);
	return name;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Tear down under the lock, then check that nothing is left. */
static int remove_env(const char *state, const char *name, int keep_logs, int wait_ms)
{
	char *envdir = rt_env_dir(state, name), *path = rt_env_path(envdir, "state.json");
	struct strbuf err = STRBUF_INIT, left = STRBUF_INIT;
	json_t *st = rt_json_load(path, NULL);
	int lock = rt_lock(envdir, "down", wait_ms, &err), ret = -1;

	if (lock < 0) {
		error("%s", err.buf);
		goto out;
	}
	if (rt_teardown(state, name, keep_logs, &err) < 0) {
		error("%s", err.buf);
		goto out;
	}
	if (rt_leftovers(state, name, st, &left)) {
		error("'%s' is not completely gone; left:\n%s", name, left.buf);
		goto out;
	}
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	json_decref(st);
	strbuf_release(&err);
	strbuf_release(&left);
	free(path);
	free(envdir);
	return ret;
}

static const struct cmd_opt down_opts[] = {
	ENV_OPTS,
	{ "keep-logs", 'k', 0, NULL, "keep the logs under STATE/logs/ENV-TIME" },
	{ NULL },
};

static enum cmd_result cmd_down_exec(struct cmd_ctx *ctx)
{
	char *state = state_dir(), *name = rt_resolve_name(ctx, ctx->argv[0]), *envdir;
	enum cmd_result res = CMD_OK;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!state || !name) {
		free(state);
		free(name);
		return CMD_USAGE;
	}
	envdir = rt_env_dir(state, name);
	if (!is_dir(envdir)) {
		fprintf(stderr, "no environment '%s'; nothing to do\n", name);
	} else if (remove_env(state, name, cmd_flag(ctx, "keep-logs"), DOWN_LOCK_WAIT_MS) < 0) {
		res = CMD_FAILED;
	} else {
		printf("environment %s is down (%.2f s)\n", name, since(&t0));
	}
	free(envdir);
	free(state);
	free(name);
	return res;
}

const struct cmd_entry cmd_down_entry = {
	.name = "down",
	.args = "ENV [--keep-logs]",
	.summary = "stop an environment and remove all of it",
	.help = "ENV is the environment's name (see 'provisioner list') or its definition\n"
		"file. Removes its processes, namespaces, links, nftables table and files,\n"
		"then checks that none is left. An environment that does not exist is not\n"
		"an error.\n"
		"\n"
		"exit status: 0 gone, 1 something could not be removed (it is listed)",
	.flags = CMD_AUDIT,
	.opts = down_opts,
	.min_args = 1, .max_args = 1,
	.exec = cmd_down_exec,
};

/* ---- gc ---- */

/* Why `name` should go, or NULL if it should stay. */
static const char *gc_reason(const char *state, const char *name, char *buf, size_t len)
{
	char *envdir = rt_env_dir(state, name), *path = rt_env_path(envdir, "state.json");
	json_t *st = rt_json_load(path, NULL);
	const char *why = NULL, *phase = rt_str(st, "state");
	long long expires = rt_int(st, "expires");

	if (rt_lock_busy(envdir))
		why = NULL;   /* an up or down is working on it */
	else if (!st)
		why = "no readable state";
	else if (expires && time(NULL) > expires)
		why = (snprintf(buf, len, "expired %lld s ago", (long long)time(NULL) - expires), buf);
	else if (strcmp(phase, "running"))
		why = (snprintf(buf, len, "left '%s' by an up that did not finish", phase), buf);
	else if (!rt_supervisor_pid(envdir))
		why = "its supervisor is gone";
	json_decref(st);
	free(path);
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

static const struct cmd_opt gc_opts[] = {
	{ "dry-run", 'n', 0, NULL, "say what would be removed, remove nothing" },
	{ NULL },
};

static enum cmd_result cmd_gc_exec(struct cmd_ctx *ctx)
{
	char *state = state_dir(), *envs, **names;
	int dry_run = cmd_flag(ctx, "dry-run"), removed = 0, failed = 0;
	size_t nr = 0;

	if (!state)
		return error("cannot find the state directory"), CMD_FAILED;
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
		if (remove_env(state, names[i], 0, 0) < 0) {
			failed++;
			continue;
		}
		printf("removed %s: %s\n", names[i], why);
		removed++;
	}
	gc_cache(state, dry_run);
	if (!dry_run && !removed && !failed)
		printf("nothing to remove\n");
	free_list(names);
	free(envs);
	free(state);
	return failed ? CMD_FAILED : CMD_OK;
}

const struct cmd_entry cmd_gc_entry = {
	.name = "gc",
	.args = "[--dry-run]",
	.summary = "remove environments past their TTL and orphans",
	.help = "An orphan is an environment whose supervisor is gone, or whose 'up' died\n"
		"before it finished. Environments another provisioner is working on are\n"
		"left alone.\n"
		"\n"
		"exit status: 0 done, 1 something could not be removed",
	.flags = 0,
	.opts = gc_opts,
	.min_args = 0, .max_args = 0,
	.exec = cmd_gc_exec,
};
