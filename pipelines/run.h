/*
 * Running a pipeline on this machine: each job a child process (lib/
 * run-command) in its own process group, in parallel where `needs`
 * allow, its output kept in RUN_DIR/JOB.log and copied, each line
 * prefixed with the job's name, to the terminal stream the caller gives.
 *
 * A job starts once every job it needs has finished; then `when` decides:
 * on_success runs when none of them failed (otherwise it is skipped, a
 * failed dependency), on_failure when one of them failed (with no needs:
 * when any on_success job that does not need it failed), always in any
 * case. A job that failed, timed out, was cancelled or was skipped for a
 * failed dependency counts as failed; one its `when` skipped does not. A timeout
 * stops the job's whole process group (SIGTERM, then SIGKILL after
 * kill_grace_ms); a failed or timed-out job is started again `retry`
 * times. When *interrupted becomes non-zero (the caller's signal handler),
 * running jobs are stopped, nothing but `when: always` jobs start, and
 * those get until always_grace_ms has passed; a second interruption stops
 * them too.
 *
 * Jobs get our environment with o->env and PIPELINE_JOB=NAME set.
 *
 * The results are the caller's (pl_results_release); nothing here prints
 * but the job lines on `term`.
 */
#ifndef PIPELINES_RUN_H
#define PIPELINES_RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "def.h"

struct strbuf;

enum pl_state {
	PL_NOT_SELECTED,  /* left out by --only */
	PL_PENDING,
	PL_RUNNING,
	PL_PASSED,
	PL_FAILED,
	PL_TIMEDOUT,
	PL_SKIPPED,       /* `when` said no, or a job it needs did not pass (reason says) */
	PL_CANCELLED,     /* stopped or never started because of an interruption */
};

extern const char *const pl_state_names[];

struct pl_result {
	enum pl_state state;
	int attempts;
	int exit_code;            /* of the last attempt; -1: killed by a signal */
	int term_signal;
	int failed_dependency;    /* PL_SKIPPED because a job it needs did not pass */
	long long start_wall_ms;  /* of the first attempt; 0: never started */
	long long duration_ms;    /* all attempts */
	char **argv;              /* substituted; NULL when not selected */
	char *log;                /* RUN_DIR/JOB.log */
	char *reason;             /* why skipped, failed to start or cancelled; or NULL */
};

struct pl_run_opts {
	const char *run_dir;          /* exists; logs go here */
	const char *dir;              /* jobs' working directory (the repository root) */
	struct pl_vars vars;
	int max_jobs;                 /* at most this many at once (>= 1) */
	uint64_t kill_grace_ms;       /* SIGTERM to SIGKILL */
	uint64_t always_grace_ms;     /* after an interruption, for the always jobs */
	const char *const *only;      /* NULL, or job names: these and what they need */
	const char *const *env;       /* NAME=VALUE set in the jobs' environment; NULL: none */
	FILE *term;                   /* prefixed job lines and progress; NULL: none */
	volatile sig_atomic_t *interrupted;  /* counted by the caller's handler; may be NULL */
};

/*
 * Decide what runs and substitute the argv of each selected job into
 * res[i] (p->jobs.nr of them, zeroed by the caller). -1 with why in err:
 * an unknown --only job or a variable without a value (no env_file for
 * ${env}, no branch known for ${branch}).
 */
int pl_prepare(const struct pipeline *p, const struct pl_run_opts *o, struct pl_result *res,
	       struct strbuf *err);

/*
 * Run the prepared jobs. Returns 0 when every selected job passed or was
 * skipped by its `when`, 1 when one failed, timed out or was skipped for
 * a failed dependency, 130 when interrupted.
 */
int pl_run(const struct pipeline *p, const struct pl_run_opts *o, struct pl_result *res);

void pl_results_release(struct pl_result *res, size_t nr);

/*
 * Reports (report.c): 0, or -1 with errno. The JUnit file has one testcase
 * per job in its first testsuite, then a testsuite per JUnit or TAP file a
 * job that ran lists in `reports` (read relative to `dir`), with the
 * tool's own cases, named "JOB: FILE".
 */
int pl_write_junit(const char *path, const struct pipeline *p, const struct pl_result *res,
		   const char *dir);
int pl_write_tap(const char *path, const struct pipeline *p, const struct pl_result *res);
int pl_write_json(const char *path, const struct pipeline *p, const struct pl_result *res,
		  const struct pl_run_opts *o, int status);

#endif
