/*
 * Subcommands. Each lives in its own cmd-*.c file and exports one
 * `const struct cli_cmd` (lib/cli.h) whose options are bound to static
 * variables of that file; main.c holds the table and the hooks the
 * dispatcher runs around every command: it loads the environment model
 * when the command needs one (CMD_NEEDS_ENV) and writes the audit record
 * for commands that change something (CMD_AUDIT).
 */
#ifndef PROVISIONER_CMD_H
#define PROVISIONER_CMD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cli.h"
#include "model.h"

#define CMD_NEEDS_ENV (CLI_PROG_FLAG << 0)  /* first argument is ENV_FILE: load and validate it */
#define CMD_AUDIT (CLI_PROG_FLAG << 1)      /* writes something: append to the audit log */

/* What the dispatcher gives a command beside its arguments: ctx->data. */
struct cmd_data {
	struct env_model *model;   /* loaded when CMD_NEEDS_ENV */
	const char *audit_detail;  /* the audit record's detail, if the command sets one */
	/*
	 * The environment a CMD_AUDIT command that takes a name (down,
	 * failover) changes, set with cmd_audit_env(); without a model, the
	 * record is made for it (owned, freed by the dispatcher).
	 */
	char *audit_env;
};

static inline struct cmd_data *cmd_data(const struct cli_ctx *ctx)
{
	return ctx->data;
}

static inline struct env_model *cmd_model(const struct cli_ctx *ctx)
{
	return cmd_data(ctx)->model;
}

extern const struct cli_cmd cmd_render_entry;
extern const struct cli_cmd cmd_validate_entry;
extern const struct cli_cmd cmd_name_entry;
extern const struct cli_cmd cmd_show_entry;
extern const struct cli_cmd cmd_up_entry;
extern const struct cli_cmd cmd_down_entry;
extern const struct cli_cmd cmd_failover_entry;
extern const struct cli_cmd cmd_gc_entry;
extern const struct cli_cmd cmd_status_entry;
extern const struct cli_cmd cmd_list_entry;
extern const struct cli_cmd cmd_logs_entry;
extern const struct cli_cmd cmd_supervise_entry;
extern const struct cli_cmd cmd_check_entry;

/*
 * An environment named on the command line: its name, or a definition
 * file (loaded for its name). The one check of every command that takes
 * ENV (status, logs, down, failover): a name that is not a valid
 * environment name ("", "../x", "a/b", "Foo") is refused with a message,
 * and so is a definition that does not load: NULL then, a usage error.
 */
char *rt_resolve_name(const char *arg);

/* Record the audit entry of this command for environment `name`. */
void cmd_audit_env(struct cli_ctx *ctx, const char *name);

/* `doc` on stdout, indented, keys sorted. */
void cmd_dump_json(json_t *doc);
/*
 * `doc` on stdout as -o asks: JSON (indented) or YAML, its keys sorted
 * or (sort 0) in their order.
 */
void cmd_dump(json_t *doc, int output, int sort);
/* The names of the environments under `state` (an empty list if none). */
char **cmd_env_names(const char *state, size_t *nr);

/*
 * Strict Kubernetes validation, for `check` and `render --validate`
 * (cmd-check.c): init, then one k8s_check_text() per file (its problems
 * are printed), then k8s_check_finish() prints the summary, releases and
 * says how it went: CLI_OK, CLI_FAILED (a problem) or CLI_USAGE (a file
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
enum cli_result k8s_check_finish(struct k8s_check *kc);

/* `up --dry-run` for people: what would run where (cmd-up-plan.c). */
struct rt_state;
void cmd_print_plan(const struct rt_state *st, const struct env_model *m, const char *envdir,
		    int fresh);

/* --branch and --commit, which every command that loads a definition accepts. */
extern const char *cmd_branch, *cmd_commit;
#define ENV_OPTS \
	OPT_STRING('b', "branch", &cmd_branch, "B", "the branch (default: git, then CI variables)"), \
	OPT_STRING('c', "commit", &cmd_commit, "C", "the commit (default: git, then CI variables)")

/*
 * -o text|json|yaml: the index in cmd_output_formats. Every -o means the
 * output format, and every JSON document a program may read says what it
 * is in "format" (CMD_FORMAT_*, README "Output formats").
 */
extern const char *const cmd_output_formats[];
#define CMD_OUTPUT_TEXT 0
#define CMD_OUTPUT_JSON 1
#define CMD_OUTPUT_YAML 2
#define OPT_OUTPUT(v) \
	OPT_CHOICE('o', "output", (v), "FORMAT", "text (default), json or yaml", cmd_output_formats)
#define CMD_FORMAT_STATUS_LIST "provisioner-status-list/1"
#define CMD_FORMAT_LIST "provisioner-list/1"
#define CMD_FORMAT_MODEL "provisioner-model/1"

/*
 * A missing environment is a usage error wherever one is named (status,
 * logs, down): exit status 2, as a definition file that is not there, so
 * that it differs from 1, "the environment is there but not well".
 */
#define CMD_NO_ENV CLI_USAGE
/*
 * ENV as given (a name, or its definition file) when it is on this
 * machine under `state`: its name, to be freed. Otherwise NULL, said on
 * stderr (with the nearest name when one looks meant); the command's
 * result is then CMD_NO_ENV.
 */
char *cmd_env_arg(const char *state, const char *arg);

/*
 * How far a stack is from healthy, from its supervisor's view:
 * "5/9 healthy (db-replica not ready, api-secondary-1 waiting for its
 * dependencies)", the first few processes that are not named.
 */
struct rt_runtime;
struct strbuf;
void cmd_health_summary(struct strbuf *sb, const struct rt_runtime *rt);

/*
 * Progress while a command works or waits, on stderr: on a terminal one
 * line rewritten in place, elsewhere (a CI log) a line for each new
 * message, each with the seconds since cmd_progress_init().
 */
struct cmd_progress {
	const char *what;   /* "up" */
	char *last;
	int tty;
	uint64_t t0;
};
void cmd_progress_init(struct cmd_progress *p, const char *what);
void cmd_progress(struct cmd_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Clear the terminal's line (the messages off a terminal stay). */
void cmd_progress_done(struct cmd_progress *p);

#endif
