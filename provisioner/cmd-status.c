/*
 * provisioner status [ENV] [-o json]
 * provisioner list [-o json]
 * provisioner logs ENV [SERVICE] [--follow] [--lines N]
 * provisioner supervise ENV        (internal: the supervisor, started by up)
 *
 * Read-only views of local environments; none of them takes the lock, so
 * they work while an `up` or `down` is running.
 */
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-status.h"
#include "run-command.h"
#include "state.h"
#include "strbuf.h"
#include "supervisor.h"
#include "usage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int json_output(struct cmd_ctx *ctx, int *json)
{
	const char *fmt = cmd_opt(ctx, "output");

	*json = fmt && !strcmp(fmt, "json");
	if (fmt && !*json && strcmp(fmt, "text"))
		return error("unknown output format '%s' (expected text or json)", fmt);
	return 0;
}

static void dump(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s\n", s);
	free(s);
}

static char **env_names(const char *state, size_t *nr)
{
	char *envs = rt_envs_dir(state), **names;

	if (list_dir(envs, &names, nr) < 0) {
		names = xcalloc(1, sizeof(*names));
		*nr = 0;
	}
	free(envs);
	return names;
}

static const struct cmd_opt status_opts[] = {
	ENV_OPTS,
	{ "output", 'o', OPT_ARG, "FORMAT", "text (default) or json" },
	{ NULL },
};

static enum cmd_result cmd_status_exec(struct cmd_ctx *ctx)
{
	char *state = state_dir(), **names = NULL, *one = NULL;
	struct strbuf err = STRBUF_INIT;
	enum cmd_result res = CMD_OK;
	json_t *all = json_array();
	size_t nr = 0;
	int json;

	if (json_output(ctx, &json) < 0 || !state) {
		res = state ? CMD_USAGE : CMD_FAILED;
		goto out;
	}
	if (ctx->argc) {
		one = rt_resolve_name(ctx, ctx->argv[0]);
		if (!one) {
			res = CMD_USAGE;
			goto out;
		}
		names = xcalloc(2, sizeof(*names));
		names[0] = one;
		nr = 1;
	} else {
		names = env_names(state, &nr);
	}
	for (size_t i = 0; i < nr; i++) {
		json_t *doc = rt_status_doc(state, names[i], &err);

		if (!doc) {
			error("%s", err.buf);
			res = CMD_FAILED;
			continue;
		}
		if (one && json)
			dump(doc);
		else if (!json)
			rt_status_print(stdout, doc);
		if (!one)
			json_array_append(all, doc);
		json_decref(doc);
	}
	if (!one && json)
		dump(all);
	else if (!one && !nr)
		printf("no environments (state directory %s)\n", state);
out:
	json_decref(all);
	free_list(names);
	free(state);
	strbuf_release(&err);
	return res;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.args = "[ENV] [-o json]",
	.summary = "show an environment's processes, addresses and health",
	.help = "Without ENV, every environment. The JSON is what pipelines, 'loadtest\n"
		"--env' and chaos read: name, state (running, degraded, failed,\n"
		"creating), gateway {url, ca_file, username, password_file}, each\n"
		"service's replicas {name, region, address, pid, healthy} and each\n"
		"datastore's primary and replicas. See README.md.",
	.opts = status_opts,
	.min_args = 0, .max_args = 1,
	.exec = cmd_status_exec,
};

/* ---- list ---- */

static const struct cmd_opt list_opts[] = {
	{ "output", 'o', OPT_ARG, "FORMAT", "text (default) or json" },
	{ NULL },
};

static void age(char *buf, size_t len, long long secs)
{
	if (secs < 0)
		snprintf(buf, len, "-");
	else if (secs < 3600)
		snprintf(buf, len, "%lldm", secs / 60);
	else
		snprintf(buf, len, "%lldh%02lldm", secs / 3600, (secs % 3600) / 60);
}

static enum cmd_result cmd_list_exec(struct cmd_ctx *ctx)
{
	char *state = state_dir(), **names;
	struct strbuf err = STRBUF_INIT;
	json_t *all = json_array();
	size_t nr;
	int json;

