/*
 * Unit tests for lib/cli: commands found by name and prefix, ambiguous and
 * unknown commands with suggestions, options bound to variables (long,
 * short, clustered, --opt=value, -ovalue, after positionals, `--`), the
 * usage errors (unknown option, a long one with one dash, missing value,
 * given twice, a bad value, the number of arguments), and the help,
 * completion and man page generated from the tables.
 */
#include "cli.h"
#include "color.h"
#include "strbuf.h"
#include "strv.h"
#include "tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *out;
	int check, verbose, verify, lines, format;
	uint64_t timeout_ms;
	struct strv headers;
} opt;

static const char *const formats[] = { "text", "json", NULL };

static const struct cli_option render_options[] = {
	OPT_STRING('o', "out", &opt.out, "DIR", "output directory"),
	OPT_BOOL(0, "check", &opt.check, "compare instead of writing"),
	OPT_BOOL('v', "verbose", &opt.verbose, "say more"),
	OPT_BOOL(0, "verify", &opt.verify, "check what was written"),
	OPT_INT('n', "lines", &opt.lines, "N", "lines to show", 0, 100),
	OPT_CHOICE('f', "format", &opt.format, "FORMAT", "text or json", formats),
	OPT_GROUP("requests"),
	OPT_DURATION(0, "timeout", &opt.timeout_ms, "DUR", "give up after DUR"),
	OPT_STRING_LIST('H', "header", &opt.headers, "'K: V'", "a header (repeatable)"),
	OPT_END(),
};

static enum cli_result exec_ok(struct cli_ctx *ctx)
{
	return CLI_OK;
}

static const struct cli_exit render_exits[] = {
	{ 0, "rendered" },
	{ 1, "drift" },
	{ 0, NULL },
};

static const struct cli_cmd render_cmd = {
	.name = "render", .args = "FILE [--out DIR]", .summary = "render a file",
	.help = "Writes DIR.", .options = render_options, .min_args = 1, .max_args = 2,
	.exits = render_exits, .exec = exec_ok,
};
static const struct cli_cmd reset_cmd = {
	.name = "reset", .summary = "start again", .exec = exec_ok,
};
static const struct cli_cmd status_cmd = {
	.name = "status", .summary = "say how it is", .max_args = -1, .exec = exec_ok,
};
static const struct cli_cmd secret_cmd = {
	.name = "supervise", .summary = "internal", .flags = CLI_HIDDEN, .exec = exec_ok,
};
static const struct cli_cmd *const cmds[] = {
	&render_cmd, &reset_cmd, &status_cmd, &secret_cmd, NULL,
};
static const struct cli_exit prog_exits[] = {
	{ 0, "ok" },
	{ 2, "usage error" },
	{ 0, NULL },
};
static const struct cli_prog prog = {
	.name = "prog", .version = "1.2.3", .summary = "does things", .cmds = cmds,
	.exits = prog_exits,
};

/* Parse `line` (words split at spaces) as arguments of `cmd`; the message in `err`. */
static int parse(struct cli_ctx *ctx, const struct cli_cmd *cmd, const char *line,
		 struct strbuf *err)
{
	static char buf[512];
	static char *argv[32];
	int argc = 0;

