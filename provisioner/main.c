/*
 * provisioner: renders and runs environments from one definition.
 *
 * This file holds the command table and the dispatcher; see cmd.h.
 */
#include "audit.h"
#include "cmd.h"
#include "diag.h"
#include "load.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PROVISIONER_VERSION
#define PROVISIONER_VERSION "0.0.0"
#endif

static const struct cmd_entry *const commands[] = {
	&cmd_render_entry,
	&cmd_check_entry,
	&cmd_validate_entry,
	&cmd_name_entry,
	&cmd_show_entry,
	&cmd_up_entry,
	&cmd_status_entry,
	&cmd_list_entry,
	&cmd_logs_entry,
	&cmd_down_entry,
	&cmd_gc_entry,
	&cmd_supervise_entry,
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: provisioner [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!(commands[i]->flags & CMD_HIDDEN))
			fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\nexit status: 0 ok, 1 the work found a problem (drift, invalid output),\n"
		   "2 usage or input error, 3 the environment needs a person, 130 interrupted\n"
		   "\n'provisioner COMMAND --help' describes a command.\n");
}

static void print_cmd_help(const struct cmd_entry *e)
{
	printf("usage: provisioner %s %s\n\n%s\n", e->name, e->args, e->summary);
	if (e->help)
		printf("\n%s\n", e->help);
	if (e->opts && e->opts[0].name)
		printf("\noptions:\n");
	for (const struct cmd_opt *o = e->opts; o && o->name; o++) {
		struct strbuf sb = STRBUF_INIT;

		if (o->short_name)
			strbuf_addf(&sb, "-%c, ", o->short_name);
		strbuf_addf(&sb, "--%s", o->name);
		if (o->flags & OPT_ARG)
			strbuf_addf(&sb, " %s", o->arg);
		printf("  %-24s %s\n", sb.buf, o->help);
		strbuf_release(&sb);
	}
}

/* Unique-prefix matching: "ren" finds "render"; "s" is ambiguous if two start so. */
static const struct cmd_entry *find_command(const char *name)
{
	const struct cmd_entry *found = NULL;
	size_t len = strlen(name), matches = 0;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i]->name, name))
			return commands[i];
		if (!strncmp(commands[i]->name, name, len)) {
			found = commands[i];
			matches++;
		}
	}
	if (matches > 1) {
		error("ambiguous command '%s'", name);
		return NULL;
	}
	if (!found)
		error("unknown command '%s' (see 'provisioner --help')", name);
	return found;
}

const char *cmd_opt(const struct cmd_ctx *ctx, const char *name)
{
	for (size_t i = 0; ctx->entry->opts && ctx->entry->opts[i].name; i++)
		if (!strcmp(ctx->entry->opts[i].name, name))
			return ctx->values[i];
	BUG("command '%s' has no option '%s'", ctx->entry->name, name);
}

int cmd_flag(const struct cmd_ctx *ctx, const char *name)
{
	for (size_t i = 0; ctx->entry->opts && ctx->entry->opts[i].name; i++)
		if (!strcmp(ctx->entry->opts[i].name, name))
			return ctx->counts[i];
	BUG("command '%s' has no option '%s'", ctx->entry->name, name);
}

void cmd_print_diag(const struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;

	diag_format(d, &sb, "error: ");
	fflush(stdout);
	fputs(sb.buf, stderr);
	strbuf_release(&sb);
}

static const struct cmd_opt *match_opt(const struct cmd_entry *e, const char *arg, size_t *idx,
				       const char **inline_val)
{
	*inline_val = NULL;
	for (size_t i = 0; e->opts && e->opts[i].name; i++) {
		const struct cmd_opt *o = &e->opts[i];
		size_t len = strlen(o->name);

		*idx = i;
		if (arg[1] == '-' && !strncmp(arg + 2, o->name, len)) {
			if (arg[2 + len] == '=' && (o->flags & OPT_ARG)) {
				*inline_val = arg + 3 + len;
				return o;
			}
			if (!arg[2 + len])
				return o;
		}
		if (arg[1] != '-' && o->short_name && arg[1] == o->short_name) {
			if (arg[2] && (o->flags & OPT_ARG))
				*inline_val = arg + 2;
			if (!arg[2] || *inline_val)
				return o;
		}
	}
	return NULL;
}

