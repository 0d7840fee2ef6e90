/*
 * The command line of every program (provisioner, loadtest, and the chaos
 * and pipeline programs to come): a table of commands, options bound to
 * variables, help generated from the same table, and one set of results.
 *
 * A program describes itself in a `struct cli_prog` and hands argv to
 * cli_main(), which
 *
 *   1. finds the command: its name, or a unique prefix of it ("val" for
 *      "validate"); an ambiguous or unknown name is a usage error that
 *      names the candidates or the nearest command;
 *   2. parses the options into the variables the command's table binds
 *      them to, and checks the number of positional arguments; `-h` or
 *      `--help` prints the command's help instead of running it;
 *   3. calls the program's `before` hook, the command, flushes stdout (a
 *      command whose output could not be written has failed), then calls
 *      the program's `after` hook;
 *   4. returns the exit status. A command's result is its exit status:
 *      this is the one place it becomes one.
 *
 * `help [COMMAND]`, `version`, `completion bash|zsh`, `--help`, `-h` and
 * `--version` are there in every program, and the hidden `man`, which
 * prints its manual page: completion and the page are made from the same
 * tables as the help (cli-doc.c), so they cannot drift from it. Option values are the command's for one run: a program
 * runs one command per process, so they live in static variables of the
 * command's file, initialised to their defaults.
 */
#ifndef LIB_CLI_H
#define LIB_CLI_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct strv;

/* What a command returns; the value is the exit status. */
enum cli_result {
	CLI_OK = 0,
	CLI_FAILED = 1,         /* the work failed: a test, a threshold, drift, a drill */
	CLI_USAGE = 2,          /* usage or input error */
	CLI_NEEDS_PERSON = 3,   /* the environment is in a state that needs a person */
	CLI_INTERRUPTED = 130,  /* SIGINT or SIGTERM */
};

/* --- options ---------------------------------------------------------------- */

enum cli_opt_type {
	CLI_OPT_END,
	CLI_OPT_GROUP,          /* a heading in the help, not an option */
	CLI_OPT_BOOL,           /* int: 1 when given (given twice is no error) */
	CLI_OPT_STRING,         /* const char *: points into argv */
	CLI_OPT_INT,            /* int, within [min, max] */
	CLI_OPT_STRING_LIST,    /* struct strv: repeatable, values in order */
	CLI_OPT_CHOICE,         /* int: the index of the value in `choices` */
	CLI_OPT_CALLBACK,       /* `callback` parses the value into `value` */
};

struct cli_option;

/* Parse `arg` into opt->value: 0, or -1 with the reason in `why`. */
typedef int cli_opt_cb(const struct cli_option *opt, const char *arg, struct strbuf *why);

struct cli_option {
	enum cli_opt_type type;
	int short_name;              /* 0: none */
	const char *long_name;       /* without "--"; NULL: none */
	void *value;
	const char *argh;            /* the value's placeholder in help: "DIR" */
	const char *help;
	long min, max;               /* CLI_OPT_INT */
	const char *const *choices;  /* CLI_OPT_CHOICE, ending with NULL */
	cli_opt_cb *callback;        /* CLI_OPT_CALLBACK */
};

/*
 * Table entries. Every value but a list's may be given once: a second one
 * is a usage error. `v` is checked against the type the option stores.
 */
#define CLI_TYPED(type, v) (1 ? (v) : (type)0)
#define OPT_END() { .type = CLI_OPT_END }
#define OPT_GROUP(h) { .type = CLI_OPT_GROUP, .help = (h) }
#define OPT_BOOL(s, l, v, h) \
	{ .type = CLI_OPT_BOOL, .short_name = (s), .long_name = (l), \
	  .value = CLI_TYPED(int *, v), .help = (h) }
#define OPT_STRING(s, l, v, a, h) \
	{ .type = CLI_OPT_STRING, .short_name = (s), .long_name = (l), \
	  .value = CLI_TYPED(const char **, v), .argh = (a), .help = (h) }
#define OPT_INT(s, l, v, a, h, lo, hi) \
	{ .type = CLI_OPT_INT, .short_name = (s), .long_name = (l), \
	  .value = CLI_TYPED(int *, v), .argh = (a), .help = (h), .min = (lo), .max = (hi) }
#define OPT_STRING_LIST(s, l, v, a, h) \
	{ .type = CLI_OPT_STRING_LIST, .short_name = (s), .long_name = (l), \
	  .value = CLI_TYPED(struct strv *, v), .argh = (a), .help = (h) }
#define OPT_CHOICE(s, l, v, a, h, c) \
	{ .type = CLI_OPT_CHOICE, .short_name = (s), .long_name = (l), \
	  .value = CLI_TYPED(int *, v), .argh = (a), .help = (h), .choices = (c) }
#define OPT_CALLBACK(s, l, v, a, h, cb) \
	{ .type = CLI_OPT_CALLBACK, .short_name = (s), .long_name = (l), \
	  .value = (v), .argh = (a), .help = (h), .callback = (cb) }
