/*
 * The command line of every program; see cli.h.
 */
#include "cli.h"
#include "color.h"
#include "diag.h"
#include "strbuf.h"
#include "strv.h"
#include "suggest.h"
#include "units.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELP_COL 28             /* where an option's help text starts */

/* --- built-in commands ----------------------------------------------------- */

static enum cli_result help_exec(struct cli_ctx *ctx);
static enum cli_result version_exec(struct cli_ctx *ctx);

static const struct cli_cmd help_cmd = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "show the help of the program, or of a command",
	.min_args = 0, .max_args = 1,
	.exec = help_exec,
};

static const struct cli_cmd version_cmd = {
	.name = "version",
	.summary = "print the version",
	.min_args = 0, .max_args = 0,
	.exec = version_exec,
};

static const struct cli_cmd completion_cmd = {
	.name = "completion",
	.args = "bash|zsh",
	.summary = "print a shell completion script",
	.help = "Made from the same tables as --help, so it offers what the program\n"
		"takes: commands, options, the values an option may have, files. Source\n"
		"its output to use it in this shell; the build installs both scripts\n"
		"(bash-completion's completions/ and zsh's site-functions/).",
	.min_args = 1, .max_args = 1,
	.exec = cli_completion_exec,
};

static const struct cli_cmd man_cmd = {
	.name = "man",
	.summary = "print the manual page (roff), made from the same tables as --help",
	.flags = CLI_HIDDEN,
	.min_args = 0, .max_args = 0,
	.exec = cli_man_exec,
};

/* The program's commands, then the built-in ones; NULL past the end. */
const struct cli_cmd *cli_cmd_at(const struct cli_prog *prog, size_t i)
{
	static const struct cli_cmd *const builtins[] = {
		&help_cmd, &version_cmd, &completion_cmd, &man_cmd,
	};
	size_t n = 0;

	while (prog->cmds && prog->cmds[n])
		n++;
	if (i < n)
		return prog->cmds[i];
	return i - n < ARRAY_SIZE(builtins) ? builtins[i - n] : NULL;
}

/* --- finding a command ------------------------------------------------------ */

static void unknown_cmd(const struct cli_prog *prog, const char *name, struct strbuf *err)
{
	const char **names = NULL, *near;
	size_t nr = 0;

	for (size_t i = 0; cli_cmd_at(prog, i); i++)
		if (!(cli_cmd_at(prog, i)->flags & CLI_HIDDEN)) {
			names = xreallocarray(names, nr + 1, sizeof(*names));
			names[nr++] = cli_cmd_at(prog, i)->name;
		}
	near = suggest_nearest(name, names, nr);
	if (near)
		strbuf_addf(err, "unknown command '%s' (did you mean '%s'?)", name, near);
	else
		strbuf_addf(err, "unknown command '%s' (see '%s --help')", name, prog->name);
	free(names);
}

const struct cli_cmd *cli_find_cmd(const struct cli_prog *prog, const char *name,
				   struct strbuf *err)
{
	const struct cli_cmd *c, *found = NULL;
	struct strbuf could = STRBUF_INIT;
	size_t len = strlen(name), matches = 0;

	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++)
		if (!strcmp(c->name, name))
			return c;
	/* hidden commands are for programs, which spell them out */
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++) {
		if ((c->flags & CLI_HIDDEN) || strncmp(c->name, name, len))
			continue;
		strbuf_addf(&could, "%s%s", matches ? ", " : "", c->name);
		found = c;
		matches++;
	}
	if (matches > 1)
		strbuf_addf(err, "ambiguous command '%s' (could be: %s)", name, could.buf);
	else if (!matches)
		unknown_cmd(prog, name, err);
	strbuf_release(&could);
	return matches == 1 ? found : NULL;
}

/* --- parsing ----------------------------------------------------------------- */

struct parser {
	struct cli_ctx *ctx;
	const struct cli_option *opts;
	unsigned char *seen;    /* per option: a value was given */
	int argc, i;
	char **argv;
	struct strbuf *err;
};

static int takes_value(const struct cli_option *o)
{
	return o->type != CLI_OPT_BOOL;
}

