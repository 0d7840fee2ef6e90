/*
 * Fuzz target for loadtest's scenario files: any bytes as a scenario,
 * parsed, decoded and checked into a plan, as `loadtest run` reads one.
 * A file that loads must be a plan the engine can take: scenarios with a
 * method, a load model with threads and connections.
 *
 * The input is named "fuzz.yaml" in the current directory, so a
 * `body_file` in it reads files relative to where the fuzzer runs: run it
 * from a scratch directory (the tests do).
 */
#include "diag.h"
#include "scenario.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = DIAG_INIT;
	struct plan p;

	if (plan_load_mem(&p, "fuzz.yaml", (const char *)data, size, &d) == 0) {
		if (!p.nr)
			abort();        /* 'scenarios' is required and not empty */
		for (size_t i = 0; i < p.nr; i++)
			if (!p.v[i].method || !p.v[i].model.threads ||
			    p.v[i].model.connections < p.v[i].model.threads)
				abort();
	} else if (!diag_count(&d)) {
		abort();                /* a refused file always says why */
	}
	plan_release(&p);
	diag_release(&d);
	return 0;
}
