/*
 * provisioner logs ENV [SERVICE] [--follow] [--lines N]
 *
 * The logs of an environment's processes and of nginx (the gateway's
 * access and error logs), each line prefixed with where it comes from.
 * Read-only.
 */
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "run-command.h"
#include "state.h"
#include "strbuf.h"
#include "strv.h"
#include "suggest.h"
#include "usage.h"
#include "xalloc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int follow, lines = 20;

static const struct cli_option logs_options[] = {
	ENV_OPTS,
	OPT_BOOL('f', "follow", &follow, "keep printing new lines until the environment is gone or ^C"),
	OPT_INT('n', "lines", &lines, "N", "lines of each log to show first (default 20)", 0, INT_MAX),
	OPT_END(),
};

struct logf {
	char *name, *path;
	off_t pos;
	int shown;   /* SERVICE, if given, names it */
};

/* Print what `l` has past its position, each line prefixed with its process. */
static void print_new(struct logf *l)
{
	FILE *f = fopen(l->path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	if (fseeko(f, l->pos, SEEK_SET) == 0)
		while (getline(&line, &cap, f) > 0) {
			if (!strchr(line, '\n'))
				break;   /* half a line: wait for the rest */
			printf("%-18s | %s", l->name, line);
			l->pos = ftello(f);
		}
	free(line);
	fclose(f);
	fflush(stdout);
}

/* Every log of the environment at `envdir`: its processes', then nginx's own. */
static struct logf *find_logs(const char *envdir, size_t *nr)
{
	static const char *const nginx[][2] = {
		{ "gateway-access", "gateway/logs/access.log" },
		{ "gateway-error", "gateway/logs/error.log" },
	};
	char *logdir = rt_env_path(envdir, "logs"), **files = NULL;
	struct logf *v;
	size_t n = 0;

	*nr = 0;
	if (list_dir(logdir, &files, &n) < 0)
		n = 0;
	v = xcalloc(n + ARRAY_SIZE(nginx) + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(files[i]);

		if (len < 5 || strcmp(files[i] + len - 4, ".log"))
			continue;
		v[*nr].name = xstrndup(files[i], len - 4);
		v[(*nr)++].path = path_join(logdir, files[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(nginx); i++) {
		char *path = rt_env_path(envdir, nginx[i][1]);

		if (access(path, F_OK) == 0) {
			v[*nr].name = xstrdup(nginx[i][0]);
			v[(*nr)++].path = path;
		} else {
			free(path);
		}
	}
	free_list(files);
	free(logdir);
	return v;
}

/* SERVICE is a process ("api-primary-0") or what it is part of ("api", "gateway") */
static int is_of(const char *log, const char *only)
{
	size_t n = strlen(only);

	return !strncmp(log, only, n) && (!log[n] || log[n] == '-');
}

/* What SERVICE could have been: the logs' names and each part of them before a '-'. */
static void unknown_service(const char *env, const char *only, const struct logf *v, size_t nr)
{
	struct strv cands = STRV_INIT;
	const char *near;

	for (size_t i = 0; i < nr; i++) {
		const char *n = v[i].name;

		strv_push(&cands, n);
		for (const char *d = strchr(n, '-'); d; d = strchr(d + 1, '-'))
			strv_push_take(&cands, xstrndup(n, (size_t)(d - n)));
	}
	near = cands.nr ? suggest_nearest(only, (const char *const *)cands.v, cands.nr) : NULL;
	if (near)
		error("'%s' has no process or service '%s' (did you mean '%s'?)", env, only, near);
	else
		error("'%s' has no process or service '%s'", env, only);
	strv_clear(&cands);
}

static void print_tail(struct logf *l)
{
	struct strbuf tail = STRBUF_INIT;
	struct stat sb;

	tail_file(l->path, (size_t)lines, &tail);
	for (char *s = tail.buf, *e; lines > 0 && *s; s = e + 1) {
		e = strchrnul(s, '\n');
		printf("%-18s | %.*s\n", l->name, (int)(e - s), s);
		if (!*e)
			break;
	}
	strbuf_release(&tail);
	l->pos = stat(l->path, &sb) == 0 ? sb.st_size : 0;
}

static enum cli_result cmd_logs_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), *name = NULL, *envdir = NULL;
	const char *only = ctx->argc > 1 ? ctx->argv[1] : NULL;
	struct logf *logs = NULL;
	size_t nr = 0, shown = 0;
	enum cli_result res = CLI_OK;

	if (!state || !(name = cmd_env_arg(state, ctx->argv[0]))) {
		res = state ? CMD_NO_ENV : CLI_FAILED;
		goto out;
	}
	envdir = rt_env_dir(state, name);
	logs = find_logs(envdir, &nr);
	for (size_t i = 0; i < nr; i++) {
		logs[i].shown = !only || is_of(logs[i].name, only);
		if (logs[i].shown)
			print_tail(&logs[i]), shown++;
	}
	if (only && !shown) {
		unknown_service(name, only, logs, nr);
		res = CLI_USAGE;
		goto out;
	}
	fflush(stdout);
	while (follow && is_dir(envdir)) {
		usleep(200 * 1000);
		for (size_t i = 0; i < nr; i++)
			if (logs[i].shown)
				print_new(&logs[i]);
	}
out:
	for (size_t i = 0; i < nr; i++) {
		free(logs[i].name);
		free(logs[i].path);
	}
	free(logs);
	free(envdir);
	free(state);
	free(name);
	return res;
}

static const struct cli_exit logs_exits[] = {
	{ 0, "ok" },
	{ 1, "the state directory cannot be found" },
	{ 2, "usage error, no such environment, or no such process or service in it" },
	{ 0, NULL },
};

const struct cli_cmd cmd_logs_entry = {
	.name = "logs",
	.args = "ENV [SERVICE] [--follow] [--lines N]",
	.summary = "show the logs of an environment's processes",
	.help = "SERVICE is a service, datastore or 'gateway' (all its processes, and for\n"
		"the gateway nginx's access and error logs) or one process ('api-primary-0',\n"
		"'gateway-access'). 'supervisor' is the supervisor's own log. Each line is\n"
		"prefixed with the process or log it comes from.",
	.exits = logs_exits,
	.options = logs_options,
	.min_args = 1, .max_args = 2,
	.exec = cmd_logs_exec,
};