static int is_option(const struct cli_option *o)
{
	return o->type != CLI_OPT_GROUP;
}

static size_t nr_options(const struct cli_option *opts)
{
	size_t n = 0;

	while (opts && opts[n].type != CLI_OPT_END)
		n++;
	return n;
}

/* Mistakes in a table are the program's: caught by running every command's --help. */
static void check_options(const struct cli_cmd *cmd)
{
	const struct cli_option *opts = cmd->options;
	size_t n = nr_options(opts);

	for (size_t i = 0; i < n; i++) {
		const struct cli_option *a = &opts[i];

		if (!is_option(a))
			continue;
		if (a->short_name == 'h' || (a->long_name && !strcmp(a->long_name, "help")))
			BUG("command '%s': -h and --help are the help's", cmd->name);
		if (!a->value || (a->type == CLI_OPT_CHOICE && !a->choices) ||
		    (a->type == CLI_OPT_CALLBACK && !a->callback) || (!a->short_name && !a->long_name))
			BUG("command '%s': an incomplete option", cmd->name);
		for (size_t k = i + 1; k < n; k++)
			if ((a->short_name && a->short_name == opts[k].short_name) ||
			    (a->long_name && opts[k].long_name && !strcmp(a->long_name, opts[k].long_name)))
				BUG("command '%s': two options are called '%s'", cmd->name,
				    a->long_name ? a->long_name : "-");
	}
}

/* " (see 'PROG CMD --help')" */
static void see_help(struct parser *p)
{
	const struct cli_cmd *cmd = p->ctx->cmd;

	if (cmd->name)
		strbuf_addf(p->err, " (see '%s %s --help')", p->ctx->prog->name, cmd->name);
	else
		strbuf_addf(p->err, " (see '%s --help')", p->ctx->prog->name);
}

static int unknown_long(struct parser *p, const char *name, size_t len)
{
	const char **names = xcalloc(nr_options(p->opts) + 1, sizeof(*names)), *near;
	char *word = xstrndup(name, len);
	size_t nr = 0;

	for (const struct cli_option *o = p->opts; o && o->type != CLI_OPT_END; o++)
		if (is_option(o) && o->long_name)
			names[nr++] = o->long_name;
	near = suggest_nearest(word, names, nr);
	strbuf_addf(p->err, "unknown option '--%s'", word);
	if (p->ctx->cmd->name)
		strbuf_addf(p->err, " for '%s'", p->ctx->cmd->name);
	if (near)
		strbuf_addf(p->err, " (did you mean '--%s'?)", near);
	else
		see_help(p);
	free(names);
	free(word);
	return -1;
}

/* The option `--name` (its first `len` characters) means: exactly, or a unique prefix. */
static const struct cli_option *find_long(struct parser *p, const char *name, size_t len)
{
	const struct cli_option *found = NULL;
	struct strbuf could = STRBUF_INIT;
	size_t matches = 0;

	for (const struct cli_option *o = p->opts; o && o->type != CLI_OPT_END; o++)
		if (is_option(o) && o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, name, len))
			return o;
	for (const struct cli_option *o = p->opts; len && o && o->type != CLI_OPT_END; o++) {
		if (!is_option(o) || !o->long_name || strncmp(o->long_name, name, len))
			continue;
		strbuf_addf(&could, "%s--%s", matches ? ", " : "", o->long_name);
		found = o;
		matches++;
	}
	if (matches > 1)
		strbuf_addf(p->err, "ambiguous option '--%.*s' (could be: %s)", (int)len, name,
			    could.buf);
	else if (!matches)
		unknown_long(p, name, len);
	strbuf_release(&could);
	return matches == 1 ? found : NULL;
}

static const struct cli_option *find_short(struct parser *p, int c)
{
	for (const struct cli_option *o = p->opts; o && o->type != CLI_OPT_END; o++)
		if (is_option(o) && o->short_name == c)
			return o;
	strbuf_addf(p->err, "unknown option '-%c'", c);
	if (p->ctx->cmd->name)
		strbuf_addf(p->err, " for '%s'", p->ctx->cmd->name);
	see_help(p);
	return NULL;
}