	cli_options_release(render_options);
	memset(&opt, 0, sizeof(opt));
	strbuf_reset(err);
	snprintf(buf, sizeof(buf), "%s", line);
	argv[argc++] = (char *)cmd->name;
	for (char *w = strtok(buf, " "); w && argc < 31; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	cli_ctx_release(ctx);
	*ctx = (struct cli_ctx){ .prog = &prog, .cmd = cmd };
	return cli_parse(ctx, argc, argv, err);
}

static void test_find(void)
{
	struct strbuf err = STRBUF_INIT;

	tap_ok(cli_find_cmd(&prog, "render", &err) == &render_cmd, "a command by its name");
	tap_ok(cli_find_cmd(&prog, "ren", &err) == &render_cmd, "a command by a unique prefix");
	tap_ok(cli_find_cmd(&prog, "re", &err) == NULL, "an ambiguous prefix finds nothing");
	tap_is_str(err.buf, "ambiguous command 're' (could be: render, reset)",
		   "which names the candidates");
	strbuf_reset(&err);
	tap_ok(cli_find_cmd(&prog, "stauts", &err) == NULL, "a typo finds nothing");
	tap_is_str(err.buf, "unknown command 'stauts' (did you mean 'status'?)",
		   "and suggests the nearest command");
	strbuf_reset(&err);
	cli_find_cmd(&prog, "frobnicate", &err);
	tap_is_str(err.buf, "unknown command 'frobnicate' (see 'prog --help')",
		   "a word near nothing points to the help");
	strbuf_reset(&err);
	tap_ok(cli_find_cmd(&prog, "supervise", &err) == &secret_cmd, "a hidden command by its name");
	tap_ok(cli_find_cmd(&prog, "sup", &err) == NULL, "but not by a prefix");
	strbuf_reset(&err);
	tap_ok(cli_find_cmd(&prog, "s", &err) == &status_cmd,
	       "hidden commands make no prefix ambiguous");
	tap_ok(cli_find_cmd(&prog, "help", &err) && cli_find_cmd(&prog, "vers", &err),
	       "help and version are commands of every program");
	strbuf_release(&err);
}

static void test_bound_values(void)
{
	struct cli_ctx ctx = { 0 };
	struct strbuf err = STRBUF_INIT;
	int rc;

	rc = parse(&ctx, &render_cmd, "f.yaml --out d --check -v -n 7 -f json --timeout 1m30s", &err);
	tap_ok(rc == 0 && !strcmp(opt.out, "d") && opt.check && opt.verbose && opt.lines == 7 &&
	       opt.format == 1 && opt.timeout_ms == 90000, "every kind of option is stored");
	tap_ok(ctx.argc == 1 && !strcmp(ctx.argv[0], "f.yaml") && !ctx.argv[1],
	       "the positional argument is left, options taken out");
	rc = parse(&ctx, &render_cmd, "--out=d -n7 -odir2", &err);
	tap_ok(rc < 0 && strstr(err.buf, "given twice"), "--opt=value and -ovalue (then twice)");
	rc = parse(&ctx, &render_cmd, "x --out=d -n7", &err);
	tap_ok(rc == 0 && !strcmp(opt.out, "d") && opt.lines == 7, "--opt=value and -nVALUE");
	rc = parse(&ctx, &render_cmd, "x -vodir", &err);
	tap_ok(rc == 0 && opt.verbose && !strcmp(opt.out, "dir"), "-vodir: a flag, then -o's value");
	rc = parse(&ctx, &render_cmd, "x --ch --verb", &err);
	tap_ok(rc == 0 && opt.check && opt.verbose, "a unique prefix of a long option");
	rc = parse(&ctx, &render_cmd, "x -H A:1 --header B:2 -HC:3", &err);
	tap_ok(rc == 0 && opt.headers.nr == 3 && !strcmp(opt.headers.v[2], "C:3"),
	       "a list option may be given again, values in order");
	rc = parse(&ctx, &render_cmd, "x -v -v", &err);
	tap_ok(rc == 0 && opt.verbose, "a flag given twice is no error");
	rc = parse(&ctx, &render_cmd, "-- -v --out", &err);
	tap_ok(rc == 0 && !opt.verbose && ctx.argc == 2 && !strcmp(ctx.argv[1], "--out"),
	       "-- ends the options");
	rc = parse(&ctx, &render_cmd, "- -o -", &err);
	tap_ok(rc == 0 && ctx.argc == 1 && !strcmp(ctx.argv[0], "-") && !strcmp(opt.out, "-"),
	       "'-' is an argument and a value");
	cli_options_release(render_options);
	tap_ok(opt.headers.nr == 0, "cli_options_release empties the lists");
	cli_ctx_release(&ctx);
	strbuf_release(&err);
}

static void test_errors(void)
{
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "x --bogus", "unknown option '--bogus' for 'render' (see 'prog render --help')" },
		{ "x --chekc", "unknown option '--chekc' for 'render' (did you mean '--check'?)" },
		{ "x --verbos=1", "option '--verbose' takes no value" },
		{ "x --ver", "ambiguous option '--ver' (could be: --verbose, --verify)" },
		{ "x -z", "unknown option '-z' for 'render' (see 'prog render --help')" },
		{ "x --out", "option '--out' needs a value" },
		{ "x -o", "option '-o' needs a value" },
		{ "x -o a --out b", "option '--out' given twice" },
		{ "x -n 101", "-n: '101': not a whole number between 0 and 100" },
		{ "x --lines=ten", "--lines: 'ten': not a whole number between 0 and 100" },
		{ "x -f jsn", "-f: 'jsn': expected text or json (did you mean 'json'?)" },
		{ "x -check", "unknown option '-check' (did you mean '--check'?)" },
		{ "x -out=d", "unknown option '-out' (did you mean '--out'?)" },
		{ "x --timeout 0s", "--timeout: '0s': must be more than 0" },
		{ "x --timeout 10x", "--timeout: '10x': unknown duration unit (use ms, s, m, h or d)" },
		{ "x --timeout 5", "--timeout: '5': a duration needs a unit, e.g. 5s" },
		{ "", "wrong number of arguments for 'render'\nusage: prog render FILE [--out DIR]" },
		{ "a b c", "wrong number of arguments for 'render'" },
	};
	struct cli_ctx ctx = { 0 };
	struct strbuf err = STRBUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(&ctx, &render_cmd, cases[i].line, &err);

		tap_ok(rc < 0 && !strncmp(err.buf, cases[i].want, strlen(cases[i].want)),
		       "'%s' is a usage error: %.*s", cases[i].line,
		       (int)strcspn(cases[i].want, "\n"), cases[i].want);
		if (rc >= 0 || strncmp(err.buf, cases[i].want, strlen(cases[i].want)))
			tap_diag("got %d: %s", rc, err.buf);
	}
	tap_ok(parse(&ctx, &reset_cmd, "x", &err) < 0, "a command without arguments takes none");
	tap_ok(parse(&ctx, &status_cmd, "a b c d e", &err) == 0, "max_args -1: any number");
	tap_ok(parse(&ctx, &render_cmd, "--out x --help --bogus", &err) == CLI_PARSE_HELP,
	       "--help asks for the help, whatever follows and without the arguments");
	tap_ok(parse(&ctx, &render_cmd, "-vh", &err) == CLI_PARSE_HELP, "and so does -h");
	cli_ctx_release(&ctx);
	cli_options_release(render_options);
	strbuf_release(&err);
}

