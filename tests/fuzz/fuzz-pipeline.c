/*
 * Fuzz target for pipeline definitions: any bytes as a pipeline, parsed,
 * decoded and checked as `pipeline run` reads one. A pipeline that loads
 * must be one the runner can take: jobs with a non-empty run, and an
 * order in which every job comes after every job it needs.
 */
#include "def.h"
#include "diag.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_order(const struct pipeline *p)
{
	size_t *at = calloc(p->jobs.nr + 1, sizeof(*at));

	if (!at)
		return;
	for (size_t k = 0; k < p->jobs.nr; k++)
		at[p->order[k]] = k + 1;
	for (size_t i = 0; i < p->jobs.nr; i++) {
		const struct pl_job *j = pl_job_at(p, i);

		if (!at[i] || !j->run.nr)
			abort();
		for (size_t n = 0; n < j->needs.nr; n++)
			if (at[j->need_idx[n]] >= at[i])
				abort();   /* a need after the job that needs it */
	}
	free(at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = DIAG_INIT;
	struct pipeline p;

	if (pipeline_load_mem(&p, "fuzz.yaml", (const char *)data, size, &d) == 0) {
		if (!p.jobs.nr)
			abort();        /* 'jobs' is required and not empty */
		check_order(&p);
	} else if (!diag_count(&d)) {
		abort();                /* a refused file always says why */
	}
	pipeline_release(&p);
	diag_release(&d);
	return 0;
}