static int parse_int(const struct cli_option *o, const char *arg, struct strbuf *why)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg && !*end && !errno && v >= o->min && v <= o->max) {
		*(int *)o->value = (int)v;
		return 0;
	}
	if (o->max == INT_MAX)
		strbuf_addf(why, "not a whole number of at least %ld", o->min);
	else
		strbuf_addf(why, "not a whole number between %ld and %ld", o->min, o->max);
	return -1;
}

/* The index of `arg` in `choices`, or -1 with why not (and the nearest) in `why`. */
static int find_choice(const char *const *choices, const char *arg, struct strbuf *why)
{
	const char *near;
	size_t n = 0;

	while (choices[n])
		n++;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(choices[i], arg))
			return (int)i;
	strbuf_addstr(why, "expected ");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(why, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "", choices[i]);
	near = suggest_nearest(arg, choices, n);
	if (near)
		strbuf_addf(why, " (did you mean '%s'?)", near);
	return -1;
}

static int parse_choice(const struct cli_option *o, const char *arg, struct strbuf *why)
{
	int i = find_choice(o->choices, arg, why);

	if (i < 0)
		return -1;
	*(int *)o->value = i;
	return 0;
}

int cli_choice_arg(const char *what, const char *arg, const char *const *choices)
{
	struct strbuf why = STRBUF_INIT;
	int i = find_choice(choices, arg, &why);

	if (i < 0)
		error("%s '%s': %s", what, arg, why.buf);
	strbuf_release(&why);
	return i;
}

/* Store `arg` for option `o`, which the user spelled `spelled` ("-o", "--out"). */
static int set_value(struct parser *p, const struct cli_option *o, const char *spelled,
		     const char *arg)
{
	struct strbuf why = STRBUF_INIT;
	int rc = 0;

	if (o->type == CLI_OPT_BOOL) {
		*(int *)o->value = 1;
		return 0;
	}
	if (o->type == CLI_OPT_STRING_LIST) {
		strv_push(o->value, arg);
		return 0;
	}
	if (p->seen[o - p->opts]++) {
		strbuf_addf(p->err, "option '%s' given twice", spelled);
		return -1;
	}
	if (o->type == CLI_OPT_STRING)
		*(const char **)o->value = arg;
	else if (o->type == CLI_OPT_INT)
		rc = parse_int(o, arg, &why);
	else if (o->type == CLI_OPT_CHOICE)
		rc = parse_choice(o, arg, &why);
	else
		rc = o->callback(o, arg, &why);
	if (rc < 0)
		strbuf_addf(p->err, "%s: '%s': %s", spelled, arg, why.buf);
	strbuf_release(&why);
	return rc < 0 ? -1 : 0;
}

/* The value of an option that takes one: `inline_val`, or the next argument. */
static int take_value(struct parser *p, const struct cli_option *o, const char *spelled,
		      const char *inline_val)
{
	if (!inline_val) {
		if (p->i + 1 >= p->argc) {
			strbuf_addf(p->err, "option '%s' needs a value", spelled);
			return -1;
		}
		inline_val = p->argv[++p->i];
	}
	return set_value(p, o, spelled, inline_val);
}

/* "--name", "--name=value", "--name value"; `arg` is past the "--". */
static int parse_long(struct parser *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct cli_option *o;
	char *spelled;
	int rc;

	if (len == 4 && !strncmp(arg, "help", 4))
		return CLI_PARSE_HELP;
	o = find_long(p, arg, len);
	if (!o)
		return -1;
	spelled = xasprintf("--%s", o->long_name);
	if (!takes_value(o) && eq) {
		strbuf_addf(p->err, "option '%s' takes no value", spelled);
		rc = -1;
	} else if (!takes_value(o)) {
		rc = set_value(p, o, spelled, NULL);
	} else {
		rc = take_value(p, o, spelled, eq ? eq + 1 : NULL);
	}
	free(spelled);
	return rc;
}

/*
 * "-target" or "-out=DIR": a long option with one dash, as Terraform
 * spells them. Said so rather than read as the flags -t -a -r...
 */
