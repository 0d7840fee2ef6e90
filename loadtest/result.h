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

/* The document for a finished run of `plan` (runs[i] is plan->v[i]). */
json_t *result_build(const struct plan *p, const struct scenario_run *runs, size_t nr,
		     const char *target, const struct timespec *started);

/*
 * Judge the plan's thresholds, overall and per scenario, against the
 * document and store them in it ("thresholds", "ok"). With p NULL the
 * thresholds already in the document are judged again (after a merge).
 * Returns 1 when all hold, 0 otherwise, -1 on a malformed threshold.
 */
int result_judge(json_t *doc, const struct plan *p, struct strbuf *err);

/* Add up documents of copies of the same test into one; -1 with a
 * message when they do not fit together. */
json_t *result_merge(json_t *const *docs, size_t nr, struct strbuf *err);

/* Read a document and check its format. */
json_t *result_load(const char *path, struct strbuf *err);

#endif
