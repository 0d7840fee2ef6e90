/*
 * Shell completion (bash, zsh) and a man page (roff), made from the same
 * tables as --help, so that none of them can say something the program
 * does not do: `PROG completion bash|zsh` and the hidden `PROG man`
 * (cli.h). The build writes them and installs them beside the programs.
 *
 * What completes: command names (exact ones select a command's options),
 * options, the choices of a choice option, directories for a value named
 * "DIR", files for "FILE" or any positional argument, command names after
 * `help` and shells after `completion`. A value of any other kind offers
 * nothing rather than a wrong guess.
 */
#include "cli.h"
#include "strbuf.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const shells[] = { "bash", "zsh", NULL };

static int takes_value(const struct cli_option *o)
{
	return o->type != CLI_OPT_BOOL;
}

static int is_option(const struct cli_option *o)
{
	return o->type != CLI_OPT_GROUP;
}

/* How a value is completed: 'd' directories, 'f' files, 'c' choices, 0 nothing. */
static int value_kind(const struct cli_option *o)
{
	if (o->type == CLI_OPT_CHOICE)
		return 'c';
	if (o->argh && strstr(o->argh, "DIR"))
		return 'd';
	if (o->argh && strstr(o->argh, "FILE"))
		return 'f';
	return 0;
}

/* The program's name as a shell function's: letters, digits and '_'. */
static void add_func_name(struct strbuf *sb, const char *prog)
{
	strbuf_addch(sb, '_');
	for (const char *s = prog; *s; s++)
		strbuf_addch(sb, isalnum((unsigned char)*s) ? *s : '_');
}

/* `words` separated by spaces */
static void add_words(struct strbuf *sb, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		strbuf_addf(sb, "%s%s", i ? " " : "", words[i]);
}

/* The names of the commands people may type, separated by spaces. */
static void add_names(struct strbuf *sb, const struct cli_prog *prog)
{
	const struct cli_cmd *c;

	for (size_t i = 0, n = 0; (c = cli_cmd_at(prog, i)); i++)
		if (!(c->flags & CLI_HIDDEN))
			strbuf_addf(sb, "%s%s", n++ ? " " : "", c->name);
}

/* --- bash ------------------------------------------------------------------ */

static void bash_words(struct strbuf *sb, const struct cli_option *opts)
{
	strbuf_addstr(sb, "-h --help");
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++) {
		if (!is_option(o))
			continue;
		if (o->short_name)
			strbuf_addf(sb, " -%c", o->short_name);
		if (o->long_name)
			strbuf_addf(sb, " --%s", o->long_name);
	}
}

/* `case $prev in` arms for the options whose values complete */
static void bash_values(struct strbuf *sb, const struct cli_option *opts)
{
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++) {
		if (!is_option(o) || !takes_value(o))
			continue;
		strbuf_addstr(sb, "\t\t");
		if (o->short_name)
			strbuf_addf(sb, "-%c%s", o->short_name, o->long_name ? "|" : "");
		if (o->long_name)
			strbuf_addf(sb, "--%s", o->long_name);
		switch (value_kind(o)) {
		case 'c':
			strbuf_addstr(sb, ") COMPREPLY=($(compgen -W \"");
			add_words(sb, o->choices);
			strbuf_addstr(sb, "\" -- \"$cur\")); return ;;\n");
			break;
		case 'd':
			strbuf_addstr(sb, ") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n");
			break;
		case 'f':
			strbuf_addstr(sb, ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
			break;
		default:
			strbuf_addstr(sb, ") return ;;\n");
		}
	}
}

/* The completion of a command's words after its name: $prev's value, options, arguments. */
static void bash_cmd(struct strbuf *sb, const struct cli_prog *prog, const struct cli_cmd *c)
{
	strbuf_addstr(sb, "\t\tcase $prev in\n");
	bash_values(sb, c->options);
	strbuf_addstr(sb, "\t\tesac\n\t\tif [[ $cur == -* ]]; then\n"
		      "\t\t\tCOMPREPLY=($(compgen -W \"");
	bash_words(sb, c->options);
	strbuf_addstr(sb, "\" -- \"$cur\"))\n");
	if (c->name && !strcmp(c->name, "help")) {
		strbuf_addstr(sb, "\t\telse\n\t\t\tCOMPREPLY=($(compgen -W \"");
		add_names(sb, prog);
		strbuf_addstr(sb, "\" -- \"$cur\"))\n");
	} else if (c->name && !strcmp(c->name, "completion")) {
		strbuf_addstr(sb, "\t\telse\n\t\t\tCOMPREPLY=($(compgen -W \"");
		add_words(sb, shells);
		strbuf_addstr(sb, "\" -- \"$cur\"))\n");
	} else if (c->max_args) {
		strbuf_addstr(sb, "\t\telse\n\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n");
	}
	strbuf_addstr(sb, "\t\tfi\n");
}