static int one_dash_long(struct parser *p, const char *arg)
{
	size_t len = strcspn(arg, "=");

	if (len < 2)
		return 0;
	for (const struct cli_option *o = p->opts; o && o->type != CLI_OPT_END; o++)
		if (is_option(o) && o->long_name && strlen(o->long_name) == len &&
		    !strncmp(o->long_name, arg, len)) {
			strbuf_addf(p->err, "unknown option '-%.*s' (did you mean '--%s'?)", (int)len,
				    arg, o->long_name);
			return 1;
		}
	return 0;
}

/* "-q", "-qn" (flags together), "-ovalue", "-o value"; `arg` is past the "-". */
static int parse_short(struct parser *p, const char *arg)
{
	if (one_dash_long(p, arg))
		return -1;
	for (const char *s = arg; *s; s++) {
		char spelled[3] = { '-', *s, '\0' };
		const struct cli_option *o;

		if (*s == 'h')
			return CLI_PARSE_HELP;
		o = find_short(p, *s);
		if (!o)
			return -1;
		if (takes_value(o))
			return take_value(p, o, spelled, s[1] ? s + 1 : NULL);
		set_value(p, o, spelled, NULL);
	}
	return 0;
}

static int check_nr_args(struct parser *p)
{
	const struct cli_ctx *ctx = p->ctx;
	const struct cli_cmd *cmd = ctx->cmd;

	if (ctx->argc >= cmd->min_args && (cmd->max_args < 0 || ctx->argc <= cmd->max_args))
		return 0;
	strbuf_addstr(p->err, "wrong number of arguments");
	if (cmd->name)
		strbuf_addf(p->err, " for '%s'", cmd->name);
	strbuf_addf(p->err, "\nusage: %s%s%s%s%s", ctx->prog->name, cmd->name ? " " : "",
		    cmd->name ? cmd->name : "", cmd->args ? " " : "", cmd->args ? cmd->args : "");
	return -1;
}

int cli_parse(struct cli_ctx *ctx, int argc, char **argv, struct strbuf *err)
{
	struct parser p = {
		.ctx = ctx, .opts = ctx->cmd->options, .argc = argc, .argv = argv, .err = err,
	};
	int only_args = 0, rc = 0;

	check_options(ctx->cmd);
	p.seen = xcalloc(nr_options(p.opts) + 1, 1);
	ctx->argc = 0;
	ctx->argv = xcalloc((size_t)argc + 1, sizeof(*ctx->argv));
	for (p.i = 1; p.i < argc && !rc; p.i++) {
		const char *arg = argv[p.i];

		if (only_args || arg[0] != '-' || !arg[1])
			ctx->argv[ctx->argc++] = argv[p.i];
		else if (!strcmp(arg, "--"))
			only_args = 1;
		else if (arg[1] == '-')
			rc = parse_long(&p, arg + 2);
		else
			rc = parse_short(&p, arg + 1);
	}
	if (!rc)
		rc = check_nr_args(&p);
	free(p.seen);
	return rc;
}

void cli_ctx_release(struct cli_ctx *ctx)
{
	free(ctx->argv);
	ctx->argv = NULL;
	ctx->argc = 0;
}

void cli_options_release(const struct cli_option *opts)
{
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++)
		if (o->type == CLI_OPT_STRING_LIST)
			strv_clear(o->value);
}

int cli_opt_duration(const struct cli_option *opt, const char *arg, struct strbuf *why)
{
	const char *reason;
	uint64_t ms = 0;

	if (parse_duration_ms(arg, &ms, &reason) < 0) {
		/* "-d 5": say what to write, not only what is wrong */
		if (*arg && strspn(arg, "0123456789") == strlen(arg))
			strbuf_addf(why, "a duration needs a unit, e.g. %ss", arg);
		else
			strbuf_addstr(why, reason);
		return -1;
	}
	if (!ms) {
		strbuf_addstr(why, "must be more than 0");
		return -1;
	}
	*(uint64_t *)opt->value = ms;
	return 0;
}

/* --- help --------------------------------------------------------------------- */

