/*
 * Helpers the commands share: the options --branch, --commit and -o, JSON
 * and YAML on stdout, the environments on this machine, and ENV arguments.
 */
#include "clock.h"
#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "load.h"
#include "naming.h"
#include "rt-env.h"
#include "rt-state.h"
#include "strbuf.h"
#include "suggest.h"
#include "usage.h"
#include "xalloc.h"
#include "yamlemit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cmd_branch, *cmd_commit;
const char *const cmd_output_formats[] = { "text", "json", "yaml", NULL };


void cmd_dump(json_t *doc, int output, int sort)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = json_dumps(doc, JSON_INDENT(2) | (sort ? JSON_SORT_KEYS : JSON_PRESERVE_ORDER));
	json_t *sorted;

	if (output != CMD_OUTPUT_YAML) {
		printf("%s\n", s);
		free(s);
		return;
	}
	/* read back, the keys in the JSON's order, so that both list them alike */
	sorted = json_loads(s, JSON_DECODE_ANY, NULL);
	yaml_emit(&sb, sorted ? sorted : doc);
	fputs(sb.buf, stdout);
	json_decref(sorted);
	strbuf_release(&sb);
	free(s);
}

void cmd_dump_json(json_t *doc)
{
	cmd_dump(doc, CMD_OUTPUT_JSON, 1);
}

char **cmd_env_names(const char *state, size_t *nr)
{
	char *envs = rt_envs_dir(state), **names;

	if (list_dir(envs, &names, nr) < 0) {
		names = xcalloc(1, sizeof(*names));
		*nr = 0;
	}
	free(envs);
	return names;
}


char *cmd_env_arg(const char *state, const char *arg)
{
	char *name = rt_resolve_name(arg), *envdir, **names;
	const char *near = NULL;
	size_t nr;

	if (!name)
		return NULL;   /* a definition that does not load: said */
	envdir = rt_env_dir(state, name);
	if (is_dir(envdir)) {
		free(envdir);
		return name;
	}
	names = cmd_env_names(state, &nr);
	if (nr)
		near = suggest_nearest(name, (const char *const *)names, nr);
	if (near)
		error("no environment '%s' (did you mean '%s'?)", name, near);
	else
		error("no environment '%s' (see 'provisioner list')", name);
	free_list(names);
	free(envdir);
	free(name);
	return NULL;
}

void cmd_audit_env(struct cli_ctx *ctx, const char *name)
{
	free(cmd_data(ctx)->audit_env);
	cmd_data(ctx)->audit_env = xstrdup(name);
}

static int is_definition(const char *arg)
{
	size_t len = strlen(arg);

	return (len > 5 && !strcmp(arg + len - 5, ".yaml")) || (len > 4 && !strcmp(arg + len - 4, ".yml"));
}

/* ENV is a name, or a definition file whose environment is meant. */
char *rt_resolve_name(const char *arg)
{
	struct load_opts lo = LOAD_OPTS_INIT;
	struct env_model m;
	struct diag d = DIAG_INIT;
	char *name = NULL;

	if (is_definition(arg) && access(arg, R_OK)) {
		error("cannot read the definition '%s': %s", arg, strerror(errno));
		return NULL;
	}
	if (!is_definition(arg)) {
		/* an empty name (a `$(provisioner name ...)` that failed) would be every environment */
		if (!is_dns_label(arg)) {
			error("invalid environment name '%s': a name is a DNS label (lower-case letters, "
			      "digits and '-', at most %d characters, starting with a letter, not "
			      "ending with '-')", arg, DNS_LABEL_MAX);
			return NULL;
		}
		return xstrdup(arg);
	}
	lo.branch = cmd_branch;
	env_model_init(&m);
	if (env_load(&m, arg, &lo, &d) == 0)
		name = xstrdup(m.env_name);
	else
		cli_print_diag(&d);
	diag_release(&d);
	env_model_free(&m);
	return name;
}

/* --- waiting for health ----------------------------------------------------- */

#define SUMMARY_NAMES 4   /* processes named in a summary; the rest are counted */

static const char *unhealthy_word(const struct rt_proc_now *p)
{
	switch (p->state) {
	case RT_P_WAITING:
		return "waiting for its dependencies";
	case RT_P_BACKOFF:
		return "restarting";
	case RT_P_STOPPED:
		return "stopped";
	default:
		return p->pid ? "not ready" : "starting";
	}
}

void cmd_health_summary(struct strbuf *sb, const struct rt_runtime *rt)
{
	size_t healthy = 0, all = 0, named = 0;

	for (size_t i = 0; i < rt->processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt->processes, struct rt_proc_now, i);

		if (p->state == RT_P_FENCED)
			continue;   /* an old primary, out for good */
		all++;
		healthy += p->healthy != 0;
	}
	strbuf_addf(sb, "%zu/%zu healthy", healthy, all);
	for (size_t i = 0; i < rt->processes.nr && healthy < all; i++) {
		const struct rt_proc_now *p = RT_AT(rt->processes, struct rt_proc_now, i);

		if (p->healthy || p->state == RT_P_FENCED)
			continue;
		if (named++ == SUMMARY_NAMES) {
			strbuf_addf(sb, ", %zu more", all - healthy - SUMMARY_NAMES);
			break;
		}
		strbuf_addf(sb, "%s%s %s", named == 1 ? " (" : ", ", p->name, unhealthy_word(p));
		if (p->restarts)
			strbuf_addf(sb, " (restarted %d times)", p->restarts);
	}
	if (named)
		strbuf_addch(sb, ')');
}

void cmd_progress_init(struct cmd_progress *p, const char *what)
{
	p->what = what;
	p->last = NULL;
	p->tty = cli_progress_wanted(0);
	p->t0 = clock_ns();
}

void cmd_progress(struct cmd_progress *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (p->tty) {
		cli_progress("%s %.1f s: %s", p->what, clock_since(p->t0), sb.buf);
	} else if (!p->last || strcmp(p->last, sb.buf)) {
		/* off a terminal (a CI log): a line each time there is something new */
		fprintf(stderr, "%s %.1f s: %s\n", p->what, clock_since(p->t0), sb.buf);
		fflush(stderr);
	}
	free(p->last);
	p->last = strbuf_detach(&sb, NULL);
}

void cmd_progress_done(struct cmd_progress *p)
{
	if (p->tty && p->last)
		cli_progress_done();
	free(p->last);
	p->last = NULL;
}
