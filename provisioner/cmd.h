/*
 * Subcommands. Each lives in its own cmd-*.c file and exports one
 * `const struct cmd_entry`; main.c holds the table and the dispatcher,
 * which parses options, loads the environment model when the command
 * needs one, runs the command, writes the audit record for commands that
 * change something, flushes stdout, and maps the result to an exit code
 * in exactly one place.
 */
#ifndef PROVISIONER_CMD_H
#define PROVISIONER_CMD_H

#include <stddef.h>

#include <jansson.h>

#include "model.h"

enum cmd_result {
	CMD_OK = 0,          /* exit 0 */
	CMD_FAILED = 1,      /* the work found a problem: drift, invalid output */
	CMD_USAGE = 2,       /* bad usage or bad input (definitions) */
	CMD_NEEDS_PERSON = 3,/* the environment is in a state that needs a person */
	CMD_INTERRUPTED = 130,/* SIGINT or SIGTERM; what the command started is undone */
};

#define OPT_ARG 0x1u        /* takes a value */
#define OPT_REPEAT 0x2u     /* may be given several times (values kept in order) */

struct cmd_opt {
	const char *name;    /* long name without "--" */
	char short_name;     /* 0 if none */
	unsigned flags;
	const char *arg;     /* placeholder in help: "DIR" */
	const char *help;
};

#define CMD_NEEDS_ENV 0x1u  /* first argument is ENV_FILE: load and validate it */
#define CMD_AUDIT 0x2u      /* writes something: append to the audit log */
#define CMD_HIDDEN 0x4u     /* internal (the supervisor): not in --help */

struct cmd_ctx;

struct cmd_entry {
	const char *name;
	const char *args;        /* "ENV_FILE [--out DIR]" */
	const char *summary;     /* one line */
	const char *help;        /* longer text, may be NULL */
	unsigned flags;
	const struct cmd_opt *opts;   /* terminated by { NULL } */
	size_t min_args, max_args;    /* positional arguments */
	enum cmd_result (*exec)(struct cmd_ctx *ctx);
};

struct cmd_ctx {
	const struct cmd_entry *entry;
	int argc;                /* positional arguments */
	char **argv;
	struct env_model *model; /* loaded when CMD_NEEDS_ENV */
	/* audit fields a command may fill in */
	const char *audit_detail;
	/* option values, indexed like entry->opts */
	const char **values;
	int *counts;
};

/* The value of option `name`, or NULL when not given. */
const char *cmd_opt(const struct cmd_ctx *ctx, const char *name);
int cmd_flag(const struct cmd_ctx *ctx, const char *name);

/* Print diagnostics on stderr in the usual form. */
struct diag;
void cmd_print_diag(const struct diag *d);

extern const struct cmd_entry cmd_render_entry;
extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_name_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_up_entry;
extern const struct cmd_entry cmd_down_entry;
extern const struct cmd_entry cmd_gc_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_supervise_entry;
extern const struct cmd_entry cmd_check_entry;

/* An environment named on the command line: its name, or a definition file (loaded for its name). */
char *rt_resolve_name(struct cmd_ctx *ctx, const char *arg);

/* -o text|json: *json set; -1 (reported) on another format. */
int cmd_json_output(struct cmd_ctx *ctx, int *json);
/* `doc` on stdout, indented, keys sorted. */
void cmd_dump_json(json_t *doc);
/* The names of the environments under `state` (an empty list if none). */
char **cmd_env_names(const char *state, size_t *nr);

/*
 * Strict Kubernetes validation, for `check` and `render --validate`
 * (cmd-check.c): init, then one k8s_check_text() per file (its problems
 * are printed), then k8s_check_finish() prints the summary, releases and
 * says how it went: CMD_OK, CMD_FAILED (a problem) or CMD_USAGE (a file
 * was unreadable: the caller counts those in `unreadable`).
 */
struct k8s_check {
	struct k8s_schema *schema;
	size_t files, bad_files, objects, problems, unreadable;
};
/*
 * The schema is `schema`, else $K8S_SCHEMA, else the one shipped in the
 * data directory found from the file `near` (see find_datadir()).
 * -1 (reported) when it cannot be loaded.
 */
int k8s_check_init(struct k8s_check *kc, const char *schema, const char *near);
void k8s_check_text(struct k8s_check *kc, const char *file, const char *buf, size_t len);
enum cmd_result k8s_check_finish(struct k8s_check *kc);

/* Options every command that loads a definition accepts. */
#define ENV_OPTS \
	{ "branch", 'b', OPT_ARG, "B", "the branch (default: git, then CI variables)" }, \
	{ "commit", 'c', OPT_ARG, "C", "the commit (default: git, then CI variables)" }

#endif