static void add_option_help(struct strbuf *sb, const struct cli_option *o)
{
	size_t start = sb->len;

	if (!is_option(o)) {
		strbuf_addf(sb, "\n%s:\n", o->help);
		return;
	}
	if (o->short_name)
		strbuf_addf(sb, "  -%c%s", o->short_name, o->long_name ? ", " : "");
	else
		strbuf_addstr(sb, "      ");
	if (o->long_name)
		strbuf_addf(sb, "--%s", o->long_name);
	if (takes_value(o))
		strbuf_addf(sb, " %s", o->argh ? o->argh : "VALUE");
	if (sb->len - start + 1 > HELP_COL)
		strbuf_addch(sb, '\n'), start = sb->len;
	strbuf_addchars(sb, ' ', HELP_COL - (sb->len - start));
	strbuf_addf(sb, "%s\n", o->help ? o->help : "");
}

static void add_options_help(struct strbuf *sb, const struct cli_option *opts)
{
	static const struct cli_option help_opt =
		{ .type = CLI_OPT_BOOL, .short_name = 'h', .long_name = "help", .help = "show this help" };

	int groups = 0;

	if (!opts || opts[0].type != CLI_OPT_GROUP)
		strbuf_addstr(sb, "\noptions:\n");
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++) {
		add_option_help(sb, o);
		groups |= !is_option(o);
	}
	if (groups)
		strbuf_addch(sb, '\n');   /* not in the last group */
	add_option_help(sb, &help_opt);
}

static void add_exits_help(struct strbuf *sb, const struct cli_exit *exits)
{
	if (!exits || !exits[0].meaning)
		return;
	strbuf_addstr(sb, "\nexit status:\n");
	for (const struct cli_exit *e = exits; e->meaning; e++) {
		strbuf_addf(sb, "  %-4d ", e->status);
		for (const char *s = e->meaning; *s; s++)
			if (*s == '\n')
				strbuf_addstr(sb, "\n       ");   /* under the meaning's first line */
			else
				strbuf_addch(sb, *s);
		strbuf_addch(sb, '\n');
	}
}

static void add_usage(struct strbuf *sb, const char *lead, const struct cli_prog *prog,
		      const struct cli_cmd *cmd)
{
	strbuf_addf(sb, "%s%s", lead, prog->name);
	if (cmd->name)
		strbuf_addf(sb, " %s", cmd->name);
	if (cmd->args && *cmd->args)
		strbuf_addf(sb, " %s", cmd->args);
	strbuf_addch(sb, '\n');
}

void cli_cmd_help(struct strbuf *sb, const struct cli_prog *prog, const struct cli_cmd *cmd)
{
	add_usage(sb, "usage: ", prog, cmd);
	if (cmd->summary)
		strbuf_addf(sb, "\n%s\n", cmd->summary);
	if (cmd->help)
		strbuf_addf(sb, "\n%s\n", cmd->help);
	add_options_help(sb, cmd->options);
	add_exits_help(sb, cmd->exits ? cmd->exits : prog->exits);
}

void cli_prog_help(struct strbuf *sb, const struct cli_prog *prog)
{
	const struct cli_cmd *c;
	int width = 10;

	if (prog->default_cmd) {
		add_usage(sb, "usage: ", prog, prog->default_cmd);
		strbuf_addf(sb, "       %s COMMAND [ARGS]\n", prog->name);
	} else {
		strbuf_addf(sb, "usage: %s [--version] [--help] COMMAND [ARGS]\n", prog->name);
	}
	if (prog->summary)
		strbuf_addf(sb, "\n%s\n", prog->summary);
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++)
		if (!(c->flags & CLI_HIDDEN) && (int)strlen(c->name) + 2 > width)
			width = (int)strlen(c->name) + 2;
	strbuf_addstr(sb, "\ncommands:\n");
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++)
		if (!(c->flags & CLI_HIDDEN))
			strbuf_addf(sb, "  %-*s %s\n", width, c->name, c->summary);
	if (prog->default_cmd)
		add_options_help(sb, prog->default_cmd->options);
	add_exits_help(sb, prog->exits);
	strbuf_addf(sb, "\n'%s help COMMAND' or '%s COMMAND --help' describes a command.\n",
		    prog->name, prog->name);
}

static enum cli_result help_exec(struct cli_ctx *ctx)
{
	struct strbuf sb = STRBUF_INIT;
	const struct cli_cmd *cmd = NULL;
	enum cli_result res = CLI_OK;

