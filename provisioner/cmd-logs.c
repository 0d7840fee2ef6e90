/*
 * provisioner logs ENV [SERVICE] [--follow] [--lines N]
 *
 * The logs of an environment's processes, each line prefixed with its
 * process. Read-only.
 */
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "run-command.h"
#include "state.h"
#include "strbuf.h"
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

static enum cli_result cmd_logs_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), *name = rt_resolve_name(ctx->argv[0]);
	const char *only = ctx->argc > 1 ? ctx->argv[1] : NULL;
	char *envdir = NULL, *logdir = NULL, **files = NULL;
	struct logf *logs = NULL;
	size_t nr = 0, nr_logs = 0;
	enum cli_result res = CLI_OK;

	if (!state || !name) {
		res = CLI_USAGE;
		goto out;
	}
	envdir = rt_env_dir(state, name);
	logdir = rt_env_path(envdir, "logs");
	if (list_dir(logdir, &files, &nr) < 0) {
		error("no environment '%s' (see 'provisioner list')", name);
		res = CLI_USAGE;
		goto out;
	}
	logs = xcalloc(nr + 1, sizeof(*logs));
	for (size_t i = 0; i < nr; i++) {
		size_t len = strlen(files[i]), olen = only ? strlen(only) : 0;
		struct strbuf tail = STRBUF_INIT;
		struct logf *l;
		struct stat sb;

		if (len < 5 || strcmp(files[i] + len - 4, ".log"))
			continue;
		/* SERVICE is a process ("api-primary-0") or what it is a replica of ("api") */
		if (only && !(strncmp(files[i], only, olen) == 0 &&
			      (files[i][olen] == '.' || files[i][olen] == '-')))
			continue;
		l = &logs[nr_logs++];
		l->name = xstrndup(files[i], len - 4);
		l->path = path_join(logdir, files[i]);
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
	if (only && !nr_logs) {
		error("'%s' has no process or service '%s'", name, only);
		res = CLI_USAGE;
		goto out;
	}
	fflush(stdout);
	while (follow && is_dir(envdir)) {
		usleep(200 * 1000);
		for (size_t i = 0; i < nr_logs; i++)
			print_new(&logs[i]);
	}
out:
	for (size_t i = 0; i < nr_logs; i++) {
		free(logs[i].name);
		free(logs[i].path);
	}
	free(logs);
	free_list(files);
	free(envdir);
	free(logdir);
	free(state);
	free(name);
	return res;
}

const struct cli_cmd cmd_logs_entry = {
	.name = "logs",
	.args = "ENV [SERVICE] [--follow] [--lines N]",
	.summary = "show the logs of an environment's processes",
	.help = "SERVICE is a service, datastore or 'gateway' (all its processes) or one\n"
		"process ('api-primary-0'). 'supervisor' is the supervisor's own log.\n"
		"Each line is prefixed with the process it comes from.",
	.options = logs_options,
	.min_args = 1, .max_args = 2,
	.exec = cmd_logs_exec,
};