/* Parse options and positionals of `e` from argv[1..]. Returns 0, 1 (help shown) or -1. */
static int parse_args(const struct cmd_entry *e, int argc, char **argv, struct cmd_ctx *ctx)
{
	int only_args = 0;

	ctx->argv = xcalloc((size_t)argc + 1, sizeof(*ctx->argv));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct cmd_opt *o;
		size_t idx;

		if (only_args || arg[0] != '-' || !arg[1]) {
			ctx->argv[ctx->argc++] = argv[i];
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			print_cmd_help(e);
			return 1;
		}
		o = match_opt(e, arg, &idx, &val);
		if (!o)
			return error("unknown option '%s' for '%s' (see 'provisioner %s --help')", arg,
				     e->name, e->name);
		if ((o->flags & OPT_ARG) && !val) {
			if (i + 1 >= argc)
				return error("option '--%s' needs a value", o->name);
			val = argv[++i];
		}
		if (ctx->counts[idx] && !(o->flags & OPT_REPEAT) && (o->flags & OPT_ARG))
			return error("option '--%s' given twice", o->name);
		ctx->values[idx] = val;
		ctx->counts[idx]++;
	}
	if ((size_t)ctx->argc < e->min_args || (size_t)ctx->argc > e->max_args) {
		error("wrong number of arguments for '%s'", e->name);
		fprintf(stderr, "usage: provisioner %s %s\n", e->name, e->args);
		return -1;
	}
	return 0;
}

static enum cmd_result load_env(struct cmd_ctx *ctx)
{
	struct load_opts lo = LOAD_OPTS_INIT;
	struct diag d = DIAG_INIT;
	enum cmd_result res = CMD_OK;

	lo.branch = cmd_opt(ctx, "branch");
	lo.commit = cmd_opt(ctx, "commit");
	ctx->model = xmalloc(sizeof(*ctx->model));
	env_model_init(ctx->model);
	if (env_load(ctx->model, ctx->argv[0], &lo, &d) < 0) {
		diag_sort(&d);
		cmd_print_diag(&d);
		res = CMD_USAGE;
	}
	diag_release(&d);
	return res;
}

static int finish_stdout(void)
{
	if (fflush(stdout) || ferror(stdout))
		return error_errno("cannot write the output");
	return 0;
}

static enum cmd_result run_command(const struct cmd_entry *e, int argc, char **argv)
{
	struct cmd_ctx ctx = { .entry = e };
	size_t nr_opts = 0;
	enum cmd_result res;
	int parsed;

	while (e->opts && e->opts[nr_opts].name)
		nr_opts++;
	ctx.values = xcalloc(nr_opts + 1, sizeof(*ctx.values));
	ctx.counts = xcalloc(nr_opts + 1, sizeof(*ctx.counts));
	parsed = parse_args(e, argc, argv, &ctx);
	if (parsed)
		res = parsed > 0 ? CMD_OK : CMD_USAGE;
	else if ((e->flags & CMD_NEEDS_ENV) && (res = load_env(&ctx)) != CMD_OK)
		;
	else
		res = e->exec(&ctx);
	if (!parsed && (e->flags & CMD_AUDIT) && ctx.model && ctx.model->env_name)
		audit_record(e->name, ctx.model, res, ctx.audit_detail);
	if (finish_stdout() < 0 && res == CMD_OK)
		res = CMD_FAILED;
	if (ctx.model) {
		env_model_free(ctx.model);
		free(ctx.model);
	}
	free(ctx.values);
	free(ctx.counts);
	free(ctx.argv);
	return res;
}

int main(int argc, char **argv)
{
	const struct cmd_entry *e;

	usage_progname = "provisioner";
	die_status = CMD_USAGE;
	if (argc < 2) {
		print_usage(stderr);
		return CMD_USAGE;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("provisioner %s\n", PROVISIONER_VERSION);
		return finish_stdout() < 0 ? CMD_FAILED : CMD_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return finish_stdout() < 0 ? CMD_FAILED : CMD_OK;
	}
	e = find_command(argv[1]);
	if (!e)
		return CMD_USAGE;
	return (int)run_command(e, argc - 1, argv + 1);
}
