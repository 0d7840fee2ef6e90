/*
 * The result document: what a run measured, as JSON (format
 * "loadtest-result/1", described in README "Result format"). Every report
 * is made from it, and `loadtest merge` adds documents up, so a result
 * carries its raw histograms (the run's, and one per second) besides the
 * percentiles read from them.
 */
#ifndef LOADTEST_RESULT_H
#define LOADTEST_RESULT_H

#include <time.h>

#include <jansson.h>

#include "engine.h"

struct plan;
struct strbuf;

#define RESULT_FORMAT "loadtest-result/1"
#define RESULT_DUMP_FLAGS (JSON_INDENT(1) | JSON_REAL_PRECISION(12))

/* What a run says about itself besides its numbers. */
struct run_info {
	const char *target;
	struct timespec started;
	/*
	 * Which test this is, so that `merge` adds up copies of one test only:
	 * the SHA-256 (hex) of the scenario file, or for the ad-hoc mode of
	 * what its command line asks for (see cmd-run.c).
	 */
	const char *scenario_sha256;
	const char *id;            /* the run's id (--run-id), shared by its copies; NULL: none */
	unsigned shard, shards;    /* copy `shard` of `shards`, from 0 (0 of 1 alone) */
	int interrupted;           /* SIGINT or SIGTERM ended it early */
	const char *stopped;       /* NULL, or why the engine ended it early by itself */
};

/* The document for a finished run of `plan` (runs[i] is plan->v[i]). */
json_t *result_build(const struct plan *p, const struct scenario_run *runs, size_t nr,
		     const struct run_info *ri);

/*
 * Judge the plan's thresholds, overall and per scenario, against the
 * document and store them in it ("thresholds", "ok"). With p NULL the
 * thresholds already in the document are judged again (after a merge).
 * Returns 1 when all hold, 0 otherwise, -1 on a malformed threshold.
 */
int result_judge(json_t *doc, const struct plan *p, struct strbuf *err);

/*
 * Whether `docs` (read from `files`) are the copies of one run, each
 * once, none missing: the same scenario (digest), target, run id and
 * number of copies, and every copy 0..N-1 exactly once. Returns 0, or -1
 * with a message that names the files.
 */
int result_check_copies(json_t *const *docs, const char *const *files, size_t nr,
			struct strbuf *err);

/* Add up documents of copies of the same test into one; -1 with a
 * message when they do not fit together. */
json_t *result_merge(json_t *const *docs, size_t nr, struct strbuf *err);

/* Read a document and check its format. */
json_t *result_load(const char *path, struct strbuf *err);

#endif