static void test_help(void)
{
	struct strbuf sb = STRBUF_INIT;

	cli_cmd_help(&sb, &prog, &render_cmd);
	tap_ok(!strncmp(sb.buf, "usage: prog render FILE [--out DIR]\n\nrender a file\n\nWrites DIR.\n",
			strlen("usage: prog render FILE [--out DIR]\n\nrender a file\n\nWrites DIR.\n")),
	       "a command's help: synopsis, summary, help");
	tap_ok(strstr(sb.buf, "\noptions:\n  -o, --out DIR             output directory\n") != NULL,
	       "options with their placeholders and help, aligned");
	tap_ok(strstr(sb.buf, "\n      --check               compare instead of writing\n") != NULL,
	       "a long-only option lines up with the others");
	tap_ok(strstr(sb.buf, "\nrequests:\n      --timeout DUR") != NULL, "groups have headings");
	tap_ok(strstr(sb.buf, "  -h, --help                show this help\n") != NULL,
	       "-h and --help are listed");
	tap_ok(strstr(sb.buf, "\nexit status:\n  0    rendered\n  1    drift\n") != NULL,
	       "the command's own exit statuses");
	strbuf_reset(&sb);
	cli_cmd_help(&sb, &prog, &reset_cmd);
	tap_ok(strstr(sb.buf, "\nexit status:\n  0    ok\n  2    usage error\n") != NULL,
	       "else the program's");
	strbuf_reset(&sb);
	cli_prog_help(&sb, &prog);
	tap_ok(!strncmp(sb.buf, "usage: prog [--version] [--help] COMMAND [ARGS]\n\ndoes things\n",
			strlen("usage: prog [--version] [--help] COMMAND [ARGS]\n\ndoes things\n")),
	       "the program's help: usage and summary");
	tap_ok(strstr(sb.buf, "\n  render       render a file\n") && strstr(sb.buf, "\n  help         ") &&
	       strstr(sb.buf, "\n  version      ") && strstr(sb.buf, "\n  completion   "),
	       "every command, the built-in ones too");
	tap_ok(!strstr(sb.buf, "supervise") && !strstr(sb.buf, "\n  man "), "but no hidden command");
	strbuf_release(&sb);
}