static void completion_bash(struct strbuf *sb, const struct cli_prog *prog)
{
	const struct cli_cmd *c;

	strbuf_addf(sb, "# bash completion for %s, made by '%s completion bash' from its command\n"
		    "# table: install as bash-completion/completions/%s, or eval it.\n",
		    prog->name, prog->name, prog->name);
	add_func_name(sb, prog->name);
	strbuf_addstr(sb, "()\n{\n"
		      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
		      "\tCOMPREPLY=()\n"
		      "\tif [ \"$COMP_CWORD\" -eq 1 ] && [[ $cur != -* ]]; then\n"
		      "\t\tCOMPREPLY=($(compgen -W \"");
	add_names(sb, prog);
	strbuf_addstr(sb, "\" -- \"$cur\"))\n\t\treturn\n\tfi\n\tcase ${COMP_WORDS[1]} in\n");
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		strbuf_addf(sb, "\t%s)\n", c->name);
		bash_cmd(sb, prog, c);
		strbuf_addstr(sb, "\t\t;;\n");
	}
	strbuf_addstr(sb, "\t*)\n");
	if (prog->default_cmd) {
		bash_cmd(sb, prog, prog->default_cmd);
	} else {
		strbuf_addstr(sb, "\t\t[ \"$COMP_CWORD\" -eq 1 ] && "
			      "COMPREPLY=($(compgen -W \"--help --version\" -- \"$cur\"))\n");
	}
	strbuf_addstr(sb, "\t\t;;\n\tesac\n}\ncomplete -o filenames -o bashdefault -F ");
	add_func_name(sb, prog->name);
	strbuf_addf(sb, " %s\n", prog->name);
}

/* --- zsh ------------------------------------------------------------------- */

/*
 * `s` (its first line) inside single quotes, with a backslash before each
 * of `special`: "]\\" in an explanation, ":\\" in a message or a name.
 */
static void zsh_quote(struct strbuf *sb, const char *s, const char *special)
{
	for (; *s && *s != '\n'; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else if (strchr(special, *s))
			strbuf_addf(sb, "\\%c", *s);
		else
			strbuf_addch(sb, *s);
	}
}

static void zsh_action(struct strbuf *sb, const struct cli_option *o)
{
	strbuf_addch(sb, ':');
	zsh_quote(sb, o->argh ? o->argh : "value", ":\\");
	strbuf_addch(sb, ':');
	switch (value_kind(o)) {
	case 'c':
		strbuf_addch(sb, '(');
		add_words(sb, o->choices);
		strbuf_addch(sb, ')');
		break;
	case 'd':
		strbuf_addstr(sb, "_files -/");
		break;
	case 'f':
		strbuf_addstr(sb, "_files");
		break;
	default:
		strbuf_addch(sb, ' ');
	}
}

/* One spec of an option spelled `spelled` ("-b" or "--branch"). */
static void zsh_spec(struct strbuf *sb, const struct cli_option *o, const char *spelled)
{
	int repeat = o->type == CLI_OPT_STRING_LIST;

	strbuf_addstr(sb, "\t\t\t'");
	if (repeat)
		strbuf_addch(sb, '*');
	else if (o->short_name && o->long_name)
		strbuf_addf(sb, "(-%c --%s)", o->short_name, o->long_name);
	strbuf_addstr(sb, spelled);
	if (takes_value(o))
		strbuf_addstr(sb, spelled[1] == '-' ? "=" : "+");
	strbuf_addch(sb, '[');
	zsh_quote(sb, o->help ? o->help : "", "[]\\");
	strbuf_addch(sb, ']');
	if (takes_value(o))
		zsh_action(sb, o);
	strbuf_addstr(sb, "' \\\n");
}

static void zsh_cmd(struct strbuf *sb, const struct cli_prog *prog, const struct cli_cmd *c)
{
	strbuf_addstr(sb, "\t\t_arguments -s \\\n\t\t\t'(- *)'{-h,--help}'[show this help]' \\\n");
	for (const struct cli_option *o = c->options; o && o->type != CLI_OPT_END; o++) {
		char spelled[3] = { '-', (char)o->short_name, '\0' };
		char *l;

		if (!is_option(o))
			continue;
		if (o->short_name)
			zsh_spec(sb, o, spelled);
		if (o->long_name) {
			l = xasprintf("--%s", o->long_name);
			zsh_spec(sb, o, l);
			free(l);
		}
	}
	if (c->name && !strcmp(c->name, "help")) {
		strbuf_addstr(sb, "\t\t\t'1:command:(");
		add_names(sb, prog);
		strbuf_addstr(sb, ")' \\\n");
	} else if (c->name && !strcmp(c->name, "completion")) {
		strbuf_addstr(sb, "\t\t\t'1:shell:(");
		add_words(sb, shells);
		strbuf_addstr(sb, ")' \\\n");
	} else if (c->max_args) {
		strbuf_addstr(sb, "\t\t\t'*:file:_files' \\\n");
	}
	strbuf_addstr(sb, "\t\t\t&& return\n");
}