/* A duration ("250ms", "1m30s") into a uint64_t of milliseconds, more than 0. */
#define OPT_DURATION(s, l, v, a, h) \
	OPT_CALLBACK(s, l, CLI_TYPED(uint64_t *, v), a, h, cli_opt_duration)

cli_opt_cb cli_opt_duration;

/* Empty the lists (CLI_OPT_STRING_LIST) of `opts`; cli_main does it after a command. */
void cli_options_release(const struct cli_option *opts);

/* --- commands and programs ------------------------------------------------- */

/* One row of an exit-status table (`meaning` may have lines); a table ends with { 0, NULL }. */
struct cli_exit {
	int status;
	const char *meaning;
};

struct cli_prog;
struct cli_ctx;

#define CLI_HIDDEN 0x1u         /* internal: run by exact name only, not in the help */
#define CLI_PROG_FLAG 0x100u    /* this bit and those above are the program's own */

struct cli_cmd {
	const char *name;            /* NULL only for a program's default command */
	const char *args;            /* the synopsis after the name: "ENV_FILE [--out DIR]" */
	const char *summary;         /* one line, for the list of commands */
	const char *help;            /* paragraphs after the summary, or NULL */
	unsigned flags;              /* CLI_HIDDEN, and the program's from CLI_PROG_FLAG up */
	const struct cli_option *options;   /* ending with OPT_END(), or NULL */
	int min_args, max_args;      /* positional arguments; max_args -1: no limit */
	const struct cli_exit *exits;       /* this command's exit statuses; NULL: the program's */
	enum cli_result (*exec)(struct cli_ctx *ctx);
};

struct cli_prog {
	const char *name;
	const char *version;
	const char *summary;         /* one line under the usage in the program's help */
	const struct cli_cmd *const *cmds;  /* ending with NULL */
	/*
	 * Run with the whole command line when the first argument is an option
	 * or cannot be a command's name (letters, digits and '-'): loadtest's
	 * `loadtest -c 10 URL`. NULL: none.
	 */
	const struct cli_cmd *default_cmd;
	const struct cli_exit *exits;
	/*
	 * The program's set-up and clean-up around every command it runs, from
	 * the command's flags (git's run_builtin()). `before` returning other
	 * than CLI_OK is the command's result, and the command is not run;
	 * `after` is called whenever `before` was, with the final result.
	 */
	enum cli_result (*before)(struct cli_ctx *ctx);
	void (*after)(struct cli_ctx *ctx, enum cli_result res);
};

/* A command being run. */
struct cli_ctx {
	const struct cli_prog *prog;
	const struct cli_cmd *cmd;
	int argc;                    /* positional arguments, the options taken out */
	char **argv;                 /* argv[argc] is NULL */
	void *data;                  /* the program's, as given to cli_main() */
};

/* Run the command line; returns the exit status. */
int cli_main(const struct cli_prog *prog, int argc, char **argv, void *data);

/*
 * Print the problems of a definition on stderr, one per line, each as
 * "error: FILE:LINE:COL: message" ("error:" in red on a terminal), after
 * flushing stdout so the two stay in order. The caller sorts them first.
 */
struct diag;
void cli_print_diag(const struct diag *d);

/* --- the parts, for tests and for programs with needs of their own ------------ */

/* Command i: the program's, then the built-in ones; NULL past the last. */
const struct cli_cmd *cli_cmd_at(const struct cli_prog *prog, size_t i);

/*
 * A positional argument that must be one of `choices`: its index, or -1
 * having said what was expected and the nearest choice ("SHELL 'bsh':
 * expected bash or zsh (did you mean 'bash'?)"): a usage error.
 */
int cli_choice_arg(const char *what, const char *arg, const char *const *choices);

/* The built-in `completion` and `man` (cli-doc.c). */
enum cli_result cli_completion_exec(struct cli_ctx *ctx);
enum cli_result cli_man_exec(struct cli_ctx *ctx);

/* The command `name` names (exactly or by a unique prefix), or NULL with why in `err`. */
const struct cli_cmd *cli_find_cmd(const struct cli_prog *prog, const char *name,
				   struct strbuf *err);

/*
 * Parse argv[1..argc-1] (argv[0] is the command's name) into the options'
 * variables and ctx->argc/argv (ctx->prog and ctx->cmd set by the caller).
 * Returns 0, CLI_PARSE_HELP when -h or --help was given (nothing else is
 * checked then), or -1 with the message in `err`. cli_ctx_release() frees
 * what it allocated.
 */
#define CLI_PARSE_HELP 1
int cli_parse(struct cli_ctx *ctx, int argc, char **argv, struct strbuf *err);
void cli_ctx_release(struct cli_ctx *ctx);

void cli_prog_help(struct strbuf *sb, const struct cli_prog *prog);
void cli_cmd_help(struct strbuf *sb, const struct cli_prog *prog, const struct cli_cmd *cmd);

/*
 * A progress line on stderr, rewritten in place ("\r", clear the line);
 * cli_progress_done() clears it. Callers show one only when
 * cli_progress_wanted(): stderr is a terminal and it was not turned off.
 */
int cli_progress_wanted(int off);
void cli_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_progress_done(void);

#endif