	if (json_output(ctx, &json) < 0 || !state) {
		free(state);
		json_decref(all);
		return CMD_USAGE;
	}
	names = env_names(state, &nr);
	if (!json)
		printf("%-40s %-9s %-8s %-8s %-7s %-8s %s\n", "NAME", "STATE", "MODE", "TIER", "AGE",
		       "EXPIRES", "GATEWAY");
	for (size_t i = 0; i < nr; i++) {
		json_t *doc = rt_status_doc(state, names[i], &err);
		long long now = (long long)time(NULL), exp;
		char a[16], e[16];

		if (!doc)
			continue;
		exp = rt_int(doc, "expires");
		age(a, sizeof(a), now - rt_int(doc, "created"));
		age(e, sizeof(e), exp ? exp - now : -1);
		if (json)
			json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
				"name", rt_str(doc, "name"), "state", rt_str(doc, "state"),
				"mode", rt_str(doc, "mode"), "tier", rt_str(doc, "tier"),
				"created", (json_int_t)rt_int(doc, "created"), "expires", (json_int_t)exp,
				"gateway", rt_str(json_object_get(doc, "gateway"), "url")));
		else
			printf("%-40s %-9s %-8s %-8s %-7s %-8s %s\n", rt_str(doc, "name"),
			       rt_str(doc, "state"), rt_str(doc, "mode"), rt_str(doc, "tier"), a,
			       exp ? e : "never", rt_str(json_object_get(doc, "gateway"), "url"));
		json_decref(doc);
	}
	if (json)
		dump(all);
	json_decref(all);
	free_list(names);
	free(state);
	strbuf_release(&err);
	return CMD_OK;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.args = "[-o json]",
	.summary = "list the environments on this machine",
	.opts = list_opts,
	.min_args = 0, .max_args = 0,
	.exec = cmd_list_exec,
};

/* ---- logs ---- */

static const struct cmd_opt logs_opts[] = {
	ENV_OPTS,
	{ "follow", 'f', 0, NULL, "keep printing new lines until the environment is gone or ^C" },
	{ "lines", 'n', OPT_ARG, "N", "lines of each log to show first (default 20)" },
	{ NULL },
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

static enum cmd_result cmd_logs_exec(struct cmd_ctx *ctx)
{
	char *state = state_dir(), *name = rt_resolve_name(ctx, ctx->argv[0]);
	const char *only = ctx->argc > 1 ? ctx->argv[1] : NULL, *n = cmd_opt(ctx, "lines");
	char *envdir = NULL, *logdir = NULL, **files = NULL;
	struct logf *logs = NULL;
	size_t nr = 0, nr_logs = 0;
	enum cmd_result res = CMD_OK;
	int lines = n ? atoi(n) : 20;

	if (!state || !name) {
		res = CMD_USAGE;
		goto out;
	}
	envdir = rt_env_dir(state, name);
	logdir = rt_env_path(envdir, "logs");
	if (list_dir(logdir, &files, &nr) < 0) {
		error("no environment '%s' (see 'provisioner list')", name);
		res = CMD_USAGE;
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
		tail_file(l->path, (size_t)(lines > 0 ? lines : 0), &tail);
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
		res = CMD_USAGE;
		goto out;
	}
	fflush(stdout);
	while (cmd_flag(ctx, "follow") && is_dir(envdir)) {
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

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.args = "ENV [SERVICE] [--follow] [--lines N]",
	.summary = "show the logs of an environment's processes",
	.help = "SERVICE is a service, datastore or 'gateway' (all its processes) or one\n"
		"process ('api-primary-0'). 'supervisor' is the supervisor's own log.\n"
		"Each line is prefixed with the process it comes from.",
	.opts = logs_opts,
	.min_args = 1, .max_args = 2,
	.exec = cmd_logs_exec,
};

/* ---- supervise (internal) ---- */

static enum cmd_result cmd_supervise_exec(struct cmd_ctx *ctx)
{
	char *state = state_dir();
	int rc;

	if (!state)
		return CMD_FAILED;
	rc = supervisor_main(state, ctx->argv[0]);
	free(state);
	return rc ? CMD_FAILED : CMD_OK;
}

const struct cmd_entry cmd_supervise_entry = {
	.name = "supervise",
	.args = "ENV",
	.summary = "the supervisor of an environment (started by 'up')",
	.flags = CMD_HIDDEN,
	.min_args = 1, .max_args = 1,
	.exec = cmd_supervise_exec,
};