static void completion_zsh(struct strbuf *sb, const struct cli_prog *prog)
{
	const struct cli_cmd *c;

	strbuf_addf(sb, "#compdef %s\n# zsh completion for %s, made by '%s completion zsh' from its "
		    "command\n# table: install as _%s in a directory of $fpath.\n\n",
		    prog->name, prog->name, prog->name, prog->name);
	add_func_name(sb, prog->name);
	strbuf_addstr(sb, "()\n{\n\tlocal -a commands\n\tcommands=(\n");
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		strbuf_addstr(sb, "\t\t'");
		zsh_quote(sb, c->name, ":\\");
		strbuf_addch(sb, ':');
		zsh_quote(sb, c->summary ? c->summary : "", "");
		strbuf_addstr(sb, "'\n");
	}
	strbuf_addstr(sb, "\t)\n\tif (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then\n"
		      "\t\t_describe -t commands 'command' commands\n\t\treturn\n\tfi\n"
		      "\tcase $words[2] in\n");
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++) {
		if (c->flags & CLI_HIDDEN)
			continue;
		strbuf_addf(sb, "\t(%s)\n\t\tshift words\n\t\t(( CURRENT-- ))\n", c->name);
		zsh_cmd(sb, prog, c);
		strbuf_addstr(sb, "\t\t;;\n");
	}
	strbuf_addstr(sb, "\t(*)\n");
	if (prog->default_cmd)
		zsh_cmd(sb, prog, prog->default_cmd);
	else
		strbuf_addstr(sb, "\t\t_arguments '(- *)--help[show the help]' "
			      "'(- *)--version[print the version]'\n");
	strbuf_addstr(sb, "\t\t;;\n\tesac\n}\n\n");
	add_func_name(sb, prog->name);
	strbuf_addstr(sb, " \"$@\"\n");
}

/* --- man ------------------------------------------------------------------- */

/*
 * Text for roff: backslashes escaped, no line starting with a control
 * character, and a '-' that starts an option ("-q", "--out") a minus
 * sign, so that it can be copied from the page and typed.
 */
static void roff_text(struct strbuf *sb, const char *s)
{
	char prev = '\n';

	for (; *s; prev = *s++) {
		if (prev == '\n' && (*s == '.' || *s == '\''))
			strbuf_addstr(sb, "\\&");
		if (*s == '\\')
			strbuf_addstr(sb, "\\e");
		else if (*s == '-' && strchr("\n -[(|'\"", prev))
			strbuf_addstr(sb, "\\-");
		else
			strbuf_addch(sb, *s);
	}
}

/* Help text: its lines as they are, an empty line a new paragraph. */
static void roff_paragraphs(struct strbuf *sb, const char *text)
{
	for (const char *s = text, *e; *s; s = *e ? e + 1 : e) {
		char *line;

		e = strchrnul(s, '\n');
		if (e == s) {
			strbuf_addstr(sb, ".PP\n");
			continue;
		}
		line = xstrndup(s, (size_t)(e - s));
		if (line[0] == ' ')
			strbuf_addstr(sb, ".br\n");   /* an example, indented: its own line */
		roff_text(sb, line);
		strbuf_addch(sb, '\n');
		free(line);
	}
}

static void roff_option(struct strbuf *sb, const struct cli_option *o)
{
	if (!is_option(o)) {
		strbuf_addstr(sb, ".PP\n.I ");
		roff_text(sb, o->help ? o->help : "");
		strbuf_addstr(sb, ":\n");
		return;
	}
	strbuf_addstr(sb, ".TP\n");
	if (o->short_name)
		strbuf_addf(sb, "\\fB\\-%c\\fR%s", o->short_name, o->long_name ? ", " : "");
	if (o->long_name)
		strbuf_addf(sb, "\\fB\\-\\-%s\\fR", o->long_name);   /* the name: no escapes needed */
	if (takes_value(o)) {
		strbuf_addstr(sb, " \\fI");
		roff_text(sb, o->argh ? o->argh : "VALUE");
		strbuf_addstr(sb, "\\fR");
	}
	strbuf_addch(sb, '\n');
	roff_text(sb, o->help ? o->help : "");
	strbuf_addch(sb, '\n');
}

