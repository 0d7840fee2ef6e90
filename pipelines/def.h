/*
 * Pipeline definitions (YAML files in pipelines/): parsed with lib/ynode, decoded
 * by the table-driven lib/ydecode, then checked as a whole: every job that
 * `needs` names exists, the needs form no cycle, every ${...} in a `run`
 * is one the runner substitutes. Problems go into a `struct diag` with
 * file:line:column; nothing here prints.
 *
 * A loaded pipeline owns everything in it; pipeline_release() frees it.
 * `order` is a topological order of the jobs (a job after every job it
 * needs, otherwise in the order of the file), valid after a successful load.
 */
#ifndef PIPELINES_DEF_H
#define PIPELINES_DEF_H

#include <stddef.h>
#include <stdint.h>

#include "ydecode.h"

struct diag;

enum pl_when { PL_ON_SUCCESS, PL_ON_FAILURE, PL_ALWAYS };

extern const char *const pl_when_names[];

struct pl_job {
	char *name;
	char *stage;                 /* a label for the export; NULL: none */
	struct yreflist needs;       /* job names, where written */
	struct yreflist run;         /* argv, not yet substituted */
	int when;                    /* enum pl_when */
	uint64_t timeout_ms;         /* 0: none */
	int retry;                   /* extra attempts after a failure */
	struct yreflist changes;     /* path globs (kept; selection is not done yet) */
	struct yreflist reports;     /* files the job writes, relative to the repository */
	struct ypos pos;
	size_t *need_idx;            /* needs as indices into pipeline.jobs */
};

struct pl_push {
	struct yreflist branches;    /* glob patterns; none: every branch */
};

struct pl_triggers {
	struct pl_push *push;        /* NULL: not on push */
	struct yreflist schedule;    /* cron expressions (five fields) */
	int manual;                  /* can be started by hand */
	int delete;                  /* runs when a branch is deleted */
};

struct pipeline {
	char *file;                  /* as named; positions point at it */
	char *env_file;              /* relative to the repository root; NULL: none */
	struct pl_triggers triggers;
	struct yarray jobs;          /* struct pl_job, in the order of the file */
	size_t *order;               /* jobs.nr indices, topologically sorted */
};

/* Load `file`: 0, or -1 with every problem found in `d`. */
int pipeline_load(struct pipeline *p, const char *file, struct diag *d);
int pipeline_load_mem(struct pipeline *p, const char *file, const char *text, size_t len,
		      struct diag *d);
void pipeline_release(struct pipeline *p);

static inline struct pl_job *pl_job_at(const struct pipeline *p, size_t i)
{
	return yarray_at(&p->jobs, sizeof(struct pl_job), i);
}

/* The index of job `name`, or -1. */
long pipeline_find_job(const struct pipeline *p, const char *name);

/* The variables a `run` may use: ${env}, ${env_file}, ${branch}, ${commit}. */
struct pl_vars {
	const char *env, *env_file, *branch, *commit;
};

/*
 * `arg` with each ${NAME} replaced, as a new string; NULL with *bad the
 * unknown name (a new string) when one is not a variable above, or with
 * *bad NULL when the value is missing (NULL in vars). "$$" is a literal "$".
 */
char *pl_subst(const char *arg, const struct pl_vars *vars, char **bad);

#endif