/* Colour on a terminal (a pseudo-terminal here) only, and NO_COLOR and TERM=dumb win. */
static void test_colour(void)
{
	struct strbuf sb = STRBUF_INIT;
	int pipefd[2], m = posix_openpt(O_RDWR | O_NOCTTY), t = -1;

	if (m >= 0 && !grantpt(m) && !unlockpt(m))
		t = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (pipe(pipefd) < 0)
		pipefd[0] = pipefd[1] = -1;
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	tap_ok(!color_enabled(pipefd[1]), "colour: none into a pipe");
	if (t >= 0) {
		tap_ok(color_enabled(t), "colour: on a terminal");
		setenv("NO_COLOR", "", 1);
		tap_ok(color_enabled(t), "colour: an empty NO_COLOR does not count");
		setenv("NO_COLOR", "1", 1);
		tap_ok(!color_enabled(t), "colour: none with NO_COLOR, even on a terminal");
		unsetenv("NO_COLOR");
		setenv("TERM", "dumb", 1);
		tap_ok(!color_enabled(t), "colour: none with TERM=dumb");
	} else {
		tap_skip("no pseudo-terminal", "colour on a terminal, NO_COLOR and TERM=dumb");
	}
	color_add(&sb, 1, COLOR_BOLD_RED, "FAIL", 0);
	color_add(&sb, 0, COLOR_GREEN, " ok", 5);
	tap_is_str(sb.buf, "\033[1;31mFAIL\033[m ok  ", "colour: text with its escape sequences, or plain, padded");
	strbuf_release(&sb);
	close(pipefd[0]);
	close(pipefd[1]);
	if (t >= 0)
		close(t);
	if (m >= 0)
		close(m);
}

/* What a command writes on stdout, run on `argv`. */
static char *run_capture(int argc, char **argv, int *rc)
{
	struct strbuf sb = STRBUF_INIT;
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);

	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	*rc = cli_main(&prog, argc, argv, NULL);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	for (int c; (c = fgetc(tmp)) != EOF;)
		strbuf_addch(&sb, c);
	fclose(tmp);
	return strbuf_detach(&sb, NULL);
}

static void test_doc(void)
{
	static const char *const shells[] = { "bash", "zsh", NULL };
	char *argv[4] = { "prog", "completion", "bash", NULL };
	char *out;
	int rc;

	tap_ok(cli_choice_arg("SHELL", "zsh", shells) == 1, "a positional choice: its index");
	tap_ok(cli_choice_arg("SHELL", "bsh", shells) == -1, "or -1 (said, with the nearest)");
	out = run_capture(3, argv, &rc);
	tap_ok(rc == 0 && strstr(out, "complete -o filenames -o bashdefault -F _prog prog\n") &&
	       strstr(out, "\trender)\n") && strstr(out, "--timeout") &&
	       strstr(out, "compgen -W \"text json\"") && !strstr(out, "supervise"),
	       "completion bash: commands, options and choices from the tables, no hidden command");
	free(out);
	argv[2] = "zsh";
	out = run_capture(3, argv, &rc);
	tap_ok(rc == 0 && !strncmp(out, "#compdef prog\n", 14) &&
	       strstr(out, "(-f --format)--format=[text or json]:FORMAT:(text json)'") &&
	       strstr(out, "'*-H+[a header (repeatable)]:'\\''K\\: V'\\'':"),
	       "completion zsh: specs with choices; a repeatable option, quoting");
	free(out);
	argv[1] = "man";
	out = run_capture(2, argv, &rc);
	tap_ok(rc == 0 && strstr(out, ".TH PROG 1 \"\" \"prog 1.2.3\"") &&
	       strstr(out, ".SS \\fBprog render\\fR FILE [\\-\\-out DIR]\n") &&
	       strstr(out, "\\fB\\-o\\fR, \\fB\\-\\-out\\fR \\fIDIR\\fR\n") &&
	       strstr(out, ".SH \"EXIT STATUS\"\n.TP\n.B 0\nok\n"),
	       "man: a page with every command, its options and the exit statuses");
	free(out);
}

int main(void)
{
	test_colour();
	test_find();
	test_bound_values();
	test_errors();
	test_help();
	test_doc();
	return tap_done();
}