static void roff_exits(struct strbuf *sb, const struct cli_exit *exits)
{
	for (const struct cli_exit *e = exits; e && e->meaning; e++) {
		strbuf_addf(sb, ".TP\n.B %d\n", e->status);
		roff_text(sb, e->meaning);
		strbuf_addch(sb, '\n');
	}
}

static void roff_usage(struct strbuf *sb, const struct cli_prog *prog, const struct cli_cmd *c)
{
	strbuf_addf(sb, "\\fB%s%s%s\\fR", prog->name, c->name ? " " : "", c->name ? c->name : "");
	if (c->args && *c->args) {
		struct strbuf args = STRBUF_INIT;

		/* the synopsis may go on on a second, indented line */
		for (const char *s = c->args; *s; s++)
			if (*s == '\n')
				while (s[1] == ' ')
					s++;
			else
				strbuf_addch(&args, *s);
		strbuf_addch(sb, ' ');
		roff_text(sb, args.buf);
		strbuf_release(&args);
	}
	strbuf_addch(sb, '\n');
}

static void roff_cmd(struct strbuf *sb, const struct cli_prog *prog, const struct cli_cmd *c)
{
	strbuf_addstr(sb, c->name ? ".SS " : ".PP\n");
	roff_usage(sb, prog, c);
	if (c->summary) {
		roff_text(sb, c->summary);
		strbuf_addch(sb, '\n');
	}
	if (c->help) {
		strbuf_addstr(sb, ".PP\n");
		roff_paragraphs(sb, c->help);
	}
	for (const struct cli_option *o = c->options; o && o->type != CLI_OPT_END; o++)
		roff_option(sb, o);
	strbuf_addstr(sb, ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow this help\n");
	if (c->exits) {
		strbuf_addstr(sb, ".PP\nExit status:\n");
		roff_exits(sb, c->exits);
	}
}

static void man_page(struct strbuf *sb, const struct cli_prog *prog)
{
	const struct cli_cmd *c;
	char *upper = xstrdup(prog->name);

	for (char *s = upper; *s; s++)
		*s = (char)toupper((unsigned char)*s);
	strbuf_addf(sb, ".\\\" made by '%s man' from its command table: edit the table, not this\n"
		    ".TH %s 1 \"\" \"%s %s\" \"User Commands\"\n.SH NAME\n%s \\- ", prog->name, upper,
		    prog->name, prog->version, prog->name);
	roff_text(sb, prog->summary ? prog->summary : prog->name);
	strbuf_addstr(sb, "\n.SH SYNOPSIS\n");
	if (prog->default_cmd)
		roff_usage(sb, prog, prog->default_cmd), strbuf_addstr(sb, ".br\n");
	strbuf_addf(sb, "\\fB%s\\fR \\fICOMMAND\\fR [\\fIARGS\\fR]\n.br\n"
		    "\\fB%s\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n"
		    ".SH DESCRIPTION\n", prog->name, prog->name);
	if (prog->summary) {
		roff_text(sb, prog->summary);
		strbuf_addstr(sb, ".\n");
	}
	strbuf_addf(sb, "Every command takes \\fB\\-\\-help\\fR; \\fB%s help\\fR \\fICOMMAND\\fR "
		    "says the same. A unique prefix of a command's or a long option's name is "
		    "enough.\n", prog->name);
	if (prog->default_cmd) {
		strbuf_addstr(sb, ".SH OPTIONS\n");
		roff_cmd(sb, prog, prog->default_cmd);
	}
	strbuf_addstr(sb, ".SH COMMANDS\n");
	for (size_t i = 0; (c = cli_cmd_at(prog, i)); i++)
		if (!(c->flags & CLI_HIDDEN))
			roff_cmd(sb, prog, c);
	strbuf_addstr(sb, ".SH \"EXIT STATUS\"\n");
	roff_exits(sb, prog->exits);
	strbuf_addf(sb, ".SH \"SEE ALSO\"\n\\fB%s help\\fR \\fICOMMAND\\fR; %s completion "
		    "bash|zsh\n", prog->name, prog->name);
	free(upper);
}

/* --- the commands ------------------------------------------------------------ */

enum cli_result cli_completion_exec(struct cli_ctx *ctx)
{
	struct strbuf sb = STRBUF_INIT;
	int shell = cli_choice_arg("SHELL", ctx->argv[0], shells);

	if (shell < 0)
		return CLI_USAGE;
	if (shell == 0)
		completion_bash(&sb, ctx->prog);
	else
		completion_zsh(&sb, ctx->prog);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	return CLI_OK;
}

enum cli_result cli_man_exec(struct cli_ctx *ctx)
{
	struct strbuf sb = STRBUF_INIT;

	man_page(&sb, ctx->prog);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	return CLI_OK;
}