	if (!ctx->argc)
		cli_prog_help(&sb, ctx->prog);
	else if ((cmd = cli_find_cmd(ctx->prog, ctx->argv[0], &sb)))
		cli_cmd_help(&sb, ctx->prog, cmd);
	else
		res = (error("%s", sb.buf), CLI_USAGE);
	if (res == CLI_OK)
		fputs(sb.buf, stdout);
	strbuf_release(&sb);
	return res;
}

static enum cli_result version_exec(struct cli_ctx *ctx)
{
	printf("%s %s\n", ctx->prog->name, ctx->prog->version);
	return CLI_OK;
}

/* --- running ------------------------------------------------------------------ */

/* JSON piped into a closed pipe must not look like success. */
static enum cli_result finish_stdout(enum cli_result res)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return res;
	error("cannot write the output: %s", strerror(errno));
	return res == CLI_OK ? CLI_FAILED : res;
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_prog *prog = ctx->prog;
	struct strbuf sb = STRBUF_INIT;
	enum cli_result res;
	int rc = cli_parse(ctx, argc, argv, &sb);

	if (rc < 0) {
		error("%s", sb.buf);
		res = CLI_USAGE;
	} else if (rc == CLI_PARSE_HELP) {
		strbuf_reset(&sb);
		cli_cmd_help(&sb, prog, ctx->cmd);
		fputs(sb.buf, stdout);
		res = finish_stdout(CLI_OK);
	} else {
		res = prog->before ? prog->before(ctx) : CLI_OK;
		if (res == CLI_OK)
			res = ctx->cmd->exec(ctx);
		res = finish_stdout(res);
		if (prog->after)
			prog->after(ctx, res);
	}
	cli_options_release(ctx->cmd->options);
	cli_ctx_release(ctx);
	strbuf_release(&sb);
	return (int)res;
}

/* Could `s` be a command's name? Else it is the default command's argument (a URL). */
static int could_be_name(const char *s)
{
	return *s && s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-")] == '\0';
}

int cli_main(const struct cli_prog *prog, int argc, char **argv, void *data)
{
	struct cli_ctx ctx = { .prog = prog, .data = data };
	struct strbuf sb = STRBUF_INIT;
	const char *first = argc > 1 ? argv[1] : NULL;

	usage_progname = prog->name;
	die_status = CLI_USAGE;
	if (!first) {
		cli_prog_help(&sb, prog);
		fputs(sb.buf, stderr);
		strbuf_release(&sb);
		return CLI_USAGE;
	}
	if (prog->default_cmd && strcmp(first, "--help") && strcmp(first, "-h") &&
	    strcmp(first, "--version") && (first[0] == '-' || !could_be_name(first))) {
		ctx.cmd = prog->default_cmd;
		return run(&ctx, argc, argv);   /* the program's name stands for the command's */
	}
	if (!strcmp(first, "--help") || !strcmp(first, "-h"))
		ctx.cmd = &help_cmd;
	else if (!strcmp(first, "--version"))
		ctx.cmd = &version_cmd;
	else if (first[0] == '-')
		error("unknown option '%s' (options follow the command; see '%s --help')", first,
		      prog->name);
	else if (!(ctx.cmd = cli_find_cmd(prog, first, &sb)))
		error("%s", sb.buf);
	strbuf_release(&sb);
	return ctx.cmd ? run(&ctx, argc - 1, argv + 1) : CLI_USAGE;
}

/* --- progress ------------------------------------------------------------------ */

int cli_progress_wanted(int off)
{
	return !off && isatty(STDERR_FILENO);
}

void cli_progress(const char *fmt, ...)
{
	va_list ap;

	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void cli_progress_done(void)
{
	fputs("\r\033[K", stderr);
}

/* --- colour -------------------------------------------------------------------- */

void cli_print_diag(const struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;

	diag_format(d, &sb, color_enabled(STDERR_FILENO) ? COLOR_BOLD_RED "error:" COLOR_RESET " "
							 : "error: ");
	fflush(stdout);
	fputs(sb.buf, stderr);
	strbuf_release(&sb);
}
